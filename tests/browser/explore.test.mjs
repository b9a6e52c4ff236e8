// `starvation explore` in a real headless Chromium: the page loads and draws, a slider moves the
// model (and the equilibrium shown is the one `starvation equilibrium` prints for the same spec),
// a click launches a trajectory that ends at z*, the URL carries the whole state, a bad value
// shows the CLI's one-line message, the n-feature slice and the downloads work.
// Screenshots: target/explore-browser/*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, open, stats, waitRender, OUT, BIN, URL_BASE } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const shot = (page, name) => page.screenshot({ path: join(OUT, name), fullPage: true });
/** JS errors other than the expected failed (400) loads. */
const jsErrors = page => page.jsErrors.filter(e => !/status of 400/.test(e));

/** The numbers of a readout line such as `z*            [7.8120486241, 1.4668142578]`. */
function numbers(text, label) {
  const line = text.split("\n").find(l => l.trimStart().startsWith(label));
  assert.ok(line, `no line starting with ${label} in:\n${text}`);
  return [...line.slice(line.indexOf(label) + label.length).matchAll(/-?\d+\.\d+(e[-+]?\d+)?/g)]
    .map(m => Number(m[0]));
}

/** Runs `starvation equilibrium` on the spec the page downloads for its current state. */
async function cliEquilibrium(page) {
  const q = new URL(page.url()).search.slice(1);
  const spec = await (await fetch(`${URL_BASE}api/spec?${q}`)).text();
  const dir = mkdtempSync(join(tmpdir(), "explore-cli-"));
  writeFileSync(join(dir, "view.json"), spec);
  return execFileSync(BIN, ["equilibrium", join(dir, "view.json"), "--out", join(dir, "out")],
    { encoding: "utf8" });
}

test("the page loads offline and draws the portrait, the diagram and the readouts", async () => {
  const page = await open(browser);
  const d = await page.evaluate(() => window.__explore.portraitData);
  assert.equal(d.arrows.nx * d.arrows.ny, 1600, "40 × 40 arrows");
  assert.ok(d.streamlines.length >= 10, `streamlines drawn (${d.streamlines.length})`);
  assert.ok(d.nullclines[0].length > 0 && d.nullclines[1].length > 0, "both nullclines");
  assert.equal(d.equilibrium.stability, "stable_node");
  const g = await page.evaluate(() => window.__explore.diagramData);
  assert.equal(g.values.length, 200 * 200);
  assert.ok(g.level_set.length > 0, "the threshold level set is drawn");
  // The canvas is not blank: many distinct colours.
  const colours = await page.evaluate(() => {
    const c = document.getElementById("portrait"), x = c.getContext("2d");
    const px = x.getImageData(0, 0, c.width, c.height).data, seen = new Set();
    for (let i = 0; i < px.length; i += 4 * 7) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return seen.size;
  });
  assert.ok(colours > 20, `portrait has ${colours} colours`);
  assert.deepEqual(jsErrors(page), []);
  await shot(page, "01_loaded.png");
  await page.close();
});

test("moving the s₁ slider redraws with the equilibrium `starvation equilibrium` prints", async () => {
  const page = await open(browser);
  const zBefore = numbers(await page.textContent("#readouts"), "z*");
  const s = await stats(page);
  await page.locator('.row[data-key="s1"] input[type=range]').fill("6");
  await waitRender(page, s);
  assert.match(page.url(), /[?&]s1=6(&|$)/);
  const shown = await page.textContent("#readouts");
  const zShown = numbers(shown, "z*");
  // Theorem 1: a stronger feature 1 starves feature 2 (z₂* falls, z₁* grows).
  assert.ok(zShown[0] > zBefore[0] && zShown[1] < zBefore[1], `${zBefore} → ${zShown}`);
  const cli = cliEquilibrium(page);
  const text = await cli;
  for (const label of ["z*", "margins a*", "uncoupled z⁰", "z*/z⁰"]) {
    assert.deepEqual(numbers(shown, label), numbers(text, label), label);
  }
  // The marker drawn is z*.
  const marker = await page.evaluate(() => window.__explore.portraitData.equilibrium.point);
  assert.ok(Math.abs(marker[0] - zShown[0]) < 1e-9 && Math.abs(marker[1] - zShown[1]) < 1e-9);
  await shot(page, "02_slider_s1_6.png");
  await page.close();
});

test("a click launches a trajectory that ends at z*; shift-click clears", async () => {
  const page = await open(browser, "s1=6");
  const box = await page.locator("#portrait").boundingBox();
  let s = await stats(page);
  await page.mouse.click(box.x + 120, box.y + box.height - 120);
  await waitRender(page, s);
  s = await stats(page);
  await page.mouse.click(box.x + 200, box.y + 60);
  await waitRender(page, s);
  const d = await page.evaluate(() => window.__explore.portraitData);
  assert.equal(d.trajectories.length, 2);
  assert.match(page.url(), /traj=/);
  const z = d.readouts.z;
  for (const t of d.trajectories) {
    assert.ok(t.points.length > 10, "integrated (adaptive steps)");
    const end = t.points[t.points.length - 1];
    assert.ok(Math.hypot(end[0] - z[0], end[1] - z[1]) < 1e-3, `ends at z*: ${end} vs ${z}`);
  }
  // Overlay of the paper's gradient-descent run.
  s = await stats(page);
  await page.check("#gd");
  await waitRender(page, s);
  const gd = await page.evaluate(() => window.__explore.portraitData.gd);
  assert.equal(gd.method, "gd");
  assert.deepEqual(gd.points[0], [0, 0]);
  await shot(page, "03_trajectories_gd.png");
  s = await stats(page);
  await page.locator("#portrait").click({ position: { x: 300, y: 300 }, modifiers: ["Shift"] });
  await waitRender(page, s);
  assert.equal((await page.evaluate(() => window.__explore.portraitData.trajectories)).length, 0);
  assert.doesNotMatch(page.url(), /traj=/);
  await page.close();
});

test("the URL round-trips the state", async () => {
  const page = await open(browser, "s1=5.5&s2=1.5&delta=0.3&reg=sd&lambda=0.002&traj=1,0.5&metric=ratio1");
  const url = page.url();
  const readouts = await page.textContent("#readouts");
  const other = await browser.newPage();
  await other.goto(url);
  await other.waitForFunction(() => window.__explore && window.__explore.portraitRenders > 0);
  assert.equal(other.url(), url);
  assert.equal(await other.textContent("#readouts"), readouts);
  assert.equal(await other.inputValue('.row[data-key="delta"] input[type=text]'), "0.3");
  assert.equal(await other.inputValue("#reg"), "sd");
  assert.equal(await other.inputValue("#metric"), "ratio1");
  assert.equal((await other.evaluate(() => window.__explore.portraitData.trajectories)).length, 1);
  await page.close();
  await other.close();
});

test("a bad value shows the CLI's one-line message and the server keeps serving", async () => {
  const page = await open(browser);
  const s = await stats(page);
  const input = page.locator('.row[data-key="s1"] input[type=text]');
  await input.fill("-3");
  await input.press("Enter");
  await page.waitForFunction(n => window.__explore.errors > n, s.errors);
  const shown = (await page.textContent("#error")).trim();
  // The CLI's message for the same spec value.
  const dir = mkdtempSync(join(tmpdir(), "explore-bad-"));
  writeFileSync(join(dir, "bad.json"), JSON.stringify({
    name: "bad", model: { features: { toy: { s1: -3, s2: 2, delta: 0.5 } } },
  }));
  let cli = "";
  try { execFileSync(BIN, ["check", join(dir, "bad.json")], { encoding: "utf8", stdio: "pipe" }); }
  catch (e) { cli = e.stderr.trim(); assert.equal(e.status, 2); }
  assert.equal(shown, cli);
  assert.ok(await page.isVisible('.row.invalid[data-key="s1"]'), "the s₁ control is marked");
  await shot(page, "04_bad_value.png");
  // Out-of-range grid, unknown parameter: 400 with one line.
  for (const q of ["cells=100000", "bogus=1", "delta=1.5", "traj=1,2;x"]) {
    const r = await fetch(`${URL_BASE}api/portrait?${q}`);
    assert.equal(r.status, 400, q);
    const body = (await r.text()).trim();
    assert.match(body, /^error: \S+: .+$/, body);
    assert.doesNotMatch(body, /\n/);
  }
  // Fixing the value clears the error.
  const s2 = await stats(page);
  await input.fill("3");
  await input.press("Enter");
  await waitRender(page, s2);
  assert.equal(await page.isVisible("#error"), false);
  await page.close();
});

test("the phase diagram: hover shows the cell, a click moves the model there", async () => {
  const page = await open(browser);
  const box = await page.locator("#diagram").boundingBox();
  await page.mouse.move(box.x + 300, box.y + 150);
  const hover = await page.textContent("#diagram-hover");
  assert.match(hover, /s₁\/s₂ = [\d.]+ +δ = [\d.]+ +z₁\* = [\d.]+ +z₂\* = [\d.]+ +z₂\*\/z₂⁰ = [\d.]+/);
  const s = await stats(page);
  await page.mouse.click(box.x + 300, box.y + 150);
  await waitRender(page, s);
  const q = new URL(page.url()).searchParams;
  const cell = hover.match(/s₁\/s₂ = ([\d.]+) +δ = ([\d.]+)/);
  assert.equal(q.get("s2"), "2", "the URL carries the whole model");
  const moved = [Number(q.get("s1")) / Number(q.get("s2")), Number(q.get("delta"))];
  assert.ok(Math.abs(moved[0] - Number(cell[1])) < 1e-3 * Number(cell[1]), `${moved} vs ${hover}`);
  assert.ok(Math.abs(moved[1] - Number(cell[2])) < 1e-4, `${moved} vs ${hover}`);
  // The cell's z* is the portrait's z* there (to the f32 the diagram sends).
  const z = await page.evaluate(() => window.__explore.portraitData.readouts.z);
  const z1 = Number(hover.match(/z₁\* = ([\d.]+)/)[1]);
  assert.ok(Math.abs(z[0] - z1) < 1e-4 * z1, `${z[0]} vs ${z1}`);
  await shot(page, "05_diagram_click.png");
  await page.close();
});

test("models with n features: choose the two coordinates of the slice", async () => {
  const features = JSON.stringify({ random: { examples: 4, seed: 7, power_law: { largest: 5, exponent: 0.7 } } });
  const page = await open(browser, "features=" + encodeURIComponent(features), { diagram: false });
  assert.equal((await page.evaluate(() => window.__explore.portraitData)).features, 4);
  const s = await stats(page);
  await page.selectOption("#coord-y", "z3");
  await waitRender(page, s);
  const d = await page.evaluate(() => window.__explore.portraitData);
  assert.deepEqual(d.coordinates, [0, 2]);
  assert.ok(Math.abs(d.base[2] - d.readouts.z[2]) < 1e-12, "the slice passes through z*");
  assert.match(page.url(), /y=z3/);
  await shot(page, "06_four_features_z1_z3.png");
  await page.close();
});

test("downloads: the spec, the SVG and the PNG of the view", async () => {
  const page = await open(browser, "s1=6&traj=2,0.5");
  const grab = async button => {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    return { name: dl.suggestedFilename(), body: readFileSync(await dl.path()) };
  };
  const spec = await grab("#dl-spec");
  assert.equal(spec.name, "explore_view.json");
  const parsed = JSON.parse(spec.body.toString());
  assert.equal(parsed.model.features.toy.s1, 6);
  assert.deepEqual(parsed.portrait.panels[0].trajectories.starts, [[2, 0.5]]);
  const svg = await grab("#dl-svg");
  assert.match(svg.body.toString().slice(0, 200), /<svg/);
  const png = await grab("#dl-png");
  assert.deepEqual([...png.body.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  writeFileSync(join(OUT, "07_download.png"), png.body);
  await page.close();
});

test("without a regulariser: the portrait, no equilibrium and no diagram, and no error", async () => {
  const page = await open(browser);
  const s = await stats(page);
  await page.selectOption("#reg", "none");
  await waitRender(page, s, { diagram: true });
  const d = await page.evaluate(() => window.__explore.portraitData);
  assert.equal(d.readouts, null);
  assert.match(await page.textContent("#readouts"), /^no equilibrium exists with λ = 0/);
  assert.ok(d.streamlines.length > 0);
  assert.match((await page.evaluate(() => window.__explore.diagramData)).unavailable, /λ = 0/);
  assert.equal(await page.isVisible("#error"), false);
  await shot(page, "08_no_regulariser.png");
  await page.close();
});

/** Distinct colours on a canvas (a blank canvas has one or two). */
const canvasColours = (page, id) => page.evaluate(id => {
  const c = document.getElementById(id), x = c.getContext("2d");
  const px = x.getImageData(0, 0, c.width, c.height).data, seen = new Set();
  for (let i = 0; i < px.length; i += 4 * 7) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
  return seen.size;
}, id);

test("time series z(t) of every coordinate, and the eigenvectors of J at z* on the portrait", async () => {
  const page = await open(browser, "s1=6&traj=1,0.5;10,1.4&gd=1");
  const d = await page.evaluate(() => window.__explore.portraitData);
  const z = d.readouts.z;
  for (const t of d.trajectories) {
    assert.equal(t.series.length, t.times.length);
    assert.ok(t.series.every(s => s.length === 2), "every coordinate");
    // The series is the trajectory drawn on the portrait, in all coordinates: it ends at z*.
    const end = t.series[t.series.length - 1];
    assert.ok(Math.hypot(end[0] - z[0], end[1] - z[1]) < 1e-3, `${end} vs ${z}`);
    assert.ok(t.times[0] === 0 && t.times[t.times.length - 1] <= 1000);
  }
  assert.equal(d.gd.series[0][0], 0, "gradient descent starts at 0");
  // 3 runs × 2 coordinates drawn.
  assert.equal(await page.evaluate(() => window.__explore.seriesLines), 6);
  assert.ok(await canvasColours(page, "series") > 6);
  await page.check("#series-log");
  assert.equal(await page.evaluate(() => window.__explore.seriesLines), 6);
  // Eigenvectors: one per (real) eigenvalue of the readouts, unit vectors, not parallel.
  const ev = d.equilibrium.eigenvectors;
  assert.deepEqual(ev.map(e => e.eigenvalue), d.readouts.eigenvalues.map(e => e[0]));
  for (const e of ev) assert.ok(Math.abs(Math.hypot(...e.vector) - 1) < 1e-12);
  const cross = ev[0].vector[0] * ev[1].vector[1] - ev[0].vector[1] * ev[1].vector[0];
  assert.ok(Math.abs(cross) > 0.1, `independent directions (${cross})`);
  assert.match(await page.textContent("#portrait-legend"), /eigenvectors of the Jacobian at z\*/);
  assert.deepEqual(jsErrors(page), []);
  await shot(page, "10_series_eigenvectors.png");
  await page.close();
});

test("the orbit diagram of the training map: z* below the flip h* = 2/|λ_min|, two points past it", async () => {
  const page = await open(browser);
  await page.waitForFunction(() => window.__explore.orbitRenders > 0);
  const d = await page.evaluate(() => window.__explore.orbitData);
  const lmin = (await page.evaluate(() => window.__explore.portraitData.readouts.eigenvalues))[0][0];
  assert.ok(Math.abs(d.predicted_flip - 2 / Math.abs(lmin)) < 1e-12 * d.predicted_flip);
  assert.equal(d.columns.length, 300);
  const zs = d.equilibrium[d.coordinate];
  const distinct = pts => [...new Set(pts.map(v => v.toFixed(4)))].length;
  for (const c of d.columns) {
    if (c.step < 0.95 * d.predicted_flip) {
      assert.ok(c.points.every(v => Math.abs(v - zs) < 1e-6), `h = ${c.step}: fixed point`);
    } else if (c.step > 1.03 * d.predicted_flip && c.step < 1.1 * d.predicted_flip) {
      assert.equal(distinct(c.points), 2, `h = ${c.step}: period 2 (${c.points.slice(0, 4)})`);
    }
  }
  // Heavy ball with μ = 0.5: the flip moves to 2(1 + μ)/|λ_min|.
  let n = await page.evaluate(() => window.__explore.orbitRenders);
  await page.selectOption("#orbit-method", "heavy_ball");
  await page.waitForFunction(n => window.__explore.orbitRenders > n, n);
  n = await page.evaluate(() => window.__explore.orbitRenders);
  const mu = page.locator('.row[data-key="momentum"] input');
  await mu.fill("0.5"); await mu.press("Enter");
  await page.waitForFunction(n => window.__explore.orbitRenders > n && window.__explore.orbitData.momentum === 0.5, n);
  const hb = await page.evaluate(() => window.__explore.orbitData);
  assert.equal(hb.method, "heavy_ball");
  assert.ok(Math.abs(hb.predicted_flip - 3 / Math.abs(lmin)) < 1e-12 * hb.predicted_flip);
  assert.match(page.url(), /orbit_method=heavy_ball/);
  assert.match(await page.textContent("#orbit-caption"), /heavy ball, μ = 0.5/);
  await shot(page, "11_orbit_heavy_ball.png");
  // Bad input: one line naming the field.
  for (const [q, field] of [["hrange=-1,2", "hrange"], ["orbit_method=heavy_ball&momentum=1", "momentum"],
    ["hsteps=5000", "hsteps"], ["orbit_z=z3", "orbit_z"], ["orbit_method=adam", "orbit_method"]]) {
    const r = await fetch(`${URL_BASE}api/orbit?${q}`);
    assert.equal(r.status, 400, q);
    const body = (await r.text()).trim();
    assert.match(body, new RegExp(`^error: ${field}: [^\\n]+$`), body);
  }
  assert.deepEqual(jsErrors(page), []);
  await page.close();
});

test("bad input keeps the last valid view; arrow keys step a parameter by the typed precision", async () => {
  const page = await open(browser, "traj=1,0.5");
  await page.waitForFunction(() => window.__explore.orbitRenders > 0);
  const before = await page.evaluate(() => window.__explore.portraitData.readouts.z);
  const s = await stats(page);
  const input = page.locator('.row[data-key="s1"] input[type=text]');
  await input.fill("abc");
  await input.press("Enter");
  await page.waitForFunction(n => window.__explore.errors > n, s.errors);
  assert.match((await page.textContent("#error")).trim(), /^error: s1: must be a number, got "abc"$/);
  // Every panel still shows the last valid drawing, marked as such.
  for (const id of ["portrait", "diagram", "series", "orbit"]) {
    assert.ok(await canvasColours(page, id) > 10, `${id} kept`);
    assert.ok(await page.evaluate(id => document.getElementById(id).closest("section").classList.contains("stale"), id));
  }
  assert.deepEqual(await page.evaluate(() => window.__explore.portraitData.readouts.z), before);
  await shot(page, "12_bad_input_kept.png");
  // Keyboard: a typed precision of 0.25, ↑ then Shift+↓ (×10).
  await page.fill("#precision", "0.25");
  await input.fill("4");
  let t = await stats(page);
  await input.press("ArrowUp");
  await waitRender(page, t);
  assert.match(page.url(), /[?&]s1=4\.25(&|$)/);
  assert.equal(await page.isVisible("#error"), false, "a valid value clears the error");
  t = await stats(page);
  await input.press("Shift+ArrowDown");
  await waitRender(page, t);
  assert.match(page.url(), /[?&]s1=1\.75(&|$)/);
  assert.equal(await input.inputValue(), "1.75");
  // Without a typed precision, the slider's step (δ: 0.005).
  await page.fill("#precision", "");
  const delta = page.locator('.row[data-key="delta"] input[type=text]');
  t = await stats(page);
  await delta.press("ArrowDown");
  await waitRender(page, t);
  assert.match(page.url(), /[?&]delta=0\.495(&|$)/);
  assert.equal(await page.evaluate(() => document.querySelectorAll(".stale").length), 0);
  await page.close();
});

test("automatic bisection: the typed precision brackets z₂*/z₂⁰ = 0.5 along s₁ and the flip along h", async () => {
  const page = await open(browser, "s1=4&s2=2&delta=0.3");
  await page.selectOption("#bisect-field", "s1");
  await page.selectOption("#bisect-metric", "ratio2");
  await page.fill("#bisect-level", "0.5");
  await page.fill("#bisect-range", "2,30");
  await page.fill("#bisect-precision", "1e-9");
  const runs = await page.evaluate(() => window.__explore.bisectRuns || 0);
  await page.click("#bisect-run");
  await page.waitForFunction(n => (window.__explore.bisectRuns || 0) > n, runs, { timeout: 20000 });
  const d = await page.evaluate(() => window.__explore.bisectData);
  assert.equal(d.crossings.length, 1);
  const c = d.crossings[0];
  assert.equal(c.status, "found");
  assert.ok(c.bracket[0] <= c.value && c.value <= c.bracket[1] && c.width <= 1e-9, JSON.stringify(c));
  // The value and its bracket are shown, and the URL records the request.
  const text = await page.textContent("#bisect-result");
  assert.match(text, new RegExp(`s₁ = ${c.value.toPrecision(12).replace(".", "\\.")}`));
  assert.match(text, /bracket \[/);
  assert.match(page.url(), /[?&]bisect=s1(&|$)/);
  assert.match(page.url(), /bisect_precision=1e-9/);
  // The same answer from the server for the URL's query (library computes, page reports).
  const q = new URL(page.url()).search.slice(1);
  const served = await (await fetch(`${URL_BASE}api/bisect?${q}`)).json();
  assert.equal(served.crossings[0].value, c.value);
  await shot(page, "15_bisect_s1.png");
  // Along the step: the map's flip (period 1 → 2) next to the eigenvalue prediction; the
  // keyboard step is the precision when the bisection's own field is empty.
  await page.selectOption("#bisect-field", "step");
  await page.selectOption("#bisect-metric", "auto");
  for (const id of ["#bisect-level", "#bisect-range", "#bisect-precision"]) await page.fill(id, "");
  await page.fill("#precision", "1e-5");
  const runs2 = await page.evaluate(() => window.__explore.bisectRuns);
  await page.press("#bisect-level", "Enter");
  await page.waitForFunction(n => window.__explore.bisectRuns > n, runs2, { timeout: 30000 });
  const f = await page.evaluate(() => window.__explore.bisectData);
  assert.equal(f.metric, "period");
  assert.equal(f.precision, 1e-5);
  const flip = f.crossings.find(x => x.status === "found" && x.direction === "rising");
  assert.ok(flip && Math.abs(flip.value - f.predicted_flip) <= 1e-4 * f.predicted_flip, JSON.stringify(f));
  assert.match(await page.textContent("#bisect-result"), /predicted flip h\* = /);
  await shot(page, "16_bisect_flip.png");
  // A bad precision: the message names it, the last located value stays in the URL.
  await page.fill("#bisect-precision", "-1");
  const runs3 = await page.evaluate(() => window.__explore.bisectRuns);
  await page.click("#bisect-run");
  await page.waitForFunction(n => window.__explore.bisectRuns > n, runs3, { timeout: 20000 });
  assert.match(await page.textContent("#bisect-result"), /^error: bisect_precision: /);
  assert.match(page.url(), /[?&]bisect=step(&|$)/);
  assert.deepEqual(jsErrors(page), []);
  await page.close();
});

test("--screenshot renders the URL's whole view headless, byte-identical to /api/view.png", async () => {
  const q = "s1=6&delta=0.3&traj=2,0.5";
  const dir = mkdtempSync(join(tmpdir(), "explore-shot-"));
  const file = join(dir, "view.png");
  const out = execFileSync(BIN, ["explore", "--query", q, "--screenshot", file], { encoding: "utf8" });
  assert.match(out, /wrote/);
  const served = Buffer.from(await (await fetch(`${URL_BASE}api/view.png?${q}`)).arrayBuffer());
  assert.ok(readFileSync(file).equals(served), "the same renderer and the same view");
  writeFileSync(join(OUT, "13_cli_screenshot.png"), served);
  // Bad input: exit 2, one line naming the field, nothing written.
  for (const [args, field] of [[["--query", "s1=x"], "s1"], [["--query", "hsteps=1"], "hsteps"], [[], "--screenshot"]]) {
    const target = join(dir, args.length ? "bad.png" : "bad.jpg");
    try {
      execFileSync(BIN, ["explore", ...args, "--screenshot", target], { encoding: "utf8", stdio: "pipe" });
      assert.fail("accepted " + args);
    } catch (e) {
      assert.equal(e.status, 2, String(args));
      assert.match(e.stderr.trim(), new RegExp(`^error: ${field.replace(/-/g, "\\-")}: [^\\n]+$`), e.stderr);
    }
    assert.throws(() => readFileSync(target));
  }
});

test("an experiment spec opened in the explorer trains in the background and shows its two-moons panels", async () => {
  const dir = mkdtempSync(join(tmpdir(), "explore-exp-"));
  const spec = join(dir, "moons.json");
  writeFileSync(spec, JSON.stringify({
    name: "moons_small", description: "two moons, small enough for a test",
    experiment: {
      data: { two_moons: { examples: 100, noise: 0.1, seed: 0, margin: 0.1, rotation_degrees: 0 } },
      network: { hidden: [20], dropout: 0, batch_norm: false },
      training: { optimiser: { sgd: { learning_rate: 0.05, momentum: 0.9 } }, epochs: 200, weight_decay: 0, sd: 0 },
      seeds: 1, grid: { range: [-2, 2], resolution: 40 },
      settings: [{ label: "Δ = −0.1", data: { two_moons: { margin: -0.1 } } },
        { label: "Δ = +0.1", data: { two_moons: { margin: 0.1 } } }],
      figure: { title: "small two moons", columns: 2, panel_size: 360 },
    },
  }));
  const server = spawn(BIN, ["explore", "--port", "0", spec], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const url = await new Promise((resolve, reject) => {
      let text = "";
      server.stdout.on("data", b => { text += b; const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text); if (m) resolve(m[0]); });
      server.on("exit", code => reject(new Error("explore exited " + code)));
    });
    const page = await browser.newPage({ viewport: { width: 1560, height: 1040 } });
    await page.goto(url);
    await page.waitForFunction(() => window.__explore && window.__explore.experimentShown === true, null, { timeout: 20000 });
    const st = await (await fetch(url + "api/experiment")).json();
    assert.equal(st.state, "ready");
    assert.equal(st.done, 400);
    assert.match(st.message, /Δ = −0\.1 .* accuracy/);
    assert.doesNotMatch(st.message, /wrote/);
    // The same figure `starvation run` draws for the spec (the same renderer and training).
    const png = Buffer.from(await (await fetch(url + "api/experiment.png")).arrayBuffer());
    execFileSync(BIN, ["run", spec, "--out", join(dir, "out")], { stdio: "pipe" });
    assert.ok(readFileSync(join(dir, "out", "moons_small.png")).equals(png), "the run's PNG, byte for byte");
    const size = await page.evaluate(() => [document.getElementById("experiment-figure").naturalWidth, document.getElementById("experiment-figure").naturalHeight]);
    assert.ok(size[0] > 600 && size[1] > 300, `${size}`);
    await page.locator("#experiment-panel").scrollIntoViewIfNeeded();
    await shot(page, "14_experiment_two_moons.png");
    await page.close();
  } finally {
    server.kill();
  }
});
