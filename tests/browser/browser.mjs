// Shared helpers of the browser tests and the benchmark: launch the distribution's Chromium
// headless through playwright-core and wait for the page's redraws.
import { chromium } from "playwright-core";

export const URL_BASE = process.env.EXPLORE_URL;
export const OUT = process.env.EXPLORE_OUT || ".";
export const BIN = process.env.STARVATION_BIN;
if (!URL_BASE) throw new Error("EXPLORE_URL is not set; run tests/browser/run.sh");

/** A headless Chromium with the project's flags (no network services; playwright gives it a
 * throwaway profile). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** The page's render counters and timings (window.__explore). */
export async function stats(page) {
  return page.evaluate(() => ({
    portraitRenders: window.__explore.portraitRenders,
    diagramRenders: window.__explore.diagramRenders,
    errors: window.__explore.errors,
    lastPortrait: window.__explore.lastPortrait,
    lastDiagram: window.__explore.lastDiagram,
    lastError: window.__explore.lastError,
  }));
}

/** Waits until the portrait (and, with `diagram`, the diagram) was redrawn after `before`. */
export async function waitRender(page, before, { diagram = false, timeout = 20000 } = {}) {
  await page.waitForFunction(
    ([p, d, wantDiagram]) => window.__explore.portraitRenders > p
      && (!wantDiagram || window.__explore.diagramRenders > d),
    [before.portraitRenders, before.diagramRenders, diagram],
    { timeout, polling: "raf" },
  );
}

/** Opens `query` and waits for the first portrait and diagram. */
export async function open(browser, query = "", { diagram = true } = {}) {
  const page = await browser.newPage({ viewport: { width: 1560, height: 1040 } });
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.jsErrors = errors;
  await page.goto(URL_BASE + (query ? "?" + query : ""));
  await page.waitForFunction(
    wantDiagram => window.__explore && window.__explore.portraitRenders > 0
      && (!wantDiagram || window.__explore.diagramRenders > 0),
    diagram, { timeout: 30000 },
  );
  return page;
}
