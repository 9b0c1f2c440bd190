#!/usr/bin/env python3
"""Trains with Ultralytics 8.1.14, the version facelabel follows (fact sheet), where the bench has 8.4.190.

8.4.190 trains v8 models differently in ways that matter on small data sets (fact sheet §9): warmup
without the 100-iteration minimum, an assigner that enlarges boxes under 16 px, a box-bias init of
2.0. This runs 8.1.14 on the same CPU torch with the bench's settings (2 threads, offline, no plots,
amp off) and writes OUT/train/results.csv and OUT/best.safetensors (the EMA weights of best.pt under
the reference's state-dict keys), as bench-accuracy.sh expects of a reference run.

Run with the bench venv's python and PYTHONPATH=DIR, where DIR holds ultralytics==8.1.14 and the
dependencies the bench venv lacks (bench-accuracy.sh installs them with REFERENCE_VERSION=8.1.14).
Usage: train_8114.py --data DATA.yaml --out OUT [--epochs 100] [--imgsz 256] [--batch 16] [--seed 0]
"""
import argparse
import json
import os
import shutil
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--imgsz", type=int, default=256)
parser.add_argument("--batch", type=int, default=16)
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

os.environ["OMP_NUM_THREADS"] = "2"
os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"  # 8.1.14 pickles whole models into its .pt files
import numpy as np  # noqa: E402

if not hasattr(np, "trapz"):
    np.trapz = np.trapezoid  # removed in NumPy 2.4; 8.1.14 integrates its AP with it
import matplotlib  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)
import ultralytics  # noqa: E402
import ultralytics.utils as utils  # noqa: E402
import ultralytics.utils.torch_utils as torch_utils  # noqa: E402

if ultralytics.__version__ != "8.1.14":
    raise SystemExit(f"expected Ultralytics 8.1.14 on PYTHONPATH, found {ultralytics.__version__}")
utils.ONLINE = False  # 8.1.14 has no YOLO_OFFLINE: no update checks, analytics or downloads
torch_utils.NUM_THREADS = 2  # what select_device('cpu') passes to torch.set_num_threads
utils.SETTINGS.update({k: False for k in ("sync", "clearml", "comet", "dvc", "mlflow", "raytune", "tensorboard",
                                         "wandb", "hub") if k in utils.SETTINGS})
# check_font() would fetch Arial from GitHub on every train and val
font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
for name in ("Arial.ttf", "Arial.Unicode.ttf"):
    target = Path(utils.USER_CONFIG_DIR) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(font, target)

from safetensors.torch import save_file  # noqa: E402
from ultralytics import YOLO  # noqa: E402

model = YOLO("yolov8n-pose.yaml")
# 8.1.14's trainer sets workers to 0 on a CPU, after the arguments are read; the bench runs 2
model.add_callback("on_pretrain_routine_start", lambda trainer: setattr(trainer.args, "workers", args.workers))
start = time.perf_counter()
model.train(data=args.data, epochs=args.epochs, imgsz=args.imgsz, batch=args.batch, device="cpu", amp=False,
            plots=False, workers=args.workers, project=os.path.abspath(args.out), name="train", exist_ok=True,
            seed=args.seed, verbose=False)
checkpoint = torch.load(model.trainer.best, map_location="cpu")
best = (checkpoint.get("ema") or checkpoint["model"]).float()
save_file({k: v.contiguous() for k, v in best.state_dict().items()}, os.path.join(args.out, "best.safetensors"))
print(json.dumps({"what": "train", "ultralytics": ultralytics.__version__, "epochs": args.epochs,
                  "wall_s": round(time.perf_counter() - start, 1), "best": str(model.trainer.best)}))
