/*
 * The READMEs' screenshots, taken as a new user would see the app: `memdesc explore` (the real CLI serving the
 * built app) opened in Debian's Chromium on the shipped sample.
 *
 *   npm run build && npm run screenshots -w @memdesc/explorer     → docs/images/explorer-*.png
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { browserMissing, cliBin, launchChromium, repoRoot } from "../test/harness.js";

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
const session = await launchChromium();
try {
  const page = await session.browser.newPage();
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(url);
  await page.waitForSelector("[data-testid=pagemap][data-renders]");
  await page.screenshot({ path: join(out, "explorer-survey.png") });
  const map = page.locator("section.pagemap");
  await map.scrollIntoViewIfNeeded();
  const canvas = page.getByTestId("pagemap");
  // Zoom with the wheel into the top of the map, where this machine's memory is in use, and hover a pixel.
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + 6);
  for (let i = 0; i < 2; i++) {
    await page.mouse.wheel(0, -100);
    await page.waitForTimeout(100);
  }
  await page.mouse.move(box.x + box.width * 0.36, box.y + 52);
  await page.getByTestId("pagemap-tooltip").waitFor();
  await map.screenshot({ path: join(out, "explorer-pagemap.png") });
  await page.goto(`${url}#bill`);
  await page.waitForSelector("[data-testid=bill-totals]");
  await page.getByLabel("struct folio grows by, exact value").fill("32");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, "explorer-bill.png") });
  console.log(`screenshots of ${url} written to ${out}`);
} finally {
  await session.close();
  server.kill("SIGTERM");
}
