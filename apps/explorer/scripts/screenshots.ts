/*
 * The READMEs' screenshots, taken as a new user would see the app: `memdesc explore` (the real CLI serving the
 * built app) opened in Debian's Chromium on the shipped samples, at a desktop's size and a phone's.
 *
 *   npm run build && npm run screenshots -w @memdesc/explorer     → docs/images/explorer-*.png
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { defaultSampleName, samples } from "@memdesc/kpageflags";
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

  // Zoom with Ctrl + wheel into the top of the default sample's map, and hover a pixel.
  await page.goto(`${url}#survey?sample=${defaultSampleName}`);
  await page.waitForSelector("[data-testid=pagemap][data-renders]");
  const map = page.locator("section.pagemap").first();
  await map.scrollIntoViewIfNeeded();
  const probe = page.getByTestId("pagemap-probe");
  const box = (await probe.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + 6);
  await page.keyboard.down("Control");
  for (let i = 0; i < 2; i++) {
    await page.mouse.wheel(0, -100);
    await page.waitForTimeout(100);
  }
  await page.keyboard.up("Control");
  await page.mouse.move(box.x + box.width * 0.36, box.y + 52);
  await page.getByTestId("pagemap-tooltip").waitFor();
  await map.locator(".pagemap-box").screenshot({ path: shot("pagemap") });

  // A page of a large folio, picked: its word under memdesc-8.
  await page.mouse.click(box.x + box.width * 0.36, box.y + 52);
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
  await page.goto(`${url}#survey`);
  await page.waitForSelector("[data-testid=pagemap][data-renders]");
  const probe = page.getByTestId("pagemap-probe");
  await probe.scrollIntoViewIfNeeded();
  const box = (await probe.boundingBox())!;
  await page.touchscreen.tap(box.x + box.width / 2, box.y + 20);
  await page.getByTestId("page-word").waitFor();
  await probe.evaluate((e) => e.scrollIntoView({ block: "start" }));
  await page.evaluate(() => window.scrollBy(0, -60));
  await page.screenshot({ path: shot("phone-survey") });
  console.log(`screenshots of ${url} written to ${out}`);
} finally {
  await mobile.close();
  server.kill("SIGTERM");
}
