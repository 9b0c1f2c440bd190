#!/usr/bin/env python3
"""The Label Studio side of Scripts/test-labelstudio.sh, against a running Label Studio: a project
with facelabel's labelling configuration and a Local files storage, facelabel's tasks imported,
then four answers made through the API (one task accepted as predicted, one point moved by 1% of
the width, one face deleted and one drawn), and the JSON and JSON-min exports written to OUT.
Exits non-zero, saying why, when Label Studio does not do what facelabel's docs say it does.

Usage: roundtrip.py URL TOKEN DOCUMENT_ROOT TASKS.json CONFIG.xml OUT_DIR
"""
import json
import sys
import urllib.error
import urllib.request

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
