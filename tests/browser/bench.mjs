// Latency benchmark of `starvation explore`, measured in the browser (run: tests/browser/run.sh
// --bench). Round trip = from the control's input event to the end of the redraw (fetch, JSON,
// canvas drawing), as recorded by the page (window.__explore.lastPortrait / lastDiagram).
//   portrait: the s₁ slider moves; 40 × 40 arrows, streamlines, nullclines, equilibrium, readouts.
//   diagram:  the λ slider moves; 200 × 200 cells of the phase diagram (and the portrait).
// Prints a table of medians over REPS repetitions (default 30; env EXPLORE_BENCH_REPS).
import { launch, open, stats, waitRender } from "./browser.mjs";

const REPS = Number(process.env.EXPLORE_BENCH_REPS || 30);

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = p => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1] };
}

async function measure(page, key, values, { diagram }) {
  const rows = [];
  for (let k = 0; k < REPS + 3; k++) {
    const before = await stats(page);
    const value = values[k % values.length];
    await page.evaluate(([key, value]) => {
      const range = document.querySelector(`.row[data-key="${key}"] input[type=range]`);
      range.value = value;
      range.dispatchEvent(new Event("input", { bubbles: true }));
    }, [key, value]);
    await waitRender(page, before, { diagram });
    const after = await stats(page);
    if (k >= 3) rows.push(diagram ? after.lastDiagram : after.lastPortrait); // 3 warm-up runs
  }
  return rows;
}

const browser = await launch();
const page = await open(browser);
const info = await page.evaluate(() => {
  const d = window.__explore.portraitData;
  return { arrows: d.arrows.nx * d.arrows.ny, streamlines: d.streamlines.length,
    nullcline_pieces: d.nullclines[0].length + d.nullclines[1].length,
    cells: window.__explore.diagramData.values.length };
});
const portrait = await measure(page, "s1", ["3", "3.5", "4", "4.5", "5", "5.5", "6", "6.5"], { diagram: false });
const diagram = await measure(page, "lambda", ["-2", "-1.9", "-1.8", "-2.1", "-2.2"], { diagram: true });
await browser.close();

const line = (name, rows, budget) => {
  const rt = summary(rows.map(r => r.ms)), fr = summary(rows.map(r => r.frame_ms));
  const sv = summary(rows.map(r => r.server_ms));
  return `${name.padEnd(40)} ${rt.median.toFixed(1).padStart(8)} ${rt.p10.toFixed(1).padStart(7)} ${rt.p90.toFixed(1).padStart(7)} ${fr.median.toFixed(1).padStart(11)} ${sv.median.toFixed(1).padStart(11)} ${String(budget).padStart(7)}`;
};
console.log(`starvation explore latency, ${REPS} repetitions each (ms, measured in headless Chromium)`);
console.log("round trip = input event → fetch → JSON → canvas drawn; next frame = to the following animation frame");
console.log(`${"".padEnd(40)} ${"median".padStart(8)} ${"p10".padStart(7)} ${"p90".padStart(7)} ${"next frame".padStart(11)} ${"server med".padStart(11)} ${"budget".padStart(7)}`);
console.log(line(`portrait (${Math.sqrt(info.arrows)}² arrows, ${info.streamlines} stream.)`, portrait, 50));
console.log(line(`phase diagram (${Math.sqrt(info.cells)}² cells)`, diagram, 200));
console.log(JSON.stringify({ reps: REPS, info,
  portrait_ms: summary(portrait.map(r => r.ms)), diagram_ms: summary(diagram.map(r => r.ms)),
  portrait_frame_ms: summary(portrait.map(r => r.frame_ms)), diagram_frame_ms: summary(diagram.map(r => r.frame_ms)) }));
