/*
 * The READMEs' screenshots, taken as a new user would see the app: `memdesc explore` (the real CLI serving the
 * built app) opened in Debian's Chromium on the shipped samples, at a desktop's size and a phone's.
 *
 *   npm run build && npm run screenshots -w @memdesc/explorer     → docs/images/explorer-*.png
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
// `useOfFlags` renamed: linters take a `use…` call for a React hook.
import {
  useOfFlags as classifyWord,
  defaultSampleName,
  expandChunksSync,
  kpf,
  readSnapshot,
  sampleSnapshotPath,
  samples,
  surveyUses,
} from "@memdesc/kpageflags";
import type { Page } from "playwright-core";
import { browserMissing, cliBin, launchChromium, phone, repoRoot } from "../test/harness.js";

const out = join(repoRoot, "docs", "images");
const missing = browserMissing();
if (missing) {
  console.error(`screenshots: ${missing}`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const server = spawn(process.execPath, [cliBin, "explore"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise<string>((resolve, reject) => {
  let text = "";
  server.stdout!.on("data", (d: Buffer) => {
    text += d.toString();
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
    if (m) resolve(m[1]!);
  });
  server.on("exit", (code) => reject(new Error(`memdesc explore exited (${code})`)));
});
const shot = (name: string) => join(out, `explorer-${name}.png`);

/** A page in the middle of an order-4 (or larger) page-cache folio of the default sample. */
function largeFolioTail(): number {
  const snap = readSnapshot(sampleSnapshotPath());
  const { head: HEAD, tail: TAIL } = { head: kpf.lo.compoundHead, tail: kpf.lo.compoundTail };
  let head = -1;
  for (const chunk of expandChunksSync(snap.header.startPfn, snap.header.pfnCount, 65536, snap.streams[0]!))
    for (let i = 0; i < chunk.length; i++) {
      const lo = chunk.flags[2 * i]!;
      const hi = chunk.flags[2 * i + 1]!;
      const pfn = chunk.pfn + i;
      if (lo & HEAD) head = classifyWord(lo, hi) === surveyUses.indexOf("file") ? pfn : -1;
      else if (!(lo & TAIL)) head = -1;
      else if (head >= 0 && pfn - head === 5 && pfn > snap.header.pfnCount / 3) return pfn;
    }
  throw new Error("no large page-cache folio in the default sample");
}
/** Scrolls an element to just under the phone's sticky header. */
async function scrollToTop(page: Page, testId: string): Promise<void> {
  await page.getByTestId(testId).evaluate((e) => {
    e.scrollIntoView({ block: "start" });
    window.scrollBy(0, -(document.querySelector(".app-header")!.getBoundingClientRect().height + 8));
  });
}

process.on("exit", () => server.kill("SIGTERM"));
const desktop = await launchChromium();
try {
  const page = await desktop.browser.newPage();
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(url);
  await page.waitForSelector("[data-testid=pagemap][data-renders]");
  await page.screenshot({ path: shot("survey") });

  // Each sample's page map, to show what they are.
  for (const s of samples) {
    await page.goto(`${url}#survey?sample=${s.name}`);
    await page.waitForSelector(`[data-testid=survey-results][data-name="${s.file}"]`);
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
    const map = page.locator("section.pagemap").first();
    await map.scrollIntoViewIfNeeded();
    await map.locator(".pagemap-box").screenshot({ path: shot(`sample-${s.name}`) });
  }

  // Zoom in twice around the middle of the default sample's map, and hover a pixel.
  await page.goto(`${url}#survey?sample=${defaultSampleName}`);
  const defaultFile = samples.find((s) => s.name === defaultSampleName)!.file;
  await page.waitForSelector(`[data-testid=survey-results][data-name="${defaultFile}"]`);
  await page.waitForSelector("[data-testid=pagemap][data-renders]");
  const map = page.locator("section.pagemap").first();
  await map.scrollIntoViewIfNeeded();
  const probe = page.getByTestId("pagemap-probe");
  for (let i = 0; i < 2; i++) await map.getByRole("button", { name: "Zoom in" }).click();
  await page.waitForFunction(
    () => document.querySelector("[data-testid=pagemap-probe]")?.getAttribute("data-level") === "2",
  );
  const box = (await probe.boundingBox())!;
  // Hover a page-cache pixel (not a hole or a free page), going down the map until one is found.
  const tooltip = page.getByTestId("pagemap-tooltip");
  for (let y = 80; y < box.height; y += 7) {
    await page.mouse.move(box.x + box.width * 0.36, box.y + y);
    await tooltip.waitFor();
    if (/\bfile\b/.test((await tooltip.textContent()) ?? "")) break;
  }
  await map.locator(".pagemap-box").screenshot({ path: shot("pagemap") });

  // A page inside a large page-cache folio, picked: its word under memdesc-8.
  await page.getByLabel("Inspect PFN").fill(`0x${largeFolioTail().toString(16)}`);
  await page.getByTestId("page-word").waitFor();
  await page.mouse.move(0, 0);
  await page.getByTestId("page-word").screenshot({ path: shot("page-word") });

  // The Bill started from the sample, with larger folios and a larger struct folio.
  await page.goto(`${url}#bill?from=sample%3A${defaultSampleName}&minOrder=2&grow=32`);
  await page.waitForSelector("[data-testid=whatif-totals]");
  await page.waitForTimeout(300);
  await page.screenshot({ path: shot("bill") });
} finally {
  await desktop.close();
}

const mobile = await launchChromium(phone);
try {
  const page = await mobile.browser.newPage();
  await page.goto(`${url}#word`);
  await page.waitForSelector("[data-testid=type-table]");
  await page.screenshot({ path: shot("phone-word") });
  // The type table, each row a card of labelled cells.
  await scrollToTop(page, "type-table");
  await page.screenshot({ path: shot("phone-types") });
  await page.goto(`${url}#survey`);
  await page.waitForSelector("[data-testid=pagemap][data-renders]");
  const probe = page.getByTestId("pagemap-probe");
  await probe.scrollIntoViewIfNeeded();
  const box = (await probe.boundingBox())!;
  // Tap a page-cache page, a third of the way down the map.
  await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 3);
  await page.getByTestId("page-word").waitFor();
  await scrollToTop(page, "pagemap-probe");
  await page.screenshot({ path: shot("phone-survey") });
  // The picked page's word, below the map and its legend.
  await scrollToTop(page, "page-word");
  await page.screenshot({ path: shot("phone-page-word") });
  console.log(`screenshots of ${url} written to ${out}`);
} finally {
  await mobile.close();
  server.kill("SIGTERM");
}
