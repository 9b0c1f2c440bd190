// The review page. State comes from the server; nothing here is saved until the server says so.
const state = { run: null, queue: [], position: -1, detail: null, edits: null, selected: 0,
                undo: [], zoom: 1, pan: [0, 0], busy: false, shownAt: null, prefetched: new Map() };
// what a decision to the next label shown took, in milliseconds (read by the benchmark)
window.reviewTimings = [];
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const options = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  const answer = await response.json().catch(() => ({ error: response.statusText }));
  return { status: response.status, answer };
}

function message(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }

// ---- the shortcuts: one table for the help and the key handler ----
const SHORTCUTS = [
  { keys: ["a"], text: "Accept (with moved points: save them as a correction)", run: () => decide(state.edits ? "corrected" : "accepted") },
  { keys: ["r"], text: "Reject: not a face, or too poor to fix", run: () => decide("rejected") },
  { keys: ["s", "Enter"], text: "Save the moved points as a correction", run: () => state.edits ? decide("corrected") : message("no point was moved") },
  { keys: ["u"], text: "Undo the last decision", run: () => undo() },
  { keys: ["n"], text: "Next label", run: () => go(state.position + 1) },
  { keys: ["p"], text: "Previous label", run: () => go(state.position - 1) },
  { keys: ["Tab"], text: "Select the next point (Shift: the previous)", run: (e) => selectPoint(state.selected + (e.shiftKey ? -1 : 1)) },
  { keys: ["v"], text: "Toggle the selected point's visibility", run: () => toggleVisibility() },
  { keys: ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"], text: "Nudge the selected point by ½ pixel (Shift: 5 pixels)", run: (e) => nudge(e) },
  { keys: ["+", "="], text: "Zoom in", run: () => zoomBy(1.25) },
  { keys: ["-"], text: "Zoom out", run: () => zoomBy(0.8) },
  { keys: ["0"], text: "Fit the image", run: () => fit() },
  { keys: ["A"], text: "Accept all remaining labels at or above a score…", run: () => acceptRemaining() },
  { keys: ["m"], text: "Audit image: mark a face no box covers (then drag a box around it)", run: () => startMarking() },
  { keys: ["c"], text: "Audit image: checked, every missed face marked", run: () => checkImage(true) },
  { keys: ["?"], text: "Show or hide this help", run: () => toggleHelp() },
];

document.addEventListener("keydown", (e) => {
  if (e.target.matches("input, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  const shortcut = SHORTCUTS.find((s) => s.keys.includes(e.key));
  if (!shortcut) return;
  e.preventDefault();
  if (!$("help").hidden && e.key !== "?") return;
  shortcut.run(e);
});

function toggleHelp() { $("help").hidden = !$("help").hidden; }

// ---- the queue ----
function filterQuery() {
  const query = new URLSearchParams();
  query.set("iteration", $("f-iteration").value || "all");
  for (const [key, id] of [["status", "f-status"], ["minScore", "f-min"], ["maxScore", "f-max"], ["image", "f-image"]]) {
    if ($(id).value) query.set(key, $(id).value);
  }
  return query.toString();
}

async function loadQueue(keepId) {
  const { status, answer } = await api("/api/labels?" + filterQuery());
  if (status !== 200) return message(answer.error, "error");
  state.queue = answer.items;
  showProgress(answer.reviewed, answer.total);
  renderQueue();
  const at = keepId === undefined ? -1 : state.queue.findIndex((item) => item.id === keepId);
  await go(at >= 0 ? at : 0);
}

function showProgress(reviewed, total) {
  state.progress = { reviewed, total };
  $("progress").textContent = `${reviewed} reviewed, ${total - reviewed} left of ${total}`;
}

function renderQueue() {
  const rows = state.queue.map((item, index) =>
    `<div class="row" data-index="${index}" data-id="${item.id}"><span class="name" title="${escape(item.image)}">${escape(item.image)}</span>` +
    `<span>${item.score === null ? "" : item.score.toFixed(2)}</span><span class="status ${item.status}">${item.status}</span></div>`);
  $("queue").innerHTML = rows.join("") || "<p style='padding:8px'>No label matches the filters.</p>";
}

function updateRow(item) {
  const index = state.queue.findIndex((q) => q.id === item.id);
  if (index < 0) return;
  state.queue[index] = Object.assign(state.queue[index], { status: item.status, version: item.version, reviewer: item.reviewer });
  const status = document.querySelector(`.row[data-id="${item.id}"] .status`);
  if (status) { status.textContent = item.status; status.className = `status ${item.status}`; }
}

$("queue").addEventListener("click", (e) => {
  const row = e.target.closest(".row");
  if (row) go(Number(row.dataset.index));
});
for (const id of ["f-iteration", "f-status", "f-min", "f-max", "f-image"]) $(id).addEventListener("change", () => loadQueue());

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// ---- one label ----
async function fetchDetail(item) {
  let pending = state.prefetched.get(item.id);
  if (!pending || pending.version !== item.version) {
    pending = { version: item.version, promise: api(`/api/labels/${item.id}`).then(async (result) => {
      if (result.status === 200) { const image = new Image(); image.src = result.answer.label.imageURL; await image.decode().catch(() => {}); }
      return result;
    }) };
    state.prefetched.set(item.id, pending);
  }
  return pending.promise;
}

async function go(index) {
  if (state.queue.length === 0) { state.position = -1; state.detail = null; render(); return; }
  index = Math.max(0, Math.min(index, state.queue.length - 1));
  const item = state.queue[index];
  if (item.kind === "image") return showImage(index);
  state.image = null;
  const { status, answer } = await fetchDetail(item);
  if (status !== 200) return message(answer.error, "error");
  state.position = index;
  state.detail = answer;
  state.edits = null;
  state.selected = 0;
  select(index);
  await showPhoto(answer.label.imageURL);
  render();
  document.body.dataset.labelId = answer.label.id;
  requestAnimationFrame(() => {
    if (state.shownAt !== null) { window.reviewTimings.push(performance.now() - state.shownAt); state.shownAt = null; }
  });
  const next = state.queue[index + 1];
  if (next && next.kind !== "image") fetchDetail(next);
}

function select(index) {
  document.querySelectorAll(".row.selected").forEach((row) => row.classList.remove("selected"));
  const row = document.querySelector(`.row[data-index="${index}"]`);
  if (row) { row.classList.add("selected"); row.scrollIntoView({ block: "nearest" }); }
}

async function showPhoto(url) {
  const photo = $("photo");
  if (photo.getAttribute("src") === url) return;
  photo.src = url;
  await photo.decode().catch(() => {});
  fit();
}

function currentShape() { return state.edits || state.detail.label.shape; }

function render() {
  const svg = $("overlay");
  const photo = $("photo");
  const [w, h] = [photo.naturalWidth, photo.naturalHeight];
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  if (state.image) return renderImage(svg, w, h);
  if (!state.detail) { svg.innerHTML = ""; $("about").textContent = ""; $("actions").innerHTML = ""; return; }
  const label = state.detail.label;
  const parts = [];
  for (const other of state.detail.others) {
    parts.push(drawShape(other.shape, other.iteration === 0 ? "original" : "earlier", w, h, false));
  }
  parts.push(drawShape(currentShape(), "current", w, h, true));
  svg.innerHTML = parts.join("");
  document.body.dataset.labelStatus = label.status;
  const decided = label.reviewer ? ` by ${escape(label.reviewer)}` : "";
  // what the filters saw: each look's score and the flip disagreement
  const looks = [["image", label.ownScore], ["mirror", label.mirroredScore], ["closer look", label.closerScore], ["flip disagreement", label.disagreement]]
    .filter(([, value]) => value != null).map(([name, value]) => `${name} ${value.toFixed(2)}`);
  $("about").innerHTML = `<b>${escape(label.image)}</b> · iteration ${label.iteration} · score ` +
    `${label.score === null ? "–" : label.score.toFixed(3)}${looks.length ? ` (${looks.join(", ")})` : ""}` +
    ` · <span class="status ${label.status}">${label.status}</span>${decided}` +
    (state.edits ? " · <b>points moved, not saved</b>" : "");
  $("actions").innerHTML = SHORTCUTS.slice(0, 5).map((s, i) => `<button data-shortcut="${i}">${s.keys[0]}: ${s.text.split(" (")[0].split(":")[0]}</button>`).join("");
}

$("actions").addEventListener("click", (e) => {
  const button = e.target.closest("button");
  if (button) SHORTCUTS[Number(button.dataset.shortcut)].run(e);
});

function drawShape(shape, kind, w, h, editable) {
  if (!shape) return "";
  const [cx, cy, bw, bh] = shape.box;
  const line = 1 / state.zoom;  // one screen pixel, whatever the zoom
  let out = `<rect class="box ${kind}" stroke-width="${2 * line}" x="${(cx - bw / 2) * w}" y="${(cy - bh / 2) * h}" width="${bw * w}" height="${bh * h}"/>`;
  const points = shape.keypoints;
  for (const [a, b] of state.run.edges) {
    if (points[a][2] > 0 && points[b][2] > 0) {
      out += `<line class="edge ${kind}" stroke-width="${1.5 * line}" x1="${points[a][0] * w}" y1="${points[a][1] * h}" x2="${points[b][0] * w}" y2="${points[b][1] * h}"/>`;
    }
  }
  const radius = 4 * line;
  points.forEach(([x, y, v], index) => {
    if (!editable && v <= 0) return;
    const classes = ["point", kind, editable && v <= 0 ? "invisible" : "", editable && index === state.selected ? "selected" : ""].join(" ");
    const stroke = index === state.selected && editable ? 2 * line : 0.5 * line;
    out += `<circle class="${classes}" stroke-width="${stroke}" data-index="${index}" cx="${x * w}" cy="${y * h}" r="${radius}"><title>${escape(state.run.names[index] || index)}</title></circle>`;
  });
  return out;
}

// ---- decisions ----
async function decide(status) {
  if (!state.detail || state.busy) return;
  const label = state.detail.label;
  const body = { status, version: label.version };
  if (status === "corrected") body.keypoints = currentShape().keypoints;
  state.busy = true;
  state.shownAt = performance.now();
  message("saving…");
  const { status: code, answer } = await api(`/api/labels/${label.id}/decision`, body);
  state.busy = false;
  if (code === 409) {
    message(`not saved: ${answer.error}`, "error");
    state.shownAt = null;
    state.prefetched.delete(label.id);
    updateRow(answer.current);
    return go(state.position);
  }
  if (code !== 200) { state.shownAt = null; return message(`not saved: ${answer.error}`, "error"); }
  state.undo.push({ id: label.id, status: label.status, keypoints: label.status === "corrected" ? label.shape.keypoints : null });
  state.prefetched.delete(label.id);
  updateRow(answer);
  message(`saved: ${answer.status}`, "saved");
  if (state.run.audit) await refreshAudit();
  else showProgress(state.progress.reviewed + (label.status === "unreviewed" ? 1 : 0) - (answer.status === "unreviewed" ? 1 : 0), state.progress.total);
  await go(state.position + 1);
}

async function undo() {
  const last = state.undo.pop();
  if (!last) return message("nothing to undo");
  if (last.imageItem) return checkImage(false, last.imageItem);
  const index = state.queue.findIndex((item) => item.id === last.id);
  const detail = await api(`/api/labels/${last.id}`);
  if (detail.status !== 200) return message(detail.answer.error, "error");
  const body = { status: last.status, version: detail.answer.label.version };
  if (last.status === "corrected") body.keypoints = last.keypoints;
  const { status, answer } = await api(`/api/labels/${last.id}/decision`, body);
  if (status !== 200) return message(`undo not saved: ${answer.error}`, "error");
  state.prefetched.delete(last.id);
  updateRow(answer);
  message(`undone: ${answer.status}`, "saved");
  if (state.run.audit) await refreshAudit();
  else showProgress(state.queue.filter((item) => item.status !== "unreviewed").length, state.progress.total);
  if (index >= 0) await go(index);
}

async function acceptRemaining() {
  if (state.run.audit) return message("an audit judges each label of its sample: accept them one by one", "error");
  const text = prompt("Accept every unreviewed label of this iteration whose score is at least:", "0.7");
  if (text === null) return;
  const minScore = Number(text);
  if (!(minScore >= 0 && minScore <= 1)) return message("the score must lie between 0 and 1", "error");
  const iteration = $("f-iteration").value === "all" ? null : Number($("f-iteration").value);
  const count = state.queue.filter((item) => item.status === "unreviewed" && item.score !== null && item.score >= minScore).length;
  if (!confirm(`Accept the unreviewed labels with score ≥ ${minScore} (${count} shown here)?`)) return;
  const { status, answer } = await api("/api/accept-remaining", { minScore, iteration });
  if (status !== 200) return message(answer.error, "error");
  message(`accepted ${answer.accepted.length} labels`, "saved");
  state.prefetched.clear();
  await loadQueue(state.detail ? state.detail.label.id : undefined);
}

// ---- editing points ----
function editable() {
  if (!state.edits) state.edits = JSON.parse(JSON.stringify(state.detail.label.shape));
  return state.edits;
}

function selectPoint(index) {
  if (!state.detail) return;
  const count = state.detail.label.shape.keypoints.length;
  state.selected = ((index % count) + count) % count;
  render();
}

function toggleVisibility() {
  if (!state.detail) return;
  const point = editable().keypoints[state.selected];
  point[2] = point[2] > 0 ? 0 : 2;
  render();
}

function nudge(e) {
  if (!state.detail) return;
  const step = e.shiftKey ? 5 : 0.5;
  const [dx, dy] = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
  movePoint(state.selected, dx, dy);
}

function movePoint(index, dx, dy) {
  const photo = $("photo");
  const point = editable().keypoints[index];
  point[0] = Math.min(1, Math.max(0, point[0] + dx / photo.naturalWidth));
  point[1] = Math.min(1, Math.max(0, point[1] + dy / photo.naturalHeight));
  if (point[2] <= 0) point[2] = 2;
  render();
}

// ---- zoom, pan and dragging ----
function applyView() { $("stage").style.transform = `translate(${state.pan[0]}px, ${state.pan[1]}px) scale(${state.zoom})`; }

function fit() {
  const photo = $("photo"), viewport = $("viewport");
  if (!photo.naturalWidth) return;
  state.zoom = Math.min(viewport.clientWidth / photo.naturalWidth, viewport.clientHeight / photo.naturalHeight);
  state.pan = [(viewport.clientWidth - photo.naturalWidth * state.zoom) / 2, (viewport.clientHeight - photo.naturalHeight * state.zoom) / 2];
  applyView();
  render();
}

function zoomBy(factor, at) {
  const viewport = $("viewport");
  const [x, y] = at || [viewport.clientWidth / 2, viewport.clientHeight / 2];
  state.pan = [x - (x - state.pan[0]) * factor, y - (y - state.pan[1]) * factor];
  state.zoom *= factor;
  applyView();
  render();
}

$("viewport").addEventListener("wheel", (e) => {
  e.preventDefault();
  const box = $("viewport").getBoundingClientRect();
  zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, [e.clientX - box.left, e.clientY - box.top]);
}, { passive: false });

let drag = null;
$("viewport").addEventListener("pointerdown", (e) => {
  const circle = e.target.closest("circle.point.current");
  if (state.image && state.marking) {
    const at = imagePoint(e);
    drag = { kind: "box", from: at, to: at };
  } else if (circle) {
    state.selected = Number(circle.dataset.index);
    drag = { kind: "point", index: state.selected, x: e.clientX, y: e.clientY };
  } else {
    drag = { kind: "pan", x: e.clientX, y: e.clientY };
  }
  $("viewport").setPointerCapture(e.pointerId);
  e.preventDefault();
});
$("viewport").addEventListener("pointermove", (e) => {
  if (!drag) return;
  const [dx, dy] = [e.clientX - drag.x, e.clientY - drag.y];
  drag.x = e.clientX; drag.y = e.clientY;
  if (drag.kind === "box") { drag.to = imagePoint(e); render(); }
  else if (drag.kind === "point") movePoint(drag.index, dx / state.zoom, dy / state.zoom);
  else { state.pan = [state.pan[0] + dx, state.pan[1] + dy]; applyView(); }
});
$("viewport").addEventListener("pointerup", () => {
  const done = drag;
  drag = null;
  if (done && done.kind === "box") markMissed(done.from, done.to);
});
window.addEventListener("resize", () => fit());

// ---- the audit: a random sample of labels, then of images to check for missed faces ----
async function startAudit() {
  const { status, answer } = await api("/api/audit");
  if (status !== 200) return message(answer.error, "error");
  $("filters").hidden = true;
  state.queue = answer.items.map((item) => item.kind === "label"
    ? { kind: "label", id: item.labelId, itemId: item.id, image: item.image, score: null, status: item.done ? "audited" : "to audit" }
    : { kind: "image", id: `image-${item.id}`, itemId: item.id, image: item.image, score: null, status: item.done ? "checked" : "to check" });
  showEstimate(answer.estimate);
  renderQueue();
  const first = state.queue.findIndex((item) => item.status.startsWith("to "));
  await go(first >= 0 ? first : 0);
}

async function refreshAudit() {
  const { status, answer } = await api("/api/audit");
  if (status === 200) showEstimate(answer.estimate);
}

function percent(value) { return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`; }
function range(interval) { return interval ? ` (95% CI ${percent(interval.lower)}–${percent(interval.upper)})` : ""; }

function showEstimate(e) {
  state.estimate = e;
  $("progress").textContent = `audit of iteration ${e.iteration}: ${e.labelsAudited} labels judged, ${e.imagesChecked} images checked · ` +
    `precision ${percent(e.precision)}${range(e.precisionInterval)} · recall about ${percent(e.recall)}${range(e.recallInterval)}`;
}

async function showImage(index) {
  const item = state.queue[index];
  const { status, answer } = await api(`/api/audit/images/${item.itemId}`);
  if (status !== 200) return message(answer.error, "error");
  state.position = index;
  state.detail = null;
  state.image = answer;
  state.marking = false;
  select(index);
  await showPhoto(answer.item.imageURL);
  render();
  document.body.dataset.labelId = item.id;
}

function renderImage(svg, w, h) {
  const parts = state.image.labels.map((label) =>
    drawShape(label.shape, label.iteration === 0 ? "original" : label.status === "added" ? "current" : "earlier", w, h, false));
  if (drag && drag.kind === "box") {
    const [x0, y0, x1, y1] = [Math.min(drag.from[0], drag.to[0]), Math.min(drag.from[1], drag.to[1]), Math.max(drag.from[0], drag.to[0]), Math.max(drag.from[1], drag.to[1])];
    parts.push(`<rect class="box current" stroke-width="${2 / state.zoom}" x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`);
  }
  svg.innerHTML = parts.join("");
  const item = state.image.item;
  document.body.dataset.labelStatus = item.done ? "checked" : "to check";
  $("about").innerHTML = `<b>${escape(item.image)}</b> · audit image: does every face have a box? ` +
    (state.marking ? "<b>drag a box around the missed face</b>" : "m: mark a face no box covers · c: checked") +
    ` · <span class="status">${item.done ? "checked" : "to check"}</span>`;
  $("actions").innerHTML = "";
}

function imagePoint(e) {
  const box = $("stage").getBoundingClientRect();
  return [(e.clientX - box.left) / state.zoom, (e.clientY - box.top) / state.zoom];
}

function startMarking() {
  if (!state.image) return message("m marks a missed face on an audit image");
  state.marking = true;
  render();
}

async function markMissed(from, to) {
  state.marking = false;
  const photo = $("photo");
  const [w, h] = [photo.naturalWidth, photo.naturalHeight];
  const clamp = (v, size) => Math.min(size, Math.max(0, v));
  const [x0, x1] = [clamp(Math.min(from[0], to[0]), w), clamp(Math.max(from[0], to[0]), w)];
  const [y0, y1] = [clamp(Math.min(from[1], to[1]), h), clamp(Math.max(from[1], to[1]), h)];
  if (x1 - x0 < 2 || y1 - y0 < 2) { render(); return message("draw the box by dragging across the face", "error"); }
  const box = [(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h];
  const { status, answer } = await api(`/api/audit/images/${state.image.item.id}/missed`, { box });
  if (status !== 200) { render(); return message(`not saved: ${answer.error}`, "error"); }
  state.image = answer;
  message("saved: missed face marked", "saved");
  render();
}

async function checkImage(checked, itemId) {
  const id = itemId || (state.image && state.image.item.id);
  if (!id) return message("c checks an audit image");
  const { status, answer } = await api(`/api/audit/images/${id}/checked`, { checked });
  if (status !== 200) return message(`not saved: ${answer.error}`, "error");
  const index = state.queue.findIndex((item) => item.itemId === id && item.kind === "image");
  updateRow({ id: state.queue[index].id, status: checked ? "checked" : "to check" });
  if (checked) state.undo.push({ imageItem: id });
  message(checked ? "saved: checked" : "undone: not checked", "saved");
  await refreshAudit();
  await go(checked ? index + 1 : index);
}

// ---- start ----
async function start() {
  $("shortcut-table").innerHTML = SHORTCUTS.map((s) => `<tr><td>${s.keys.map(escape).join(" ")}</td><td>${escape(s.text)}</td></tr>`).join("");
  $("help-button").addEventListener("click", toggleHelp);
  $("help-close").addEventListener("click", toggleHelp);
  const { status, answer } = await api("/api/run");
  if (status !== 200) return message(answer.error, "error");
  state.run = answer;
  $("run").textContent = `${answer.run} · reviewer ${answer.reviewer}`;
  $("f-iteration").innerHTML = `<option value="all">all</option>` +
    answer.iterations.map((k) => `<option value="${k}"${k === answer.iteration ? " selected" : ""}>${k}</option>`).join("");
  if (answer.audit) await startAudit(); else await loadQueue();
  document.body.dataset.ready = "true";
}
start();
