#!/usr/bin/env bash
# Camera-sized photos: facelabel's exact path (full decode, OpenCV's resize), its fast path (DCT-scaled
# decode) and the reference (../shared/bench), on PHOTOS synthetic faces (default 100) upscaled to
# WIDTH x HEIGHT (default 4000 x 3000) with sensor-like grain, JPEG quality 92. Prints JSON lines:
#   decode-speed   decode + resize to the network size (long side 640) of one photo, median of 7
#   predict-speed  whole predict images/s over the photos at 640, batch 1 (warm, start-up excluded)
#   val            box and pose metrics at 320 with and without --fast-decode
# With TRAIN_IMAGES=N (e.g. 1000) it also trains one epoch at 640 with --cache on N photos (the
# PHOTOS repeated under new names) and prints the peak RSS (/usr/bin/time -v); that takes minutes.
# Usage: Scripts/bench-photos.sh [SCRATCH]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${1:-$(mktemp -d)}"
photos="${PHOTOS:-100}"
width="${WIDTH:-4000}"
height="${HEIGHT:-3000}"
bench="$(cd "$root/../shared/bench" && pwd)"
python="${BENCH_PYTHON:-$HOME/.cache/facelabel-bench/venv/bin/python}"
bash "$bench/setup-reference.sh" >&2
weights="$root/Weights/yolov8n-pose-synth51.safetensors"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
swift build -c release --product facelabel >&2
swift build -c release --product PoseBench >&2
bin="$root/.build/release"

if [ ! -f "$scratch/photos/data.yaml" ]; then
  "$bin/facelabel" synth --out "$scratch/base" --images "$photos" --imgsz 320 --unlabeled 0 --seed 7 --overwrite >&2
  "$python" - "$scratch" "$width" "$height" <<'PY'
import glob, os, shutil, sys
import cv2, numpy as np, yaml
scratch, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
for image in sorted(glob.glob(f"{scratch}/base/images/*/*")):
    split, name = image.split("/")[-2], os.path.splitext(os.path.basename(image))[0]
    big = cv2.resize(cv2.imread(image), (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    big += rng.normal(0, 4, big.shape).astype(np.float32)
    os.makedirs(f"{scratch}/photos/images/{split}", exist_ok=True)
    os.makedirs(f"{scratch}/photos/labels/{split}", exist_ok=True)
    cv2.imwrite(f"{scratch}/photos/images/{split}/{name}.jpg", np.clip(big, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92])
    label = f"{scratch}/base/labels/{split}/{name}.txt"
    if os.path.exists(label):  # normalised labels hold under any resize
        shutil.copy(label, f"{scratch}/photos/labels/{split}/{name}.txt")
config = yaml.safe_load(open(f"{scratch}/base/data.yaml"))
config["path"] = f"{scratch}/photos"
yaml.safe_dump(config, open(f"{scratch}/photos/data.yaml", "w"))
PY
fi
first="$(ls "$scratch"/photos/images/train/*.jpg | head -n 1)"
"$bin/PoseBench" decode-speed --image "$first" --imgsz 640
"$python" Scripts/reference/photo_speed.py "$bench" decode "$first" 640
for fast in --fast-decode --no-fast-decode; do
  "$bin/PoseBench" predict-speed --source "$scratch/photos/images" --weights "$weights" --imgsz 640 "$fast"
done
"$python" Scripts/reference/photo_speed.py "$bench" predict "$scratch/photos/data.yaml" "$weights" 640 "$scratch/photos/images"
for fast in --fast-decode ""; do
  "$bin/facelabel" val --data "$scratch/photos/data.yaml" --weights "$weights" --imgsz 320 $fast --json 2>/dev/null |
    python3 -c "import json, sys; m = json.load(sys.stdin); print(json.dumps({'what': 'val', 'fast_decode': '$fast' != '', 'box': m['box'], 'pose': m['pose'], 'nme': m['landmarks']['nme']}))"
done

if [ -n "${TRAIN_IMAGES:-}" ]; then
  many="$scratch/many"
  rm -rf "$many"
  mkdir -p "$many/images/train" "$many/labels/train"
  ln -s "$scratch/photos/images/val" "$many/images/val"
  ln -s "$scratch/photos/labels/val" "$many/labels/val"
  sources=("$scratch"/photos/images/train/*.jpg)
  for ((i = 0; i < TRAIN_IMAGES; i++)); do
    source="${sources[$((i % ${#sources[@]}))]}"
    stem="$(basename "$source" .jpg)"
    ln "$source" "$many/images/train/$i.jpg"
    [ -f "$scratch/photos/labels/train/$stem.txt" ] && cp "$scratch/photos/labels/train/$stem.txt" "$many/labels/train/$i.txt"
  done
  sed "s#$scratch/photos#$many#" "$scratch/photos/data.yaml" > "$many/data.yaml"
  rm -rf "$scratch/train"
  /usr/bin/time -v "$bin/facelabel" train --data "$many/data.yaml" --model "$weights" --epochs 1 --imgsz 640 --batch 16 --cache \
    --no-val --out "$scratch/train" > /dev/null 2> "$scratch/train-time.txt"
  rss=$(grep "Maximum resident set size" "$scratch/train-time.txt" | awk '{print $NF}')
  wall=$(grep "Elapsed (wall clock)" "$scratch/train-time.txt" | awk '{print $NF}')
  echo "{\"what\": \"train-rss\", \"images\": $TRAIN_IMAGES, \"source\": \"${width}x${height} JPEG\", \"imgsz\": 640, \"cache\": true, \"peak_rss_mb\": $((rss / 1024)), \"wall\": \"$wall\"}"
fi
