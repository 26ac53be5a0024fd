/*
 * The explorer's bench, in the real browser: builds the app, serves it with `vite preview`, opens it in
 * Debian's Chromium and prints
 *
 *  - the initial JavaScript: every script the page loads before it is interactive (the landing view, Survey,
 *    has drawn the sample's page map), gzipped with zlib from the built files, against the 250 KB goal;
 *  - the page map's render time for the sample snapshot (6,553,600 PFNs), from the performance marks the app
 *    sets around each frame, against the 300 ms goal; and the load behind it (fetch, decode, classify in the
 *    worker).
 *
 *   npm run bench -w @memdesc/explorer      (tsx bench/index.ts)
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  appDir,
  browserMissing,
  explorerRoot,
  launchChromium,
  repoRoot,
  startPreview,
} from "../test/harness.js";

const RUNS = 5;
const goals = { js: 250 * 1024, render: 300 };

const kib = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

console.log("building the app (vite build) …");
execFileSync(
  process.execPath,
  [join(repoRoot, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
  {
    cwd: explorerRoot,
    stdio: "inherit",
  },
);
const missing = browserMissing();
if (missing) {
  console.error(`bench: cannot run in the browser: ${missing}`);
  process.exit(1);
}

const gz = (rel: string) => {
  const bytes = readFileSync(join(appDir, rel));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};

// What index.html itself loads: the entry chunk and the chunks it preloads.
const html = readFileSync(join(appDir, "index.html"), "utf8");
const entryFiles = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);

const preview = await startPreview();
const session = await launchChromium();
const loads: { scripts: string[]; worker: string[]; render: number; load: number; rerender: number[] }[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    // A new page each run, with the cache off: every script is fetched as on a first visit.
    const page = await session.browser.newPage();
    const cdp = await session.browser.newCDPSession(page);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await page.goto(preview.url);
    await page.waitForSelector("[data-testid=pagemap][data-first-render-ms]", { timeout: 60_000 });
    const m = await page.evaluate(() => {
      const scripts = performance
        .getEntriesByType("resource")
        .filter((e) => e.name.endsWith(".js"))
        .map((e) => e.name);
      const render = performance.getEntriesByName("pagemap:render", "measure")[0]!.duration;
      const load = performance.getEntriesByName("survey:load", "measure")[0]!.duration;
      return { scripts, render, load };
    });
    // Re-draws: zoom in three levels and back to fit, each frame timed by the app.
    // The keys go to the probe's canvas, over the map.
    const canvas = page.getByTestId("pagemap-probe");
    await canvas.focus();
    for (const key of ["+", "+", "+", "0", "0"]) await page.keyboard.press(key);
    await page.waitForTimeout(200);
    const rerender = await page.evaluate(() =>
      performance
        .getEntriesByName("pagemap:render", "measure")
        .slice(1)
        .map((e) => e.duration),
    );
    const rel = (u: string) => new URL(u).pathname.replace(/^\//, "");
    loads.push({
      scripts: m.scripts.map(rel).filter((s) => !s.includes(".worker")),
      worker: m.scripts.map(rel).filter((s) => s.includes(".worker")),
      render: m.render,
      load: m.load,
      rerender,
    });
    await page.close();
  }
} finally {
  await session.close();
  await preview.stop();
}

const scripts = [...new Set(loads.flatMap((l) => l.scripts))].sort();
const worker = [...new Set(loads.flatMap((l) => l.worker))];
let total = 0;
console.log(`\ninitial JavaScript (the Survey view, loaded until the sample's page map is drawn):`);
for (const s of scripts) {
  const { raw, gzip } = gz(s);
  total += gzip;
  console.log(
    `  ${s.padEnd(40)} ${kib(raw).padStart(10)} raw ${kib(gzip).padStart(10)} gzip${entryFiles.includes(s) ? "  (in index.html)" : ""}`,
  );
}
const entryTotal = entryFiles.reduce((s, f) => s + gz(f).gzip, 0);
console.log(`  index.html's own scripts: ${kib(entryTotal)} gzipped`);
for (const w of worker)
  console.log(`  + the page-map worker, started with the first snapshot: ${w} ${kib(gz(w).gzip)} gzip`);
console.log(
  `initial JavaScript, gzipped: ${kib(total)} (goal: under ${kib(goals.js)}) ${total < goals.js ? "✓" : "✗ over the goal"}`,
);

const renders = loads.map((l) => l.render);
const rerenders = loads.flatMap((l) => l.rerender);
const loadsMs = loads.map((l) => l.load);
console.log(`\npage map of the sample snapshot (6,553,600 PFNs), ${RUNS} page loads in Chromium:`);
console.log(
  `  first render: median ${median(renders).toFixed(1)} ms (min ${Math.min(...renders).toFixed(1)}, max ${Math.max(...renders).toFixed(1)}) (goal: under ${goals.render} ms) ${median(renders) < goals.render ? "✓" : "✗ over the goal"}`,
);
console.log(
  `  re-draws while zooming: median ${median(rerenders).toFixed(1)} ms over ${rerenders.length} frames`,
);
console.log(
  `  behind it: fetch, decode, survey and map the snapshot in the worker: median ${median(loadsMs).toFixed(0)} ms`,
);
