#!/usr/bin/env python3
"""The Label Studio side of Scripts/test-labelstudio.sh, against a running Label Studio: a project
with facelabel's labelling configuration and a Local files storage, facelabel's tasks imported,
then four answers made through the API (one task accepted as predicted, one point moved by 1% of
the width, one face deleted and one drawn), and the JSON and JSON-min exports written to OUT.
Label Studio's own YOLO and COCO exports are checked against the configuration's model_index, and
the YOLO one is written out as a data set (OUT/yolo-export/data.yaml) for `facelabel check`.
Exits non-zero, saying why, when Label Studio does not do what facelabel's docs say it does.

Usage: roundtrip.py URL TOKEN DOCUMENT_ROOT TASKS.json CONFIG.xml OUT_DIR
"""
import io
import json
import os
import sys
import urllib.error
import urllib.request
import zipfile
from xml.etree import ElementTree

base, token, root, tasks_file, config_file, out = sys.argv[1:7]


def call(method, path, body=None, raw=False):
    request = urllib.request.Request(
        base + path, data=None if body is None else json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            content = response.read()
    except urllib.error.HTTPError as error:
        sys.exit(f"Label Studio: {method} {path}: {error.code} {error.read().decode(errors='replace')[:500]}")
    return content if raw else (json.loads(content) if content else None)


def check(condition, message):
    if not condition:
        sys.exit(f"Label Studio: {message}")


tasks = json.load(open(tasks_file))
project = call("POST", "/api/projects", {"title": "facelabel round trip", "label_config": open(config_file).read()})
pid = project["id"]
# Label Studio serves /data/local-files/ only under a Local files storage of the project: a folder
# inside the document root (not the root itself) above the images
first = tasks[0]["data"]["image"].split("?d=", 1)[1].split("/")[0]
call("POST", "/api/storages/localfiles", {"project": pid, "path": f"{root}/{first}", "use_blob_urls": False, "title": "images"})
imported = call("POST", f"/api/projects/{pid}/import", tasks)
check(imported["task_count"] == len(tasks) and imported["prediction_count"] == len(tasks),
      f"imported {imported['task_count']} tasks and {imported['prediction_count']} predictions of {len(tasks)}")
ids = sorted(t["id"] for t in call("GET", f"/api/tasks?project={pid}&page_size=1000")["tasks"])
task = call("GET", f"/api/tasks/{ids[0]}")
with urllib.request.urlopen(urllib.request.Request(base + task["data"]["image"], headers={"Authorization": f"Token {token}"})) as r:
    check(r.status == 200 and len(r.read()) > 100, f"the image {task['data']['image']} is not served")

answers = {}
# task 1: the prediction accepted as it is
answers[ids[0]] = task["predictions"][0]["result"]
# task 2: one point moved right by 1% of the image's width
moved = call("GET", f"/api/tasks/{ids[1]}")["predictions"][0]["result"]
next(r for r in moved if r["type"] == "keypointlabels")["value"]["x"] += 1
answers[ids[1]] = moved
# task 3: its first face deleted, and a face drawn where it was not (a copy of it moved sideways by
# its width, so that no one could take the new face for the old one moved), with new region ids
regions = call("GET", f"/api/tasks/{ids[2]}")["predictions"][0]["result"]
box = next(r for r in regions if r["type"] == "rectanglelabels")
face, left, width = box["id"], box["value"]["x"], box["value"]["width"]
shift = width if left + 2 * width <= 100 else -width
check(0 <= left + shift and left + shift + width <= 100, f"no room beside the face at x {left}% of width {width}%")
drawn = [json.loads(json.dumps(r)) for r in regions if r.get("id") == face or r.get("parentID") == face]
for region in drawn:
    region["id"] = "drawn-" + region["id"]
    if "parentID" in region:
        region["parentID"] = "drawn-" + region["parentID"]
    region["value"]["x"] += shift
    region.pop("score", None)
answers[ids[2]] = [r for r in regions if r.get("id") != face and r.get("parentID") != face] + drawn
for task_id, result in answers.items():
    call("POST", f"/api/tasks/{task_id}/annotations", {"result": result})

for kind in ("JSON", "JSON_MIN"):
    with open(f"{out}/export-{kind}.json", "wb") as f:
        f.write(call("GET", f"/api/projects/{pid}/export?exportType={kind}", raw=True))
exported = json.load(open(f"{out}/export-JSON.json"))
check(len(exported) == 3, f"the JSON export holds {len(exported)} tasks, not the 3 answered")
print(f"Label Studio: {len(tasks)} tasks imported with their predictions, 3 answered, exported as JSON and JSON-min")

# Label Studio's own YOLO and COCO exports, whose point order comes from the configuration's
# model_index: YOLO's is a YOLO-pose label file per image, the accepted task's equal to the
# prediction it accepted; COCO's keeps boxes and points apart, the points in whole pixels
labels = sorted(ElementTree.parse(config_file).iter("Label"), key=lambda label: int(label.get("model_index", -1)))
names = [label.get("value") for label in labels if label.get("model_index") is not None]
yolo = zipfile.ZipFile(io.BytesIO(call("GET", f"/api/projects/{pid}/export?exportType=YOLO", raw=True)))
check(yolo.read("classes.txt").decode().split() == ["face"], f"YOLO classes {yolo.read('classes.txt')!r}")
check(json.loads(yolo.read("notes.json"))["categories"][0]["keypoints"] == names, "YOLO's keypoint names are not model_index's order")
files = {os.path.basename(n): yolo.read(n).decode() for n in yolo.namelist() if n.startswith("labels/") and n.endswith(".txt")}
check(len(files) == 3, f"the YOLO export has {len(files)} label files, not 3")
check(all(len(line.split()) == 5 + 3 * len(names) for text in files.values() for line in text.splitlines()),
      "a YOLO export line is not class, box and K x, y, visibility")


def expected_lines(result):
    """A prediction as YOLO-pose lines: centre, size and points as fractions, points visible (2)."""
    lines = []
    for box in (r for r in result if r["type"] == "rectanglelabels"):
        v = box["value"]
        points = {r["value"]["keypointlabels"][0]: r["value"] for r in result if r.get("parentID") == box["id"]}
        values = [(v["x"] + v["width"] / 2) / 100, (v["y"] + v["height"] / 2) / 100, v["width"] / 100, v["height"] / 100]
        for name in names:
            values += [points[name]["x"] / 100, points[name]["y"] / 100, 2] if name in points else [0, 0, 0]
        lines.append([0] + values)
    return sorted(lines)


accepted = call("GET", f"/api/tasks/{ids[0]}")
stem = os.path.splitext(os.path.basename(accepted["data"]["image"]))[0]
exported_lines = sorted([float(x) for x in line.split()] for line in files[stem + ".txt"].splitlines())
wanted = expected_lines(accepted["predictions"][0]["result"])
check(len(exported_lines) == len(wanted) and all(
    abs(a - b) < 1e-6 for got, want in zip(exported_lines, wanted) for a, b in zip(got, want)),
    f"the YOLO export of the accepted task {stem} is not its prediction in model_index order")
dataset = f"{out}/yolo-export"  # the answered images, two for training and one for validation
for index, task_id in enumerate(ids[:3]):
    image = call("GET", f"/api/tasks/{task_id}")["data"]["image"].split("?d=", 1)[1]
    name, split = os.path.basename(image), "train" if index < 2 else "val"
    for kind in ("images", "labels"):
        os.makedirs(f"{dataset}/{kind}/{split}", exist_ok=True)
    os.symlink(f"{root}/{image}", f"{dataset}/images/{split}/{name}")
    with open(f"{dataset}/labels/{split}/{os.path.splitext(name)[0]}.txt", "w") as f:
        f.write(files[os.path.splitext(name)[0] + ".txt"] + "\n")
with open(f"{dataset}/data.yaml", "w") as f:
    f.write(f"train: images/train\nval: images/val\nkpt_shape: [{len(names)}, 3]\nnames:\n  0: face\n")

coco = zipfile.ZipFile(io.BytesIO(call("GET", f"/api/projects/{pid}/export?exportType=COCO", raw=True)))
result = json.loads(coco.read("result.json"))
pointed = [c for c in result["categories"] if c.get("keypoints")]
check(len(pointed) == 1 and pointed[0]["keypoints"] == names, "COCO's keypoint names are not model_index's order")
faces = [a for a in result["annotations"] if "keypoints" not in a]
points = [a for a in result["annotations"] if "keypoints" in a]
check(len(faces) == len(points) == sum(len(t.splitlines()) for t in files.values())
      and all(len(a["keypoints"]) == 3 * len(names) for a in points),
      f"COCO: {len(faces)} boxes and {len(points)} point sets for the YOLO export's faces")
print(f"Label Studio's own exports: YOLO (3 label files; the accepted task's line is its prediction in model_index order), "
      f"COCO ({len(faces)} boxes and {len(points)} point sets apart, {len(names)} points in model_index order)")
