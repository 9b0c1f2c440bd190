"""Reference numbers for PoseMetrics (Tests/PoseMetricsTests/Fixtures/metrics-golden.json).

An independent NumPy/torch implementation of the validation metrics as the project's fact sheet
(../shared/reference/yolov8-pose.md, section 6) states them for Ultralytics 8.1.14: box IoU and
keypoint OKS in float32 torch, threshold matching with NumPy's nonzero/argsort/unique, and
AP/P/R with np.interp, np.trapezoid and np.convolve. It first reproduces the fact sheet's checked
values, then evaluates a random multi-image, two-class scene and writes inputs and results.

The face-alignment numbers (greedy matching at IoU >= 0.5, MSE, NME, FR@0.1, AUC@0.1) follow
the definitions in Sources/PoseMetrics/FaceAlignment.swift.

Usage (numpy, and torch 2.13.0+cpu from PIP_FIND_LINKS):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy torch==2.13.0+cpu
    /tmp/venv/bin/python Scripts/metrics-goldens/make_goldens.py Tests/PoseMetricsTests/Fixtures/metrics-golden.json
"""

import json
import sys

import numpy as np
import torch

THRESHOLDS = torch.linspace(0.5, 0.95, 10)  # float32, as the validator's iouv
trapezoid = getattr(np, "trapezoid", None) or np.trapz


def iou_matrix(truth_boxes, det_boxes, eps=1e-7):
    """labels x detections, float32; corners (x1, y1, x2, y2)."""
    a = torch.as_tensor(truth_boxes, dtype=torch.float32)[:, None, :]
    b = torch.as_tensor(det_boxes, dtype=torch.float32)[None, :, :]
    lo = torch.maximum(a[..., :2], b[..., :2])
    hi = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (hi - lo).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).prod(-1)
    return inter / (area_a + area_b - inter + eps)


def oks_matrix(truth_kpts, det_kpts, areas, sigmas, eps=1e-7):
    """truth_kpts [N, K, 3], det_kpts [M, K, 2+], areas [N], sigmas [K] -> [N, M] float32."""
    g = torch.as_tensor(truth_kpts, dtype=torch.float32)
    p = torch.as_tensor(det_kpts, dtype=torch.float32)
    s = torch.as_tensor(sigmas, dtype=torch.float32)
    area = torch.as_tensor(areas, dtype=torch.float32)
    d = (g[:, None, :, 0] - p[None, :, :, 0]) ** 2 + (g[:, None, :, 1] - p[None, :, :, 1]) ** 2
    labelled = g[..., 2] != 0
    e = d / (2 * s) ** 2 / (area[:, None, None] + eps) / 2
    return (torch.exp(-e) * labelled[:, None]).sum(-1) / (labelled.sum(-1)[:, None] + eps)


def match(pred_cls, true_cls, sim):
    """[M, 10] bool: the fact sheet's section 6.5, step by step."""
    sim = (sim * (torch.as_tensor(true_cls)[:, None] == torch.as_tensor(pred_cls)[None, :])).numpy()
    correct = np.zeros((len(pred_cls), len(THRESHOLDS)), dtype=bool)
    for column, t in enumerate(THRESHOLDS.tolist()):
        pairs = np.array(np.nonzero(sim >= t)).T
        if len(pairs) > 1:
            pairs = pairs[sim[pairs[:, 0], pairs[:, 1]].argsort()[::-1]]
            pairs = pairs[np.unique(pairs[:, 1], return_index=True)[1]]
            pairs = pairs[np.unique(pairs[:, 0], return_index=True)[1]]
        if len(pairs):
            correct[pairs[:, 1], column] = True
    return correct


def area_under_pr(recall, precision):
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    return trapezoid(np.interp(x, mrec, mpre), x)


def box_filter(y, f):
    taps = round(len(y) * f * 2) // 2 + 1
    pad = np.ones(taps // 2)
    return np.convolve(np.concatenate((pad * y[0], y, pad * y[-1])), np.ones(taps) / taps, mode="valid")


def per_class(tp, conf, pred_cls, target_cls, eps=1e-16):
    order = np.argsort(-conf, kind="stable")  # the Swift side's documented stable order
    tp, conf, pred_cls = tp[order], conf[order], pred_cls[order]
    classes, counts = np.unique(target_cls, return_counts=True)
    grid = np.linspace(0, 1, 1000)
    ap = np.zeros((len(classes), tp.shape[1]))
    p_curve = np.zeros((len(classes), 1000))
    r_curve = np.zeros((len(classes), 1000))
    for ci, c in enumerate(classes):
        sel = pred_cls == c
        if sel.sum() == 0:
            continue
        tpc = tp[sel].cumsum(0)
        fpc = (1 - tp[sel]).cumsum(0)
        recall = tpc / (counts[ci] + eps)
        precision = tpc / (tpc + fpc)
        r_curve[ci] = np.interp(-grid, -conf[sel], recall[:, 0], left=0)
        p_curve[ci] = np.interp(-grid, -conf[sel], precision[:, 0], left=1)
        for j in range(tp.shape[1]):
            ap[ci, j] = area_under_pr(recall[:, j], precision[:, j])
    f1 = 2 * p_curve * r_curve / (p_curve + r_curve + eps)
    best = box_filter(f1.mean(0), 0.1).argmax()
    return {
        "classes": classes.tolist(),
        "precision": p_curve[:, best].tolist(),
        "recall": r_curve[:, best].tolist(),
        "ap": ap.tolist(),
        "best_confidence": float(grid[best]),
        "mp": float(p_curve[:, best].mean()),
        "mr": float(r_curve[:, best].mean()),
        "map50": float(ap[:, 0].mean()),
        "map50_95": float(ap.mean()),
        "ap_per_threshold": ap.mean(0).tolist(),
    }


def check_fact_sheet():
    """The values 'checked by running 8.1.14' in the fact sheet, section 6."""
    assert abs(area_under_pr(np.array([0.1, 0.4, 0.4, 0.7]), np.array([1.0, 0.8, 0.6, 0.5])) - 0.6090) < 5e-5
    ious = np.array([0.92, 0.75, 0.0, 0.55, 0.81, 0.66], dtype=np.float32)
    tp = ious[:, None] >= THRESHOLDS.numpy()[None, :]
    conf = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.3], dtype=np.float32)
    r = per_class(tp, conf, np.zeros(6), np.zeros(5))
    expected = [0.895, 0.895, 0.731667, 0.731667, 0.6175, 0.6175, 0.376667, 0.2625, 0.2625, 0.0]
    assert np.allclose(r["ap"][0], expected, atol=5e-6), r["ap"]
    assert abs(r["mp"] - 0.83333) < 5e-6 and r["mr"] == 1.0 and abs(r["map50_95"] - 0.539) < 5e-6
    pred = [[1, 1, 0], [2, 2, 0], [3, 3, 0]]
    truth = [[1.5, 1, 2], [2, 2.5, 2], [0, 0, 0]]
    oks = oks_matrix([truth], [pred], [4 * 0.53], [1 / 3] * 3)
    assert abs(oks.item() - 0.875758) < 5e-7, oks.item()


def f32(v):
    return float(np.float32(v))


def scene(seed=20240611, images=30, k=5):
    rng = np.random.default_rng(seed)
    out = []
    for image in range(images):
        truths, dets = [], []
        n_truth = int(rng.integers(0, 5)) if image % 7 else 0
        for _ in range(n_truth):
            w, h = rng.uniform(40, 200), rng.uniform(40, 200)
            x1, y1 = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
            box = [f32(x1), f32(y1), f32(x1 + w), f32(y1 + h)]
            kpts = [[f32(rng.uniform(x1, x1 + w)), f32(rng.uniform(y1, y1 + h)), 2.0] for _ in range(k)]
            for point in kpts:
                if rng.random() < 0.15:
                    point[2] = 0.0
            cls = 0 if rng.random() < 0.75 else 1
            truths.append({"cls": cls, "box": box, "kpts": kpts})
            copies = 0 if (image % 5 == 3 or rng.random() < 0.15) else (2 if rng.random() < 0.2 else 1)
            for _ in range(copies):
                jitter = rng.choice([0.02, 0.06, 0.12, 0.25])
                dbox = [box[0] + rng.normal(0, jitter * w), box[1] + rng.normal(0, jitter * h),
                        box[2] + rng.normal(0, jitter * w), box[3] + rng.normal(0, jitter * h)]
                spread = rng.choice([0.01, 0.04, 0.1, 0.3]) * np.sqrt(w * h)
                dk = [[f32(x + rng.normal(0, spread)), f32(y + rng.normal(0, spread)), f32(rng.random())]
                      for x, y, _ in kpts]
                dcls = cls if rng.random() > 0.1 else 1 - cls
                dets.append({"cls": dcls, "conf": f32(rng.uniform(0.001, 1)), "box": [f32(v) for v in dbox],
                             "kpts": dk})
        if image % 7 != 5:
            for _ in range(int(rng.integers(0, 3))):
                w, h = rng.uniform(30, 150), rng.uniform(30, 150)
                x1, y1 = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
                dk = [[f32(rng.uniform(x1, x1 + w)), f32(rng.uniform(y1, y1 + h)), f32(rng.random())]
                      for _ in range(k)]
                dets.append({"cls": int(rng.choice([0, 1, 2])), "conf": f32(rng.uniform(0.001, 0.6)),
                             "box": [f32(x1), f32(y1), f32(x1 + w), f32(y1 + h)], "kpts": dk})
        dets.sort(key=lambda d: -d["conf"])  # NMS order
        out.append({"truths": truths, "detections": dets})
    return out


def landmarks(images, eye_a, eye_b, threshold=0.1, steps=1000):
    squared, points, nmes, matched, missed = 0.0, 0, [], 0, 0
    for im in images:
        truths, dets = im["truths"], im["detections"]
        taken = [False] * len(truths)
        order = sorted(range(len(dets)), key=lambda i: (-dets[i]["conf"], i))
        for di in order:
            best, best_iou = None, -np.inf
            for ti, t in enumerate(truths):
                if taken[ti] or t["cls"] != dets[di]["cls"]:
                    continue
                iou = iou_matrix([t["box"]], [dets[di]["box"]]).item()
                if iou >= 0.5 and iou > best_iou:
                    best, best_iou = ti, iou
            if best is None:
                continue
            taken[best] = True
            matched += 1
            g = np.array(truths[best]["kpts"], dtype=np.float64)
            p = np.array(dets[di]["kpts"], dtype=np.float64)
            vis = g[:, 2] != 0
            err = np.hypot(p[vis, 0] - g[vis, 0], p[vis, 1] - g[vis, 1])
            squared += float((err ** 2).sum())
            points += int(vis.sum())
            d = np.hypot(g[eye_a, 0] - g[eye_b, 0], g[eye_a, 1] - g[eye_b, 1])
            if vis.sum() and g[eye_a, 2] != 0 and g[eye_b, 2] != 0 and d > 0:
                nmes.append(float(err.mean() / d))
        missed += taken.count(False)
    nmes = np.array(nmes)
    grid = np.array([threshold * i / steps for i in range(steps + 1)])
    ced = np.array([(nmes <= e).sum() / len(nmes) for e in grid])
    return {
        "mse_px2": squared / points, "nme": float(nmes.mean()), "fr": float((nmes > threshold).mean()),
        "auc": float(trapezoid(ced, grid) / threshold), "matched": matched, "missed": missed,
        "normalised": len(nmes),
    }


def main(path):
    check_fact_sheet()
    k = 5
    sigmas = [1 / k] * k
    images = scene(k=k)
    tp_b, tp_p, conf, pred_cls, target_cls, flags = [], [], [], [], [], []
    for im in images:
        truths, dets = im["truths"], im["detections"]
        target_cls += [t["cls"] for t in truths]
        conf += [d["conf"] for d in dets]
        pred_cls += [d["cls"] for d in dets]
        if not truths or not dets:
            b = p = np.zeros((len(dets), 10), dtype=bool)
        else:
            tc, dc = [t["cls"] for t in truths], [d["cls"] for d in dets]
            b = match(dc, tc, iou_matrix([t["box"] for t in truths], [d["box"] for d in dets]))
            boxes = torch.tensor([t["box"] for t in truths], dtype=torch.float32)
            areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) * 0.53
            oks = oks_matrix([t["kpts"] for t in truths], [d["kpts"] for d in dets], areas, sigmas)
            p = match(dc, tc, oks)
        tp_b.append(b)
        tp_p.append(p)
        flags.append({"box": b.astype(int).tolist(), "pose": p.astype(int).tolist()})
    tp_b, tp_p = np.concatenate(tp_b), np.concatenate(tp_p)
    conf, pred_cls, target_cls = np.array(conf, dtype=np.float32), np.array(pred_cls), np.array(target_cls)
    assert len(set(conf.tolist())) == len(conf), "confidences must be distinct (no sort ties)"
    result = {
        "how": "Scripts/metrics-goldens/make_goldens.py (numpy %s, torch %s)" % (np.__version__, torch.__version__),
        "keypoints": k,
        "eye_corners": [0, 1],
        "images": images,
        "flags": flags,
        "box": per_class(tp_b, conf, pred_cls, target_cls),
        "pose": per_class(tp_p, conf, pred_cls, target_cls),
        "landmarks": landmarks(images, 0, 1),
    }
    with open(path, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    print(json.dumps({key: result[key] for key in ("box", "pose", "landmarks")}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
