"""facelabel's ONNX export against the reference's, with the same weights (run in the bench venv,
which has Ultralytics; Scripts/bench-onnx.sh runs it). Prints one JSON object per line:

  export      the reference's own ONNX export of the weights (Ultralytics' exporter, opset 17, not simplified)
  layout      input and output names, shapes and the metadata keys of both files
  values      the largest difference between the two files' outputs in onnxruntime, on a letterboxed
              image and on random input, in pixels (boxes, keypoint x and y) and in probability
  ultralytics Ultralytics' own predictor (AutoBackend) on facelabel's file and on its own: the
              detections and keypoints it finds in an image with each
  speed       onnxruntime's network time per image at batch 1, for each file

usage: bench_onnx.py BENCH_DIR DATA.yaml WEIGHTS.safetensors FACELABEL.onnx IMAGE WORK_DIR [--part compare|speed]
       [--seconds S] [--threads T]
(`--part compare` writes the reference's file into WORK_DIR, which `--part speed` then times.)
"""
import argparse
import json
import os
import sys
import time


def emit(row):
    print(json.dumps(row), flush=True)


parser = argparse.ArgumentParser()
for name in ("bench", "data", "weights", "ours", "image", "work"):
    parser.add_argument(name)
parser.add_argument("--part", choices=("compare", "speed"), default="compare")
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--imgsz", type=int, default=640)
a = parser.parse_args()
for name in ("bench", "data", "weights", "ours", "image"):
    setattr(a, name, os.path.abspath(getattr(a, name)))

sys.path.insert(0, a.bench)
import ultra_env  # noqa: E402  (before ultralytics)

ultra_env.setup(threads=a.threads)
import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import reference  # noqa: E402
from ultralytics import YOLO  # noqa: E402
from ultralytics.data.augment import LetterBox  # noqa: E402
import cv2  # noqa: E402

# the reference's export of the same weights
os.chdir(a.work)
theirs = os.path.abspath("yolov8n-pose-kpt51.onnx")
if a.part == "compare":
    model = reference.yolo_from(a.data, "n", a.weights)
    model.model.names = {0: "face"}
    model.model.args = {"imgsz": a.imgsz, "task": "pose", "data": a.data}
    model.model.task = "pose"
    exported = model.export(format="onnx", imgsz=a.imgsz, opset=17, simplify=False, dynamic=False, device="cpu")
    assert os.path.abspath(exported) == theirs, exported
    emit({"what": "export", "reference": os.path.basename(theirs), "mb": round(os.path.getsize(theirs) / 1e6, 1),
          "facelabel_mb": round(os.path.getsize(a.ours) / 1e6, 1)})


def session(path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = a.threads
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


ours_session, theirs_session = session(a.ours), session(theirs)
noise = np.random.default_rng(0).random((1, 3, a.imgsz, a.imgsz), dtype=np.float32)


def signature(s):
    return {"inputs": [(i.name, i.shape, i.type) for i in s.get_inputs()],
            "outputs": [(o.name, o.shape, o.type) for o in s.get_outputs()],
            "metadata": sorted(s.get_modelmeta().custom_metadata_map)}


if a.part == "compare":
    emit({"what": "layout", "facelabel": signature(ours_session), "reference": signature(theirs_session)})

    # values: a letterboxed image (as the predictor feeds it) and random input
    letterboxed = LetterBox((a.imgsz, a.imgsz), auto=False)(image=cv2.imread(a.image))
    image = np.ascontiguousarray(letterboxed[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255
    k = 51
    for name, x in (("image", image), ("random", noise)):
        (mine,) = ours_session.run(None, {"images": x})
        (ref,) = theirs_session.run(None, {"images": x})
        d = np.abs(mine - ref)
        points = d[:, 5:].reshape(d.shape[0], k, 3, -1)
        emit({"what": "values", "input": name, "shape": list(mine.shape), "reference_shape": list(ref.shape),
              "pixels": float(max(d[:, :4].max(), points[:, :, :2].max())),
              "probabilities": float(max(d[:, 4].max(), points[:, :, 2].max()))})

    # Ultralytics' predictor reads facelabel's file as one of its own
    found = {}
    for name, path in (("facelabel", a.ours), ("reference", theirs)):
        result = YOLO(path, task="pose").predict(a.image, imgsz=a.imgsz, device="cpu", verbose=False)[0]
        found[name] = (result.boxes.xyxy.numpy(), result.keypoints.data.numpy())
    boxes, points = found["facelabel"]
    reference_boxes, reference_points = found["reference"]
    same = boxes.shape == reference_boxes.shape
    emit({"what": "ultralytics", "faces": len(boxes), "reference_faces": len(reference_boxes),
          "box_px": float(np.abs(boxes - reference_boxes).max()) if same and len(boxes) else None,
          "keypoint_px": float(np.abs(points[..., :2] - reference_points[..., :2]).max()) if same and len(boxes) else None})

if a.part == "speed":
    # onnxruntime's speed at batch 1
    for name, s in (("facelabel", ours_session), ("reference", theirs_session)):
        for _ in range(3):
            s.run(None, {"images": noise})
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < a.seconds:
            s.run(None, {"images": noise})
            runs += 1
        emit({"what": "speed", "file": name, "imgsz": a.imgsz, "batch": 1, "threads": a.threads,
              "ort_ms_per_img": round((time.perf_counter() - start) / runs * 1000, 2)})
