"""The device check's measurements, run by run.sh on the machine it checks; prints one table.

(a) `facelabel env`, and an allreduce in a one-rank process group (NCCL on a GPU); (b) the bundled checkpoint's outputs on the device against the CPU (float32),
and `val` metrics of the same weights on both; (c) a short training run on `facelabel synth` data:
images/s, peak GPU memory, loss first and last epoch, val metrics; (d) `val` and batch-1 `predict`
throughput; (e) with an importable Ultralytics, the reference's training images/s on the same data.
Standard library only: the GPU machine has Python and torch, nothing else is assumed.
"""
import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time

rows = []  # (check, value, verdict)


def row(check, value, verdict=""):
    rows.append((check, value, verdict))
    print(f"device-check: {check}: {value} {verdict}".rstrip(), file=sys.stderr, flush=True)


def facelabel(args, binary, json_out=True):
    """Runs the binary; returns (parsed JSON or stdout, seconds)."""
    started = time.monotonic()
    result = subprocess.run([binary] + args + (["--json"] if json_out else []), capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"facelabel {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return (json.loads(result.stdout) if json_out else result.stdout), seconds


def detections_by_file(predictions):
    return {image["file"]: image["detections"] for image in predictions["images"]}


def largest_difference(cpu, other):
    """The largest coordinate difference (px) between matched detections, and the unmatched count."""
    worst, unmatched = 0.0, 0
    for name, found in cpu.items():
        theirs = list(other.get(name, []))
        for detection in found:
            box = detection["box"]
            centre = ((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2)

            def distance(candidate):
                b = candidate["box"]
                return math.dist(centre, ((b["x1"] + b["x2"]) / 2, (b["y1"] + b["y2"]) / 2))

            if not theirs:
                unmatched += 1
                continue
            match = min(theirs, key=distance)
            theirs.remove(match)
            for p, q in zip(detection["keypoints"], match["keypoints"]):
                worst = max(worst, abs(p["x"] - q["x"]), abs(p["y"] - q["y"]))
        unmatched += len(theirs)
    return worst, unmatched


def metric_values(metrics):
    return {f"{task}.{key}": value for task in ("box", "pose") for key, value in metrics[task].items()}


def reference_training(data, args):
    """Ultralytics' training images/s on the same data and settings (amp on a GPU), if importable."""
    try:
        from ultralytics import YOLO  # noqa: F401
    except Exception as error:  # no reference carried: say so in the table
        return None, f"not run ({type(error).__name__}: {error})"
    from ultralytics import YOLO

    model = YOLO("yolov8n-pose.yaml")
    epochs = []

    def start(trainer):
        trainer._check_started = time.monotonic()

    def end(trainer):
        epochs.append(time.monotonic() - trainer._check_started)

    model.add_callback("on_train_epoch_start", start)
    model.add_callback("on_train_epoch_end", end)
    device = 0 if args.device.startswith("cuda") else "cpu"
    log = os.path.join(args.work, "reference.log")
    with open(log, "w") as file, contextlib.redirect_stdout(file), contextlib.redirect_stderr(file):
        model.train(data=data, epochs=args.epochs, imgsz=args.imgsz, batch=args.batch, device=device, amp=device != "cpu",
                    plots=False, val=False, workers=args.workers, project=os.path.join(args.work, "reference"),
                    exist_ok=True, verbose=False, pretrained=False)
    return epochs, None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--weights", required=True, help="the bundled checkpoint")
    parser.add_argument("--work", required=True)
    parser.add_argument("--cpu", action="store_true", help="rehearsal: the device under test is the CPU")
    parser.add_argument("--images", type=int, default=1000, help="synthetic training images")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    args.device = "cpu" if args.cpu else "cuda:0"
    os.makedirs(args.work, exist_ok=True)
    binary, device = args.binary, args.device
    started = time.monotonic()

    # (a) what runs
    env, _ = facelabel(["env"], binary)
    row("libtorch", f"{env['libtorch']} ({env['libtorch_path']})")
    row("CUDA", f"build {env['cuda_build']}, available {env['cuda_available']}, runtime {env['cuda_runtime']}, cuDNN {env['cudnn']}")
    for gpu in env["devices"]:
        row(f"cuda:{gpu['index']}", f"{gpu['name']}, {gpu['memory_bytes'] / 2**30:.1f} GiB, sm {gpu['compute_capability']}")
    row("threads / CPU", f"{env['threads']} / {env['cpu_capability']}")
    if not args.cpu and not env["cuda_available"]:
        row("device", "no usable GPU", "FAIL")
        return finish(started)
    # a one-rank process group on the device (NCCL on a GPU, Gloo on the CPU): an allreduce
    wanted = "gloo" if args.cpu else "nccl"
    if wanted in env["process_groups"]:
        try:
            checked, _ = facelabel(["env", "--check-group"], binary)
            group = checked["group_check"]
            row(f"process group ({group['backend']}, 1 rank, {group['device']})", f"allreduce in {group['milliseconds']:.1f} ms",
                "ok" if group["ok"] else "FAIL")
        except RuntimeError as error:
            row(f"process group ({wanted})", str(error).splitlines()[-1][:200], "FAIL")
    else:
        row(f"process group ({wanted})", f"not built in (built: {', '.join(env['process_groups']) or 'none'})", "FAIL")

    data_folder = os.path.join(args.work, "data")
    data = os.path.join(data_folder, "data.yaml")
    if not os.path.exists(data):
        facelabel(["synth", "--out", data_folder, "--images", str(args.images), "--imgsz", str(args.imgsz),
                   "--unlabeled", "0", "--seed", "3"], binary)
    val_images = os.path.join(data_folder, "images", "val")
    val_count = len(os.listdir(val_images))

    # (b) the same weights on the CPU and on the device
    common = ["--weights", args.weights, "--source", val_images, "--imgsz", str(args.imgsz), "--conf", "0.25",
              "--batch", "16"]
    on_cpu, _ = facelabel(["predict"] + common + ["--device", "cpu"], binary)
    on_device, _ = facelabel(["predict"] + common + ["--device", device], binary)
    worst, unmatched = largest_difference(detections_by_file(on_cpu), detections_by_file(on_device))
    found = sum(len(image["detections"]) for image in on_cpu["images"])
    row("keypoints, device vs CPU (float32)", f"max {worst:.2e} px over {found} faces, {unmatched} unmatched",
        "ok" if worst <= 1e-3 and unmatched == 0 else "FAIL")
    val_args = ["val", "--data", data, "--weights", args.weights, "--imgsz", str(args.imgsz), "--batch", "32"]
    cpu_metrics, _ = facelabel(val_args + ["--device", "cpu"], binary)
    device_metrics, val_seconds = facelabel(val_args + ["--device", device], binary)
    a, b = metric_values(cpu_metrics), metric_values(device_metrics)
    gap = max(abs(a[k] - b[k]) for k in a)
    row("val metrics, device vs CPU", f"max difference {gap:.4f} (pose mAP50-95 {a['pose.map50_95']:.4f} / {b['pose.map50_95']:.4f})",
        "ok" if gap <= 0.002 else "FAIL")

    # (c) a short training run from the bundled checkpoint, mixed precision as on by default
    train_dir = os.path.join(args.work, "train")
    subprocess.run(["rm", "-rf", train_dir], check=True)
    trained, train_seconds = facelabel(
        ["train", "--data", data, "--model", args.weights, "--epochs", str(args.epochs), "--imgsz", str(args.imgsz),
         "--batch", str(args.batch), "--workers", str(args.workers), "--out", train_dir, "--device", device], binary)
    speeds = trained["images_per_second"]
    row("training images/s per epoch", ", ".join(f"{s:.1f}" for s in speeds))
    row("training peak GPU memory", f"{trained['peak_memory_bytes'] / 2**30:.2f} GiB")
    with open(os.path.join(train_dir, "results.csv")) as file:
        lines = [line.strip().split(",") for line in file if line.strip()]
    header, values = lines[0], lines[1:]
    losses = [sum(float(v[i]) for i, name in enumerate(header) if name.startswith("train/")) for v in values]
    row("training loss, first and last epoch", " -> ".join(f"{x:.3f}" for x in losses),
        "ok" if len(losses) < 2 or losses[-1] < losses[0] else "FAIL")
    m = trained["metrics"]
    row("trained val", f"box mAP50-95 {m['box']['map50_95']:.4f}, pose mAP50-95 {m['pose']['map50_95']:.4f}")

    # (d) throughput: val (whole command, start-up included) and batch-1 predict latency
    row("val images/s (whole command)", f"{val_count / val_seconds:.1f} ({val_count} images in {val_seconds:.1f} s)")
    single = ["predict", "--weights", args.weights, "--source", val_images, "--imgsz", str(args.imgsz), "--batch", "1",
              "--device", device]
    _, predict_seconds = facelabel(single, binary)
    row("predict batch 1 (whole command)", f"{1000 * predict_seconds / val_count:.1f} ms/image")

    # (e) the reference on the same data and device
    if args.no_reference:
        row("reference training images/s", "not run (--no-reference)")
    else:
        epochs, reason = reference_training(data, args)
        if epochs is None:
            row("reference training images/s", reason)
        else:
            train_count = len(os.listdir(os.path.join(data_folder, "images", "train")))
            reference = [train_count / s for s in epochs]
            row("reference training images/s per epoch", ", ".join(f"{s:.1f}" for s in reference))
            row("facelabel / reference, best epoch", f"{max(speeds) / max(reference):.2f}x")
    return finish(started)


def finish(started):
    row("wall time", f"{time.monotonic() - started:.0f} s")
    width = max(len(check) for check, _, _ in rows)
    print(f"| {'check'.ljust(width)} | value | verdict |\n|{'-' * (width + 2)}|---|---|")
    for check, value, verdict in rows:
        print(f"| {check.ljust(width)} | {value} | {verdict} |")
    return 1 if any(verdict == "FAIL" for _, _, verdict in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
