#!/usr/bin/env python3
"""The reference's side of Scripts/bench-photos.sh, one JSON line per command:

  photo_speed.py BENCH_DIR decode IMAGE IMGSZ          cv2.imread and load_image's INTER_LINEAR resize (median ms)
  photo_speed.py BENCH_DIR predict DATA.yaml WEIGHTS IMGSZ FOLDER
                                                       Ultralytics predict over the folder's images, batch 1 (images/s)
"""
import glob
import math
import os
import sys
import time

bench, command = sys.argv[1], sys.argv[2]
sys.path.insert(0, bench)
import ultra_env  # noqa: E402

ultra_env.setup(threads=2)
import cv2  # noqa: E402
import reference  # noqa: E402


def median_ms(repeats, body):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


if command == "decode":
    image, imgsz = sys.argv[3], int(sys.argv[4])

    def load():
        im = cv2.imread(image)
        h, w = im.shape[:2]
        r = imgsz / max(h, w)
        return cv2.resize(im, (min(math.ceil(w * r), imgsz), min(math.ceil(h * r), imgsz)), interpolation=cv2.INTER_LINEAR)

    full = cv2.imread(image)
    reference.emit({"what": "decode-speed", "impl": "reference", "opencv": cv2.__version__,
                    "image": f"{full.shape[1]}x{full.shape[0]}", "decode_ms": round(median_ms(7, lambda: cv2.imread(image)), 2),
                    "exact_ms": round(median_ms(7, load), 2)})
elif command == "predict":
    data, weights, imgsz, folder = sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
    files = sorted(glob.glob(os.path.join(folder, "**", "*.jpg"), recursive=True))
    y = reference.yolo_from(data, "n", weights)
    y.predict(files[0], imgsz=imgsz, device="cpu", verbose=False)  # warm-up
    start = time.perf_counter()
    detections = sum(len(y.predict(f, imgsz=imgsz, device="cpu", verbose=False)[0].boxes) for f in files)
    seconds = time.perf_counter() - start
    reference.emit({"what": "predict-speed", "impl": "reference", "images": len(files), "imgsz": imgsz,
                    "img_per_s": round(len(files) / seconds, 3), "detections": detections})
