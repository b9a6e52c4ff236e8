// starvation explore: the page. Plain JavaScript and canvas 2-D drawing, no libraries.
// The state lives in the URL query; every change replaces the URL and asks the server
// (/api/portrait, /api/diagram) for data computed by the engine.
"use strict";

const DEFAULTS = {
  s1: "4", s2: "2", delta: "0.5", reg: "l2", lambda: "0.01", loss: "exact", eta: "1",
  x: "z1", y: "z2", t_end: "1000", gd: "0", gd_step: "0.1", metric: "ratio2", level: "0.5",
  cells: "200", orbit_method: "gd", momentum: "0.9", hsteps: "300",
};
// Keys that do not change the orbit diagram (the portrait's own and the phase diagram's).
const NOT_ORBIT_KEYS = ["y", "xr", "yr", "arrows", "density", "nullgrid", "traj", "t_end", "gd",
  "gd_step", "metric", "cells", "level", "ratio", "drange"];
// Keys that change the phase diagram (s1 and delta only move its marker).
const DIAGRAM_KEYS = ["s2", "reg", "lambda", "lambda_neg", "target_pos", "target_neg", "loss",
  "features", "metric", "level", "cells", "ratio", "drange"];

const state = {};            // query parameters (strings)
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
const SPEED = [[0xC8, 0xC8, 0xC8], [0x4A, 0x90, 0xC8], [0x08, 0x30, 0x6B]];
const DIVERGING = [[0x05, 0x30, 0x61], [0x21, 0x66, 0xAC], [0x43, 0x93, 0xC3], [0x92, 0xC5, 0xDE],
  [0xD1, 0xE5, 0xF0], [0xF7, 0xF7, 0xF7], [0xFD, 0xDB, 0xC7], [0xF4, 0xA5, 0x82], [0xD6, 0x60, 0x4D],
  [0xB2, 0x18, 0x2B], [0x67, 0x00, 0x1F]];
const INK = "#222", GRID = "#e4e4e4", STREAM = "#a8a8a8";

// Timing and counters, read by the browser tests and the latency benchmark.
const stats = window.__explore = {
  portraitRenders: 0, diagramRenders: 0, orbitRenders: 0, errors: 0, lastPortrait: null,
  lastDiagram: null, lastError: "", portraitData: null, diagramData: null, orbitData: null,
};

let portraitData = null, diagramData = null, orbitData = null;
// The state each drawing was computed for (captions describe what is drawn, not what is typed).
const shown = {};
function shownValue(path, k) {
  const st = shown[path] || {};
  return st[k] !== undefined ? st[k] : DEFAULTS[k];
}
let portraitFrame = null, diagramFrame = null;

// ---------- state and URL ----------
function query(keys) {
  const parts = [];
  for (const k of Object.keys(state)) {
    if (state[k] === undefined || state[k] === "") continue;
    if (keys && !keys.includes(k)) continue;
    parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]).replace(/%2C/g, ","));
  }
  return parts.join("&");
}
function pushUrl() {
  const q = query();
  history.replaceState(null, "", q ? "?" + q : location.pathname);
}
function readUrl(search) {
  for (const k of Object.keys(state)) delete state[k];
  const params = new URLSearchParams(search);
  for (const [k, v] of params) state[k] = v;
}
function get(k) { return state[k] !== undefined ? state[k] : DEFAULTS[k]; }

// ---------- requests (latest wins) ----------
function makeFetcher(path, onData, onStart) {
  let inflight = false, pending = false, startedAt = 0;
  async function go() {
    if (inflight) { pending = true; return; }
    inflight = true; pending = false;
    const t0 = startedAt || performance.now(); startedAt = 0;
    if (onStart) onStart();
    try {
      const q = query();
      const res = await fetch(path + "?" + q, { cache: "no-store" });
      const text = await res.text();
      if (!res.ok) { showError(text.trim()); }
      else if (!pending) { shown[path] = Object.fromEntries(new URLSearchParams(q)); onData(JSON.parse(text), t0); clearError(); }
    } catch (e) {
      showError("error: the explorer server does not answer (" + e.message + "); is it still running?");
    }
    inflight = false;
    if (pending) go();
  }
  return { request(t0) { if (!startedAt) startedAt = t0 || performance.now(); go(); } };
}

function showError(msg) {
  const box = document.getElementById("error");
  box.textContent = msg; box.hidden = false;
  // The drawings stay: they show the last valid view, marked as such.
  for (const id of ["portrait-panel", "diagram-panel", "series-panel", "orbit-panel"]) {
    document.getElementById(id).classList.add("stale");
  }
  stats.errors += 1; stats.lastError = msg;
  // Mark the control the message names.
  document.querySelectorAll(".row.invalid").forEach(r => r.classList.remove("invalid"));
  const m = /^error: ([^:]+):/.exec(msg);
  if (m) {
    const field = m[1].split(".").pop().replace(/\[\d+\]$/, "");
    const map = { lambda: "lambda", lambda_negative: "lambda_neg", target_positive: "target_pos", hrange: "hrange",
      target_negative: "target_neg", rate: "eta" };
    const key = map[field] || field;
    const row = document.querySelector(`.row[data-key="${key}"]`);
    if (row) row.classList.add("invalid");
  }
}
function clearError() {
  document.getElementById("error").hidden = true;
  for (const id of ["portrait-panel", "diagram-panel", "series-panel", "orbit-panel"]) {
    document.getElementById(id).classList.remove("stale");
  }
  document.querySelectorAll(".row.invalid").forEach(r => r.classList.remove("invalid"));
}

const portraitFetcher = makeFetcher("/api/portrait", (d, t0) => {
  portraitData = stats.portraitData = d;
  drawPortrait();
  drawSeries();
  if (diagramData) drawDiagram();
  updateReadouts();
  updateCoordinateSelects();
  const t1 = performance.now();
  document.getElementById("portrait-status").textContent =
    `${d.arrows.nx}×${d.arrows.ny} arrows, ${d.streamlines.length} streamlines, ` +
    `${d.trajectories.length} trajectories · server ${d.compute_ms.toFixed(1)} ms, round trip ${(t1 - t0).toFixed(1)} ms`;
  // Counted at the next animation frame, when the drawing goes to the screen.
  requestAnimationFrame(() => {
    const t2 = performance.now();
    stats.lastPortrait = { requested: t0, drawn: t1, ms: t1 - t0, frame_ms: t2 - t0, server_ms: d.compute_ms };
    stats.portraitRenders += 1;
  });
});
const diagramFetcher = makeFetcher("/api/diagram", (d, t0) => {
  diagramData = stats.diagramData = d;
  drawDiagram();
  const t1 = performance.now();
  if (d.unavailable) {
    document.getElementById("diagram-status").textContent = "";
    requestAnimationFrame(() => { stats.diagramRenders += 1; });
    return;
  }
  requestAnimationFrame(() => {
    const t2 = performance.now();
    stats.lastDiagram = { requested: t0, drawn: t1, ms: t1 - t0, frame_ms: t2 - t0, server_ms: d.compute_ms };
    stats.diagramRenders += 1;
  });
  document.getElementById("diagram-status").textContent =
    `${d.nx}×${d.ny} cells (${d.fast_path ? "fast toy solver" : "general solver"}${d.failed ? ", " + d.failed + " failed" : ""}) · server ${d.compute_ms.toFixed(1)} ms, round trip ${(t1 - t0).toFixed(1)} ms`;
});

const orbitFetcher = makeFetcher("/api/orbit", (d, t0) => {
  orbitData = stats.orbitData = d;
  drawOrbit();
  const t1 = performance.now();
  document.getElementById("orbit-status").textContent = d.unavailable ? "" :
    `${d.columns.length} steps × ${d.columns[0] ? d.columns[0].points.length || 48 : 0} points after ${d.transient} iterations` +
    `${d.columns.some(c => c.diverged_at !== null) ? ", " + d.columns.filter(c => c.diverged_at !== null).length + " diverged" : ""}` +
    ` · server ${d.compute_ms.toFixed(1)} ms, round trip ${(t1 - t0).toFixed(1)} ms`;
  requestAnimationFrame(() => { stats.orbitRenders += 1; });
});

function refresh(changedKeys, t0) {
  pushUrl();
  portraitFetcher.request(t0);
  if (!changedKeys || changedKeys.some(k => !NOT_ORBIT_KEYS.includes(k))) orbitFetcher.request(t0);
  if (isToy() && (!changedKeys || changedKeys.some(k => DIAGRAM_KEYS.includes(k)))) {
    diagramFetcher.request(t0);
  } else if (isToy()) {
    drawDiagram();
  }
}
function isToy() { return state.features === undefined; }

// ---------- controls ----------
function fmt(v) { return String(Number(Number(v).toPrecision(6))); }

function setupRow(row) {
  const key = row.dataset.key;
  const range = row.querySelector("input[type=range]");
  const text = row.querySelector("input[type=text]");
  const log = row.dataset.log === "1";
  if (range) {
    range.addEventListener("input", () => {
      const t0 = performance.now();
      const v = log ? fmt(Math.pow(10, Number(range.value))) : fmt(range.value);
      state[key] = v; text.value = v;
      refresh([key], t0);
    });
  }
  text.addEventListener("keydown", e => {
    if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
    const v = Number(text.value.trim());
    if (text.value.trim() === "" || !isFinite(v)) return;
    e.preventDefault();
    const step = keyStep(row, v) * (e.shiftKey ? 10 : 1) * (e.key === "ArrowUp" ? 1 : -1);
    const next = roundTo(v + step, Math.abs(step));
    state[key] = fmt(next); text.value = state[key];
    syncRange(row);
    refresh([key], performance.now());
  });
  text.addEventListener("change", () => {
    const t0 = performance.now();
    const v = text.value.trim();
    if (v === "" && row.dataset.optional) delete state[key]; else state[key] = v;
    syncRange(row);
    refresh([key], t0);
  });
}
// The arrow keys' step: the typed precision, else the slider's step, else 1 % of the value's
// decade (1 for whole-number fields).
function keyStep(row, v) {
  const typed = Number(document.getElementById("precision").value.trim());
  if (document.getElementById("precision").value.trim() !== "" && typed > 0 && isFinite(typed)) return typed;
  const range = row.querySelector("input[type=range]");
  if (range && row.dataset.log !== "1") return Number(range.step);
  if (row.querySelector("input[inputmode=numeric]")) return 1;
  return v === 0 ? 0.01 : Math.pow(10, Math.floor(Math.log10(Math.abs(v))) - 2);
}
// v rounded to the decimals of `step` (so that 0.1 + 0.2 shows as 0.3).
function roundTo(v, step) {
  const decimals = Math.max(0, Math.min(15, -Math.floor(Math.log10(step)) + 2));
  return Number(v.toFixed(decimals));
}
function syncRange(row) {
  const key = row.dataset.key;
  const range = row.querySelector("input[type=range]");
  const text = row.querySelector("input[type=text]");
  const v = state[key] !== undefined ? state[key] : (DEFAULTS[key] || "");
  if (document.activeElement !== text) text.value = v;
  if (range && v !== "" && isFinite(Number(v))) {
    range.value = row.dataset.log === "1" ? Math.log10(Number(v)) : Number(v);
  }
}
function syncControls() {
  document.querySelectorAll(".row[data-key]").forEach(syncRange);
  document.getElementById("reg").value = get("reg");
  document.getElementById("loss").value = get("loss");
  document.getElementById("metric").value = get("metric");
  document.getElementById("orbit-method").value = get("orbit_method");
  document.querySelectorAll('.row[data-key="momentum"] input').forEach(i => { i.disabled = get("orbit_method") === "gd"; });
  document.getElementById("gd").checked = get("gd") === "1";
  document.getElementById("series-log").checked = get("logy") === "1";
  document.getElementById("series-logt").checked = get("logt") === "1";
  document.getElementById("lock").checked = state.xr !== undefined;
  document.getElementById("sd-extra").hidden = get("reg") !== "sd";
  document.querySelectorAll('.row[data-key="lambda"] input').forEach(i => { i.disabled = get("reg") === "none"; });
  const toy = isToy();
  document.getElementById("toy-controls").hidden = !toy;
  const note = document.getElementById("features-note");
  note.hidden = toy;
  if (!toy) note.textContent = "Features from the spec: " + state.features;
  document.getElementById("diagram-panel").style.opacity = toy ? 1 : 0.4;
}
function updateCoordinateSelects() {
  const n = portraitData ? portraitData.features : 2;
  for (const [id, key] of [["coord-x", "x"], ["coord-y", "y"], ["orbit-z", "orbit_z"]]) {
    const sel = document.getElementById(id);
    if (sel.options.length !== n) {
      sel.innerHTML = "";
      for (let j = 1; j <= n; j++) sel.add(new Option("z" + j + (key === "x" ? " (x)" : key === "y" ? " (y)" : ""), "z" + j));
    }
    sel.value = key === "orbit_z" ? (state.orbit_z || get("x")) : get(key);
  }
}

function setupControls() {
  document.querySelectorAll(".row[data-key]").forEach(setupRow);
  for (const [id, key] of [["reg", "reg"], ["loss", "loss"], ["metric", "metric"], ["coord-x", "x"], ["coord-y", "y"],
    ["orbit-method", "orbit_method"], ["orbit-z", "orbit_z"]]) {
    document.getElementById(id).addEventListener("change", e => {
      const t0 = performance.now();
      state[key] = e.target.value;
      if (key === "x" || key === "y") { delete state.xr; delete state.yr; delete state.traj; }
      syncControls();
      refresh([key], t0);
    });
  }
  document.getElementById("gd").addEventListener("change", e => {
    state.gd = e.target.checked ? "1" : "0"; refresh(["gd"]);
  });
  document.getElementById("lock").addEventListener("change", e => {
    if (e.target.checked && portraitData) {
      state.xr = portraitData.x_range.map(fmt).join(",");
      state.yr = portraitData.y_range.map(fmt).join(",");
    } else { delete state.xr; delete state.yr; }
    refresh(["xr"]);
  });
  for (const [id, key] of [["series-log", "logy"], ["series-logt", "logt"]]) {
    document.getElementById(id).addEventListener("change", e => {
      if (e.target.checked) state[key] = "1"; else delete state[key];
      pushUrl(); drawSeries();
    });
  }
  const portrait = document.getElementById("portrait");
  portrait.addEventListener("click", e => {
    if (!portraitFrame) return;
    if (e.shiftKey) { delete state.traj; refresh(["traj"]); return; }
    const p = portraitFrame.invert(e);
    if (!p) return;
    const list = state.traj ? state.traj.split(";") : [];
    list.push(fmt(p[0]) + "," + fmt(p[1]));
    state.traj = list.slice(-20).join(";");
    refresh(["traj"]);
  });
  const diagram = document.getElementById("diagram");
  diagram.addEventListener("mousemove", e => showCell(e));
  diagram.addEventListener("click", e => {
    const c = diagramCell(e);
    if (!c) return;
    state.s1 = fmt(c.ratio * Number(get("s2")));
    state.delta = fmt(c.delta);
    syncControls();
    refresh(["s1", "delta"]);
  });
  document.getElementById("bisect-run").addEventListener("click", runBisect);
  for (const id of ["bisect-level", "bisect-range", "bisect-precision"]) {
    document.getElementById(id).addEventListener("keydown", e => { if (e.key === "Enter") runBisect(); });
  }
  document.getElementById("dl-spec").addEventListener("click", () => download("/api/spec"));
  document.getElementById("dl-svg").addEventListener("click", () => download("/api/portrait.svg"));
  document.getElementById("dl-png").addEventListener("click", () => download("/api/portrait.png"));
  document.getElementById("dl-view").addEventListener("click", () => download("/api/view.png"));
  document.getElementById("copy-link").addEventListener("click", () => copy(location.href));
  document.getElementById("copy-readouts").addEventListener("click", () =>
    copy(document.getElementById("readouts").textContent));
}
async function download(path) {
  // Check first so that a bad state shows its message instead of downloading it.
  const res = await fetch("/api/check?" + query(), { cache: "no-store" });
  if (!res.ok) { showError((await res.text()).trim()); return; }
  const a = document.createElement("a");
  a.href = path + "?" + query();
  a.download = "";
  document.body.appendChild(a); a.click(); a.remove();
}
function copy(text) {
  if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
}

// ---------- drawing helpers ----------
function setupCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}
function niceTicks(lo, hi, n) {
  const span = hi - lo, raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => span / s <= n) || 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) out.push(Math.abs(t) < 1e-12 * span ? 0 : t);
  return out;
}
function tickLabel(t) { return String(Number(t.toPrecision(4))); }
function frame(w, h, xr, yr, m, xlog) {
  const fx = xlog ? Math.log10 : (v => v);
  const x0 = fx(xr[0]), x1 = fx(xr[1]);
  const px = v => m.l + (fx(v) - x0) / (x1 - x0) * (w - m.l - m.r);
  const py = v => h - m.b - (v - yr[0]) / (yr[1] - yr[0]) * (h - m.t - m.b);
  return {
    px, py, m, w, h, xr, yr,
    inside(cx, cy) { return cx >= m.l && cx <= w - m.r && cy >= m.t && cy <= h - m.b; },
    data(cx, cy) {
      const u = (cx - m.l) / (w - m.l - m.r), v = (h - m.b - cy) / (h - m.t - m.b);
      const xv = x0 + u * (x1 - x0);
      return [xlog ? Math.pow(10, xv) : xv, yr[0] + v * (yr[1] - yr[0])];
    },
  };
}
function drawAxes(ctx, f, xlabel, ylabel, xticks) {
  const { m, w, h } = f;
  ctx.save();
  ctx.strokeStyle = GRID; ctx.lineWidth = 1;
  ctx.font = "12px 'DejaVu Sans', sans-serif"; ctx.fillStyle = INK;
  const xt = xticks || niceTicks(f.xr[0], f.xr[1], 7);
  const yt = niceTicks(f.yr[0], f.yr[1], 6);
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const t of xt) {
    const x = f.px(t);
    ctx.beginPath(); ctx.moveTo(x, m.t); ctx.lineTo(x, h - m.b); ctx.stroke();
    ctx.fillText(tickLabel(t), x, h - m.b + 5);
  }
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of yt) {
    const y = f.py(t);
    ctx.beginPath(); ctx.moveTo(m.l, y); ctx.lineTo(w - m.r, y); ctx.stroke();
    ctx.fillText(tickLabel(t), m.l - 6, y);
  }
  ctx.strokeStyle = INK;
  ctx.strokeRect(m.l, m.t, w - m.l - m.r, h - m.t - m.b);
  ctx.font = "14px 'DejaVu Sans', sans-serif";
  ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText(xlabel, m.l + (w - m.l - m.r) / 2, h - 4);
  ctx.save(); ctx.translate(14, m.t + (h - m.t - m.b) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText(ylabel, 0, 0); ctx.restore();
  ctx.restore();
}
function polyline(ctx, f, pts) {
  if (!pts || pts.length < 2) return;
  ctx.beginPath();
  ctx.moveTo(f.px(pts[0][0]), f.py(pts[0][1]));
  for (let i = 1; i < pts.length; i++) ctx.lineTo(f.px(pts[i][0]), f.py(pts[i][1]));
  ctx.stroke();
}
function lerpColour(table, t) {
  t = Math.min(1, Math.max(0, t));
  const x = t * (table.length - 1), i = Math.min(table.length - 2, Math.floor(x)), u = x - i;
  const a = table[i], b = table[i + 1];
  return [0, 1, 2].map(k => Math.round(a[k] + u * (b[k] - a[k])));
}
function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }
const SUB = "₀₁₂₃₄₅₆₇₈₉";
function zname(j) { return "z" + String(j + 1).split("").map(d => SUB[Number(d)]).join(""); }

// ---------- the portrait ----------
function drawPortrait() {
  const d = portraitData; if (!d) return;
  const canvas = document.getElementById("portrait");
  const { ctx, w, h } = setupCanvas(canvas);
  const f = frame(w, h, d.x_range, d.y_range, { l: 58, r: 14, t: 12, b: 46 }, false);
  portraitFrame = {
    invert(e) {
      const r = canvas.getBoundingClientRect();
      const cx = e.clientX - r.left, cy = e.clientY - r.top;
      return f.inside(cx, cy) ? f.data(cx, cy) : null;
    },
  };
  const [cx, cy] = d.coordinates;
  drawAxes(ctx, f, zname(cx), zname(cy));
  ctx.save();
  ctx.beginPath(); ctx.rect(f.m.l, f.m.t, w - f.m.l - f.m.r, h - f.m.t - f.m.b); ctx.clip();
  // Streamlines.
  ctx.strokeStyle = STREAM; ctx.lineWidth = 1;
  for (const s of d.streamlines) polyline(ctx, f, s);
  // Arrows: equal length, shaded by speed (log scale when speeds span > 2 decades).
  const a = d.arrows, W = d.x_range[1] - d.x_range[0], H = d.y_range[1] - d.y_range[0];
  const speeds = [];
  for (let k = 0; k < a.u.length; k++) {
    const u = a.u[k], v = a.v[k];
    if (u === null || v === null) continue;
    const s = Math.hypot(u / W, v / H); if (s > 0) speeds.push(s);
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of speeds) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const logScale = hi / lo > 100;
  const shade = s => logScale ? (Math.log(s) - Math.log(lo)) / (Math.log(hi) - Math.log(lo) || 1) : (s - lo) / (hi - lo || 1);
  const cell = Math.min((w - f.m.l - f.m.r) / a.nx, (h - f.m.t - f.m.b) / a.ny);
  const len = 0.75 * cell, hl = Math.max(2.5, 0.32 * len), BINS = 24;
  // One path per shade bin: a few dozen draw calls instead of thousands.
  const shafts = Array.from({ length: BINS }, () => new Path2D());
  const heads = Array.from({ length: BINS }, () => new Path2D());
  for (let j = 0; j < a.ny; j++) for (let i = 0; i < a.nx; i++) {
    const k = j * a.nx + i, u = a.u[k], v = a.v[k];
    if (u === null || v === null) continue;
    const x = d.x_range[0] + W * i / (a.nx - 1), y = d.y_range[0] + H * j / (a.ny - 1);
    const dx = u / W * (w - f.m.l - f.m.r), dy = -v / H * (h - f.m.t - f.m.b);
    const n = Math.hypot(dx, dy); if (!(n > 0)) continue;
    const ux = dx / n, uy = dy / n, X = f.px(x), Y = f.py(y);
    const x0 = X - ux * len / 2, y0 = Y - uy * len / 2, x1 = X + ux * len / 2, y1 = Y + uy * len / 2;
    const b = Math.min(BINS - 1, Math.max(0, Math.floor(shade(Math.hypot(u / W, v / H)) * BINS)));
    shafts[b].moveTo(x0, y0); shafts[b].lineTo(x1, y1);
    heads[b].moveTo(x1, y1);
    heads[b].lineTo(x1 - hl * (ux * 0.9 - uy * 0.45), y1 - hl * (uy * 0.9 + ux * 0.45));
    heads[b].lineTo(x1 - hl * (ux * 0.9 + uy * 0.45), y1 - hl * (uy * 0.9 - ux * 0.45));
    heads[b].closePath();
  }
  ctx.lineWidth = 1.1;
  for (let b = 0; b < BINS; b++) {
    ctx.strokeStyle = ctx.fillStyle = rgb(lerpColour(SPEED, (b + 0.5) / BINS));
    ctx.stroke(shafts[b]); ctx.fill(heads[b]);
  }
  // Nullclines.
  ctx.lineWidth = 2.2;
  ctx.strokeStyle = PALETTE[1]; for (const p of d.nullclines[0]) polyline(ctx, f, p);
  ctx.strokeStyle = PALETTE[2]; for (const p of d.nullclines[1]) polyline(ctx, f, p);
  // Gradient descent from 0.
  if (d.gd) {
    ctx.strokeStyle = PALETTE[3]; ctx.lineWidth = 1.5; ctx.setLineDash([5, 4]);
    polyline(ctx, f, d.gd.points); ctx.setLineDash([]);
    ctx.fillStyle = PALETTE[3];
    const step = Math.max(1, Math.floor(d.gd.points.length / 40));
    for (let k = 0; k < d.gd.points.length; k += step) {
      const p = d.gd.points[k]; ctx.beginPath(); ctx.arc(f.px(p[0]), f.py(p[1]), 2, 0, 7); ctx.fill();
    }
  }
  // Trajectories.
  ctx.strokeStyle = "#000"; ctx.fillStyle = "#000"; ctx.lineWidth = 1.8;
  for (const t of d.trajectories) {
    polyline(ctx, f, t.points);
    ctx.beginPath(); ctx.arc(f.px(t.start[0]), f.py(t.start[1]), 3.2, 0, 7); ctx.fill();
  }
  // Eigenvectors of J at z*: segments through z* along each projected eigenvector.
  if (d.equilibrium && d.equilibrium.visible) {
    const e = d.equilibrium, X = f.px(e.point[0]), Y = f.py(e.point[1]);
    const pw = w - f.m.l - f.m.r, ph = h - f.m.t - f.m.b, L = 0.16 * Math.min(pw, ph);
    ctx.lineWidth = 2.4; ctx.strokeStyle = ctx.fillStyle = PALETTE[4];
    ctx.font = "12px 'DejaVu Sans', sans-serif"; ctx.textBaseline = "middle";
    for (const v of e.eigenvectors || []) {
      const dx = v.projected[0] / W * pw, dy = -v.projected[1] / H * ph, n = Math.hypot(dx, dy);
      if (!(n > 1e-9 * (pw + ph))) continue;
      let ux = dx / n, uy = dy / n;
      ctx.beginPath(); ctx.moveTo(X - L * ux, Y - L * uy); ctx.lineTo(X + L * ux, Y + L * uy); ctx.stroke();
      // The label at the end farther from the panel's edges, kept inside the panel.
      const room = s => Math.min(X + s * L * ux - f.m.l, w - f.m.r - (X + s * L * ux), Y + s * L * uy - f.m.t, h - f.m.b - (Y + s * L * uy));
      if (room(-1) > room(1)) { ux = -ux; uy = -uy; }
      const text = `λ = ${v.eigenvalue.toPrecision(4)}`, tw = ctx.measureText(text).width;
      let lx = X + (L + 6) * ux, ly = Y + (L + 6) * uy;
      lx = ux >= 0 ? Math.min(lx, w - f.m.r - tw - 3) : Math.max(lx, f.m.l + tw + 3);
      ly = Math.min(Math.max(ly, f.m.t + 9), h - f.m.b - 9);
      ctx.textAlign = ux >= 0 ? "left" : "right";
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(ux >= 0 ? lx - 2 : lx - tw - 2, ly - 8, tw + 4, 16);
      ctx.fillStyle = PALETTE[4];
      ctx.fillText(text, lx, ly);
    }
  }
  // Equilibrium.
  if (d.equilibrium && d.equilibrium.visible) {
    const e = d.equilibrium, X = f.px(e.point[0]), Y = f.py(e.point[1]);
    const stable = e.stability.startsWith("stable");
    ctx.lineWidth = 2; ctx.strokeStyle = PALETTE[0]; ctx.fillStyle = stable ? PALETTE[0] : "#fff";
    ctx.beginPath(); ctx.arc(X, Y, 6.5, 0, 7); ctx.fill(); ctx.stroke();
  }
  ctx.restore();
  drawPortraitLegend(ctx, f, d, lo, hi, logScale);
  const g = k => shownValue("/api/portrait", k);
  const caption = isToy()
    ? `s₁ = ${g("s1")}, s₂ = ${g("s2")}, δ = ${g("delta")}, ${regName(g)}, ${g("loss").replace("_", " ")} loss, η = ${g("eta")}`
    : `${d.features} features (slice through z* in the other coordinates), ${regName(g)}`;
  document.getElementById("portrait-caption").textContent = caption;
}
function regName(g) {
  const r = g("reg");
  return r === "none" ? "no regulariser" : `${r.toUpperCase()} λ = ${g("lambda")}`;
}
function drawPortraitLegend(ctx, f, d, lo, hi, logScale) {
  // The legend and the arrow key sit under the canvas (HTML), so they never hide the portrait.
  const items = [];
  const esc = t => String(t).replace(/[&<>]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c]));
  const line = (colour, text, dash) => `<span class="item"><span class="swatch${dash ? " dash" : ""}" style="border-color:${colour}"></span>${esc(text)}</span>`;
  items.push(line(PALETTE[1], `${zname(d.coordinates[0])}-nullcline (ż${SUB[d.coordinates[0] + 1] || ""} = 0)`));
  items.push(line(PALETTE[2], `${zname(d.coordinates[1])}-nullcline (ż${SUB[d.coordinates[1] + 1] || ""} = 0)`));
  items.push(line(STREAM, "streamlines"));
  if (d.equilibrium) {
    const stable = d.equilibrium.stability.startsWith("stable");
    items.push(`<span class="item"><span class="dot" style="background:${stable ? PALETTE[0] : "#fff"}"></span>z* = (${d.equilibrium.point.map(v => v.toPrecision(6)).join(", ")}), ${esc(d.equilibrium.stability.replace("_", " "))}${d.equilibrium.visible ? "" : " (outside the view)"}</span>`);
  }
  if (d.equilibrium && (d.equilibrium.eigenvectors || []).length) items.push(line(PALETTE[4], "eigenvectors of the Jacobian at z* (labelled with their eigenvalues)"));
  if (d.trajectories.length) items.push(line("#000", `trajectories (${d.trajectories[0].method}, t ≤ ${get("t_end")})`));
  if (d.gd) items.push(line(PALETTE[3], `gradient descent from 0, h = ${get("gd_step")}`, true));
  const fmtS = v => isFinite(v) ? v.toPrecision(2) : "–";
  items.push(`<span class="item">arrows: direction; colour = speed${logScale ? " (log scale)" : ""} ${fmtS(lo)} <span class="bar"></span> ${fmtS(hi)} panel sizes per unit time</span>`);
  document.getElementById("portrait-legend").innerHTML = items.join("");
}

// ---------- the phase diagram ----------
let diagramGeometry = null;
function diagramColourRange(d) {
  if (!d.range) {
    let lo = Infinity, hi = -Infinity;
    for (const v of d.values) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    d.range = d.metric.startsWith("ratio") ? [0, Math.max(1, hi)] : [lo, hi];
  }
  return d.range;
}
function drawDiagram() {
  const d = diagramData;
  const canvas = document.getElementById("diagram");
  const { ctx, w, h } = setupCanvas(canvas);
  if (!isToy() || (d && d.unavailable)) {
    ctx.fillStyle = INK; ctx.font = "13px 'DejaVu Sans', sans-serif";
    ctx.fillText(d && d.unavailable ? d.unavailable : "The phase diagram over (s₁/s₂, δ) is drawn for the toy only.", 20, 40);
    document.getElementById("diagram-caption").textContent = "";
    diagramGeometry = null; return;
  }
  if (!d) return;
  const f = frame(w, h, d.ratio_range, d.delta_range, { l: 58, r: 86, t: 12, b: 46 }, true);
  const [vlo, vhi] = diagramColourRange(d);
  // Cells as an image, one pixel per cell, stretched (built once per diagram).
  if (!d.image) {
    const img = new ImageData(d.nx, d.ny);
    for (let j = 0; j < d.ny; j++) for (let i = 0; i < d.nx; i++) {
      const v = d.values[j * d.nx + i], o = 4 * ((d.ny - 1 - j) * d.nx + i);
      const c = v === null ? [0xD4, 0xD4, 0xD4] : lerpColour(DIVERGING, (v - vlo) / (vhi - vlo || 1));
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
    }
    d.image = document.createElement("canvas"); d.image.width = d.nx; d.image.height = d.ny;
    d.image.getContext("2d").putImageData(img, 0, 0);
  }
  const off = d.image;
  ctx.imageSmoothingEnabled = false;
  const pw = w - f.m.l - f.m.r, ph = h - f.m.t - f.m.b;
  // Cell centres sit on the grid nodes: half a cell beyond the range on each side is clipped.
  const cw = pw / (d.nx - 1), ch = ph / (d.ny - 1);
  ctx.save(); ctx.beginPath(); ctx.rect(f.m.l, f.m.t, pw, ph); ctx.clip();
  ctx.drawImage(off, f.m.l - cw / 2, f.m.t - ch / 2, pw + cw, ph + ch);
  // Threshold level set (computed in (log10 ratio, δ)).
  ctx.strokeStyle = "#000"; ctx.lineWidth = 2.2;
  for (const piece of d.level_set) polyline(ctx, f, piece.map(p => [Math.pow(10, p[0]), p[1]]));
  // Current parameters.
  // The marker stays at the last valid model while a typed value is refused.
  const sv = k => shownValue("/api/portrait", k);
  const cr = Number(sv("s1")) / Number(sv("s2")), cd = Number(sv("delta"));
  if (isFinite(cr) && isFinite(cd)) {
    const X = f.px(cr), Y = f.py(cd);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 4;
    ctx.beginPath(); ctx.moveTo(X - 7, Y - 7); ctx.lineTo(X + 7, Y + 7); ctx.moveTo(X - 7, Y + 7); ctx.lineTo(X + 7, Y - 7); ctx.stroke();
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.stroke();
  }
  ctx.restore();
  const xt = [1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 100].filter(t => t >= d.ratio_range[0] && t <= d.ratio_range[1]);
  drawAxes(ctx, f, "s₁/s₂ (log)", "δ", xt);
  // Colour bar.
  const bx = w - f.m.r + 14, bw = 14;
  for (let k = 0; k < ph; k++) { ctx.fillStyle = rgb(lerpColour(DIVERGING, 1 - k / (ph - 1))); ctx.fillRect(bx, f.m.t + k, bw, 1); }
  ctx.strokeStyle = INK; ctx.lineWidth = 1; ctx.strokeRect(bx, f.m.t, bw, ph);
  ctx.fillStyle = INK; ctx.font = "11px 'DejaVu Sans', sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
  for (const t of niceTicks(vlo, vhi, 5)) ctx.fillText(tickLabel(t), bx + bw + 4, f.m.t + ph * (1 - (t - vlo) / (vhi - vlo || 1)));
  if (d.level >= vlo && d.level <= vhi) {
    const y = f.m.t + ph * (1 - (d.level - vlo) / (vhi - vlo || 1));
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.beginPath(); ctx.moveTo(bx - 3, y); ctx.lineTo(bx + bw + 3, y); ctx.stroke();
  }
  document.getElementById("diagram-caption").textContent =
    `${d.label} at s₂ = ${fmt(d.s2)}, ${regName(k => shownValue("/api/diagram", k))}; black: ${d.label} = ${fmt(d.level)}; ✕ current`;
  diagramGeometry = { f, d, canvas };
}
function diagramCell(e) {
  if (!diagramGeometry) return null;
  const { f, d, canvas } = diagramGeometry;
  const r = canvas.getBoundingClientRect();
  const cx = e.clientX - r.left, cy = e.clientY - r.top;
  if (!f.inside(cx, cy)) return null;
  const [ratio, delta] = f.data(cx, cy);
  const lr0 = Math.log10(d.ratio_range[0]), lr1 = Math.log10(d.ratio_range[1]);
  const i = Math.round((Math.log10(ratio) - lr0) / (lr1 - lr0) * (d.nx - 1));
  const j = Math.round((delta - d.delta_range[0]) / (d.delta_range[1] - d.delta_range[0]) * (d.ny - 1));
  const ri = Math.pow(10, lr0 + (lr1 - lr0) * i / (d.nx - 1));
  const dj = d.delta_range[0] + (d.delta_range[1] - d.delta_range[0]) * j / (d.ny - 1);
  return { i, j, ratio: ri, delta: dj, k: j * d.nx + i };
}
function showCell(e) {
  const c = diagramCell(e); if (!c) return;
  const d = diagramGeometry.d, v = x => x === null ? "failed" : Number(x).toPrecision(6);
  document.getElementById("diagram-hover").textContent =
    `s₁/s₂ = ${c.ratio.toPrecision(4)}  δ = ${c.delta.toFixed(4)}  z₁* = ${v(d.z1[c.k])}  z₂* = ${v(d.z2[c.k])}  ${d.label} = ${v(d.values[c.k])}`;
}

// ---------- the time series z(t) ----------
function drawSeries() {
  const d = portraitData; if (!d) return;
  const canvas = document.getElementById("series");
  const { ctx, w, h } = setupCanvas(canvas);
  const logY = get("logy") === "1", logT = get("logt") === "1";
  const runs = d.trajectories.map(t => ({ t, dash: false }));
  if (d.gd) runs.push({ t: d.gd, dash: true });
  const legend = document.getElementById("series-legend");
  if (!runs.length) {
    ctx.fillStyle = INK; ctx.font = "13px 'DejaVu Sans', sans-serif";
    ctx.fillText("Click the portrait to launch a trajectory (or tick the gradient-descent run): z(t) is drawn here.", 20, 40);
    legend.innerHTML = ""; document.getElementById("series-caption").textContent = "";
    stats.seriesLines = 0; return;
  }
  const yv = v => logY ? (Math.abs(v) > 0 ? Math.log10(Math.abs(v)) : null) : v;
  const tv = t => logT ? (t > 0 ? Math.log10(t) : null) : t;
  let t0 = Infinity, t1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const { t } of runs) {
    for (let k = 0; k < t.times.length; k++) {
      const tt = tv(t.times[k]); if (tt === null) continue;
      t0 = Math.min(t0, tt); t1 = Math.max(t1, tt);
      for (const v of t.series[k]) { const y = yv(v); if (y !== null && isFinite(y)) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); } }
    }
  }
  if (!(t1 > t0)) t1 = t0 + 1;
  if (!(y1 > y0)) { y0 -= 0.5; y1 += 0.5; }
  const pad = 0.05 * (y1 - y0); y0 -= pad; y1 += pad;
  const f = frame(w, h, [t0, t1], [y0, y1], { l: 58, r: 14, t: 10, b: 40 }, false);
  drawAxes(ctx, f, logT ? "log₁₀ t" : "t", logY ? "log₁₀ |zⱼ|" : "zⱼ");
  ctx.save(); ctx.beginPath(); ctx.rect(f.m.l, f.m.t, w - f.m.l - f.m.r, h - f.m.t - f.m.b); ctx.clip();
  const n = d.features;
  let lines = 0;
  for (const { t, dash } of runs) {
    ctx.setLineDash(dash ? [5, 4] : []);
    for (let j = 0; j < n; j++) {
      ctx.strokeStyle = PALETTE[j % PALETTE.length]; ctx.lineWidth = 1.6;
      ctx.beginPath(); let on = false;
      for (let k = 0; k < t.times.length; k++) {
        const x = tv(t.times[k]), y = yv(t.series[k][j]);
        if (x === null || y === null || !isFinite(y)) { on = false; continue; }
        if (on) ctx.lineTo(f.px(x), f.py(y)); else { ctx.moveTo(f.px(x), f.py(y)); on = true; }
      }
      ctx.stroke(); lines += 1;
    }
  }
  ctx.setLineDash([]); ctx.restore();
  stats.seriesLines = lines;
  const esc = t => String(t).replace(/[&<>]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c]));
  const items = [];
  for (let j = 0; j < Math.min(n, 12); j++) items.push(`<span class="item"><span class="swatch" style="border-color:${PALETTE[j % PALETTE.length]}"></span>${esc(zname(j))}</span>`);
  if (n > 12) items.push(`<span class="item">… ${n} coordinates (colours repeat)</span>`);
  items.push(`<span class="item">solid: clicked trajectories${d.gd ? "; dashed: gradient descent from 0" : ""}</span>`);
  legend.innerHTML = items.join("");
  document.getElementById("series-caption").textContent = `every coordinate of ${runs.length} run${runs.length > 1 ? "s" : ""}`;
}

// ---------- the orbit diagram of the training map ----------
function drawOrbit() {
  const d = orbitData; if (!d) return;
  const canvas = document.getElementById("orbit");
  const { ctx, w, h } = setupCanvas(canvas);
  if (d.unavailable) {
    ctx.fillStyle = INK; ctx.font = "13px 'DejaVu Sans', sans-serif";
    ctx.fillText(d.unavailable.slice(0, 90), 12, 40);
    document.getElementById("orbit-caption").textContent = ""; return;
  }
  let y0 = Infinity, y1 = -Infinity;
  for (const c of d.columns) for (const v of c.points) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
  const zs = d.equilibrium[d.coordinate];
  if (!isFinite(y0)) { y0 = zs - 1; y1 = zs + 1; }
  if (!(y1 - y0 > 1e-9 * (1 + Math.abs(zs)))) { y0 -= 0.5 + 0.05 * Math.abs(zs); y1 += 0.5 + 0.05 * Math.abs(zs); }
  const pad = 0.06 * (y1 - y0); y0 -= pad; y1 += pad;
  const f = frame(w, h, d.h_range, [y0, y1], { l: 58, r: 14, t: 10, b: 40 }, false);
  drawAxes(ctx, f, "step h", zname(d.coordinate) + " (attractor)");
  ctx.save(); ctx.beginPath(); ctx.rect(f.m.l, f.m.t, w - f.m.l - f.m.r, h - f.m.t - f.m.b); ctx.clip();
  ctx.fillStyle = INK;
  for (const c of d.columns) {
    const X = f.px(c.step);
    if (c.diverged_at !== null) {
      ctx.fillStyle = PALETTE[3]; ctx.fillRect(X - 1, h - f.m.b - 7, 2, 7); ctx.fillStyle = INK; continue;
    }
    for (const v of c.points) ctx.fillRect(X - 0.9, f.py(v) - 0.9, 1.8, 1.8);
  }
  const hs = d.predicted_flip;
  if (hs >= d.h_range[0] && hs <= d.h_range[1]) {
    const X = f.px(hs);
    ctx.strokeStyle = PALETTE[0]; ctx.lineWidth = 1.6; ctx.setLineDash([6, 4]);
    ctx.beginPath(); ctx.moveTo(X, f.m.t); ctx.lineTo(X, h - f.m.b); ctx.stroke(); ctx.setLineDash([]);
    ctx.fillStyle = PALETTE[0]; ctx.font = "12px 'DejaVu Sans', sans-serif"; ctx.textBaseline = "top";
    const rule = d.method === "gd" ? "2/|λ_min|" : "2(1+μ)/|λ_min|";
    ctx.textAlign = X > w / 2 ? "right" : "left";
    ctx.fillText(`h* = ${rule} = ${hs.toPrecision(5)}`, X + (X > w / 2 ? -5 : 5), f.m.t + 4);
  }
  ctx.restore();
  document.getElementById("orbit-caption").textContent =
    (d.method === "gd" ? "gradient descent" : `heavy ball, μ = ${d.momentum}`) +
    `, from next to z*; λ_min = ${d.lambda_min.toPrecision(4)}; red ticks: diverged`;
}

// ---------- readouts ----------
function vec(v) { return "[" + v.map(x => x === null ? "null" : x.toFixed(10)).join(", ") + "]"; }
function updateReadouts() {
  const d = portraitData, pre = document.getElementById("readouts");
  if (!d.readouts) { pre.textContent = d.no_equilibrium || "no equilibrium"; return; }
  const r = d.readouts, L = [];
  L.push(`z*            ${vec(r.z)}`);
  L.push(`margins a*    ${vec(r.margins)}`);
  L.push(`eigenvalues   [${r.eigenvalues.map(e => e[1] === 0 ? e[0].toExponential(6) : `${e[0].toExponential(6)}${e[1] >= 0 ? "+" : ""}${e[1].toExponential(2)}i`).join(", ")}]  → ${r.stability}`);
  L.push(`residual      ${r.residual.toExponential(2)} after ${r.iterations} Newton iterations`);
  if (r.uncoupled) {
    L.push(`uncoupled z⁰  ${vec(r.uncoupled)}`);
    L.push(`z*/z⁰         ${vec(r.ratios)}`);
  }
  L.push("starvation matrix M_ji = ∂z_j*/∂(s_i²):");
  r.starvation_matrix.forEach((row, j) => L.push(`  z${String(j + 1).padEnd(3)} ${row.map(x => x.toExponential(6).padStart(14)).join(" ")}`));
  L.push(`∂z*/∂λ        ${vec(r.dz_dlambda)}`);
  if (r.dz_ddelta) L.push(`∂z*/∂δ        ${vec(r.dz_ddelta)}`);
  if (r.closed_forms.length) {
    L.push("closed forms:");
    L.push(`  ${"quantity".padEnd(34)} ${"source".padEnd(40)} ${"exact".padStart(16)} ${"closed form".padStart(16)} ${"rel. err".padStart(10)}`);
    for (const c of r.closed_forms) {
      L.push(`  ${c.name.padEnd(34)} ${c.source.padEnd(40)} ${c.exact.toFixed(10).padStart(16)} ${c.closed_form.toFixed(10).padStart(16)} ${c.relative_error.toExponential(2).padStart(10)}`);
    }
  }
  pre.textContent = L.join("\n");
}

// ---------- an experiment spec (trained by the server in the background) ----------
async function pollExperiment() {
  let st;
  try { st = await (await fetch("/api/experiment", { cache: "no-store" })).json(); } catch (e) { return; }
  stats.experimentState = st.state;
  if (st.state === "none") return;
  document.getElementById("experiment-panel").hidden = false;
  document.getElementById("experiment-caption").textContent = st.name + " (the spec's experiment, trained by the engine as `starvation run` does)";
  const status = document.getElementById("experiment-status");
  if (st.state === "training") {
    status.textContent = `training… ${st.done} / ${st.total} epochs (all settings and seeds)`;
    setTimeout(pollExperiment, 500);
  } else if (st.state === "failed") {
    status.textContent = st.message;
  } else {
    status.textContent = `trained: ${st.total} epochs`;
    const img = document.getElementById("experiment-figure");
    img.onload = () => { stats.experimentShown = true; };
    img.src = "/api/experiment.png"; img.hidden = false;
    const pre = document.getElementById("experiment-report");
    pre.textContent = st.message.trim(); pre.hidden = false;
  }
}

// ---------- automatic bisection (/api/bisect) ----------
const BISECT_KEYS = ["bisect", "bisect_metric", "bisect_level", "bisect_range", "bisect_precision"];
const FIELD_SYMBOL = { s1: "s₁", s2: "s₂", delta: "δ", lambda: "λ", eta: "η", step: "h" };
function bisectParams() {
  const p = { bisect: document.getElementById("bisect-field").value };
  const m = document.getElementById("bisect-metric").value;
  if (m !== "auto") p.bisect_metric = m;
  for (const [id, key] of [["bisect-level", "bisect_level"], ["bisect-range", "bisect_range"], ["bisect-precision", "bisect_precision"]]) {
    const v = document.getElementById(id).value.trim();
    if (v) p[key] = v;
  }
  // The typed keyboard step is the precision when none is given here.
  const step = document.getElementById("precision").value.trim();
  if (p.bisect_precision === undefined && step) p.bisect_precision = step;
  return p;
}
function syncBisect() {
  if (state.bisect !== undefined) document.getElementById("bisect-field").value = state.bisect;
  document.getElementById("bisect-metric").value = state.bisect_metric || "auto";
  document.getElementById("bisect-level").value = state.bisect_level || "";
  document.getElementById("bisect-range").value = state.bisect_range || "";
  document.getElementById("bisect-precision").value = state.bisect_precision || "";
}
async function runBisect() {
  const p = bisectParams();
  const base = query().split("&").filter(x => x && !BISECT_KEYS.includes(decodeURIComponent(x.split("=")[0])));
  const extra = Object.entries(p).map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v).replace(/%2C/g, ","));
  const out = document.getElementById("bisect-result");
  out.textContent = "locating…"; out.classList.remove("failed");
  let res, text;
  try {
    res = await fetch("/api/bisect?" + base.concat(extra).join("&"), { cache: "no-store" });
    text = await res.text();
  } catch (e) { out.textContent = "error: the explorer server does not answer"; return; }
  if (!res.ok) {
    // The last located value stays in the URL; the message names the parameter.
    out.textContent = text.trim(); out.classList.add("failed");
    stats.bisectError = text.trim(); stats.bisectRuns = (stats.bisectRuns || 0) + 1;
    return;
  }
  const d = JSON.parse(text);
  for (const k of BISECT_KEYS) delete state[k];
  Object.assign(state, p); pushUrl();
  const f = FIELD_SYMBOL[d.field] || d.field, num = v => v === null ? "—" : Number(v).toPrecision(12);
  const L = [`${d.symbol} = ${d.level} along ${f} ∈ [${num(d.range[0])}, ${num(d.range[1])}]`,
    `${d.grid} grid points, precision ${Number(d.precision).toExponential(2)} · server ${d.compute_ms.toFixed(0)} ms`];
  for (const c of d.crossings) {
    if (c.status === "found") {
      L.push(`${f} = ${num(c.value)}  (${c.direction})`);
      L.push(`  bracket [${num(c.bracket[0])}, ${num(c.bracket[1])}], width ${Number(c.width).toExponential(2)}`);
    } else {
      L.push(c.status === "not_found" ? "no crossing of the level in the range" : "failed: no valid value in the range");
    }
  }
  if (d.predicted_flip !== null) L.push(`predicted flip h* = ${num(d.predicted_flip)} (eigenvalues at z*)`);
  out.textContent = L.join("\n");
  stats.bisectData = d; stats.bisectError = ""; stats.bisectRuns = (stats.bisectRuns || 0) + 1;
}

// ---------- start ----------
async function start() {
  setupControls();
  let search = location.search.replace(/^\?/, "");
  if (!search) {
    try { search = (await (await fetch("/api/initial")).json()).query; } catch (e) { search = ""; }
  }
  readUrl(search);
  // The URL carries the whole model, so a shared link does not depend on the page's defaults.
  const modelKeys = isToy() ? ["s1", "s2", "delta", "reg", "lambda", "loss", "eta"] : ["reg", "lambda", "loss", "eta"];
  for (const k of modelKeys) if (state[k] === undefined) state[k] = DEFAULTS[k];
  syncControls();
  updateCoordinateSelects();
  syncBisect();
  refresh(null);
  if (state.bisect !== undefined) runBisect();
  pollExperiment();
}
window.addEventListener("resize", () => { drawPortrait(); drawDiagram(); drawSeries(); drawOrbit(); });
start();
