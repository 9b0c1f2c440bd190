#!/usr/bin/env bash
# `facelabel import coco` on a large COCO keypoints file, to show that its memory stays bounded:
# writes ANNOTATIONS annotations of 17 points (default 1,000,000) over IMAGES tiny PNG images
# (default 1,000) into a scratch folder, imports them with the release binary under
# /usr/bin/time -v, checks the label count, and prints the file size, the wall time and the peak RSS.
# Usage: Scripts/bench-coco-import.sh [SCRATCH]  (ANNOTATIONS=... IMAGES=... to change the size)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${1:-$(mktemp -d)}"
annotations="${ANNOTATIONS:-1000000}"
images="${IMAGES:-1000}"
swift build -c release --product facelabel >&2
mkdir -p "$scratch/images"
python3 - "$scratch" "$annotations" "$images" <<'PY'
import json, random, struct, sys, zlib
scratch, count, image_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
width, height = 640, 480

def png(path, w, h):
    raw = b"".join(b"\0" + bytes([90]) * w for _ in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

png(f"{scratch}/images/0.png", width, height)
import os
for i in range(1, image_count):
    target = f"{scratch}/images/{i}.png"
    if not os.path.exists(target):
        os.link(f"{scratch}/images/0.png", target)
random.seed(0)
names = [f"p{k}" for k in range(17)]
with open(f"{scratch}/big.json", "w") as f:
    f.write('{"info": {"description": "facelabel import benchmark"}, "images": [')
    f.write(",".join(json.dumps({"id": i + 1, "file_name": f"{i}.png", "width": width, "height": height})
                     for i in range(image_count)))
    f.write('], "annotations": [\n')
    for a in range(count):
        x, y = random.uniform(0, 500), random.uniform(0, 350)
        keypoints = []
        for _ in range(17):
            keypoints += [round(x + random.uniform(0, 120), 2), round(y + random.uniform(0, 120), 2), 2]
        record = {"id": a + 1, "image_id": random.randrange(image_count) + 1, "category_id": 1,
                  "bbox": [round(x, 2), round(y, 2), 120.5, 120.5], "area": 14520.25, "iscrowd": 0,
                  "keypoints": keypoints, "num_keypoints": 17}
        f.write(("," if a else "") + json.dumps(record) + "\n")
    f.write('], "categories": [')
    f.write(json.dumps({"id": 1, "name": "person", "keypoints": names, "skeleton": [[1, 2]]}))
    f.write("]}\n")
PY
rm -rf "$scratch/out"
size=$(stat -c %s "$scratch/big.json")
/usr/bin/time -v .build/release/facelabel import coco --json "$scratch/big.json" --images "$scratch/images" \
  --out "$scratch/out" 2> "$scratch/time.txt" > /dev/null || { cat "$scratch/time.txt" >&2; exit 1; }
lines=$(cat "$scratch"/out/labels/*/*.txt | wc -l)
wall=$(grep "Elapsed (wall clock)" "$scratch/time.txt" | awk '{print $NF}')
rss=$(grep "Maximum resident set size" "$scratch/time.txt" | awk '{print $NF}')
echo "COCO JSON: $annotations annotations of 17 points over $images images, $((size / 1000000)) MB"
echo "imported label lines: $lines"
echo "wall time: $wall, peak RSS: $((rss / 1024)) MB"
[ "$lines" -eq "$annotations" ]
