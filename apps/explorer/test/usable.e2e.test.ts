import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSampleName, samples } from "@memdesc/kpageflags";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contrast, deltaE, visions } from "./colour.js";
import {
  type AxeViolation,
  axeViolations,
  browserMissing,
  type ExplorerSession,
  openExplorer,
  phone,
  repoRoot,
  sampleSnapshot,
} from "./harness.js";

/*
 * The explorer usable everywhere, in Chromium: axe-core finds no serious or critical issue in any view; a file
 * dropped anywhere loads (the browser never leaves the app); the wheel over the page map zooms or scrolls and
 * never keeps the page from scrolling; every sample's map is drawn in colours 3:1 against its canvas and apart for
 * colour-blind eyes; hovering redraws the probe, not the map; inputs say what they did; and
 * on a 390 px phone the page does not scroll sideways, the word's type bits, the type table, the totals and
 * the Bill's legend are on screen, a tap on the map picks a page, and a finger scrolls the page past the map.
 */

const missing = browserMissing();
if (missing) console.warn(`explorer usability e2e: skipped: ${missing}`);

const artifacts = join(repoRoot, "test-artifacts", "explorer");
const btf = join(repoRoot, "packages/btf/fixtures/linux-6.18-memdesc.btf");

/** Every view, and the states worth checking apart (the Bill from a survey, two page maps compared). */
const states = [
  { name: "survey", hash: "#survey", ready: "[data-testid=pagemap][data-renders]" },
  { name: "word", hash: "#word", ready: "[data-testid=type-table]" },
  { name: "layouts", hash: "#layouts", ready: "[data-testid=overlay-rules]" },
  { name: "bill", hash: "#bill", ready: "[data-testid=bill-totals]" },
  {
    name: "bill from a survey",
    hash: `#bill?from=sample%3A${defaultSampleName}`,
    ready: "[data-testid=whatif-totals]",
  },
] as const;

const serious = (v: readonly AxeViolation[]) =>
  v.filter((x) => x.impact === "serious" || x.impact === "critical");

/** Drops files on an element as a file manager would: dragover (the page says where they will go), then drop. */
async function dropOn(page: Page, selector: string, files: { name: string; bytes: Buffer }[]) {
  const dt = await page.evaluateHandle(
    (list) => {
      const t = new DataTransfer();
      for (const f of list)
        t.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
      return t;
    },
    files.map((f) => ({ name: f.name, base64: f.bytes.toString("base64") })),
  );
  await page.dispatchEvent(selector, "dragover", { dataTransfer: dt });
  await page.dispatchEvent(selector, "drop", { dataTransfer: dt });
}

describe.skipIf(missing !== undefined)("the explorer on a desktop", () => {
  let explorer: ExplorerSession;
  let page: Page;

  beforeAll(async () => {
    explorer = await openExplorer();
    page = explorer.page;
  });
  afterAll(async () => {
    await explorer?.close();
  });

  it("axe-core finds no serious or critical issue in any view, and there is one main landmark", async () => {
    for (const s of states) {
      await page.goto(`${explorer.preview.url}${s.hash}`);
      await page.waitForSelector(s.ready);
      const v = await axeViolations(page);
      expect(serious(v), `${s.name}: ${JSON.stringify(serious(v), null, 1)}`).toEqual([]);
      expect(await page.locator("main, [role=main]").count(), s.name).toBe(1);
      expect(
        v.filter((x) => x.id.startsWith("landmark")),
        s.name,
      ).toEqual([]);
    }
  });

  it("opens the Word view under today with no error, only the note that there is no word", async () => {
    await page.goto(`${explorer.preview.url}#word?design=today`);
    await page.waitForSelector("[data-testid=type-table]");
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(await page.getByTestId("no-word").count()).toBe(1);
  });

  it("every scroll area can be reached with Tab", async () => {
    await page.goto(`${explorer.preview.url}#layouts`);
    await page.waitForSelector("[data-testid=overlay-rules]");
    await page.setViewportSize({ width: 700, height: 900 });
    // Wait for the wide tables to be seen as scrolling.
    await expect
      .poll(() =>
        page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>(".table-scroll, pre, .bit-rows")]
            .filter((e) => e.scrollWidth > e.clientWidth + 1 && e.getClientRects().length > 0)
            .map((e) => e.tabIndex),
        ),
      )
      .toSatisfy((t: number[]) => t.length > 0 && t.every((i) => i === 0));
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("a file dropped outside any drop zone loads where it belongs, and the page stays", async () => {
    await page.goto(`${explorer.preview.url}#word`);
    await page.waitForSelector("[data-testid=type-table]");
    const url = page.url();
    // A snapshot dropped on the Word view's heading: the Survey view opens on it.
    await dropOn(page, "h2", [{ name: "dropped.mdsnap", bytes: readFileSync(sampleSnapshot) }]);
    await page.waitForSelector("[data-testid=survey-results][data-name='dropped.mdsnap']");
    expect(page.url()).toBe(url.replace("#word", "#survey"));
    // A kernel's BTF dropped on the footer of the Bill view: the Layouts view reads it.
    await page.goto(`${explorer.preview.url}#bill`);
    await page.waitForSelector("[data-testid=bill-totals]");
    await dropOn(page, "footer", [{ name: "vmlinux.btf", bytes: readFileSync(btf) }]);
    await page.waitForSelector("[data-testid=kernel-check] tbody tr[data-kernel=A]");
    expect(page.url()).toContain("#layouts");
    expect(await page.getByTestId("kernel-status").textContent()).toMatch(/^A: vmlinux\.btf \(lp64, raw BTF/);
    // Whatever the browser would do with a file dropped on the page is never done: the app is still here.
    expect(new URL(page.url()).origin).toBe(new URL(explorer.preview.url).origin);
  });

  it("the wheel scrolls the page past the fitted map, scrolls a zoomed map, and zooms with Ctrl", async () => {
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
    const probe = page.getByTestId("pagemap-probe");
    await probe.scrollIntoViewIfNeeded();
    const box = (await probe.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const level = () => probe.getAttribute("data-level");
    const firstRow = () => probe.getAttribute("data-first-row").then(Number);
    // Fitted, the map has nothing to scroll: the page scrolls.
    const y0 = await page.evaluate(() => window.scrollY);
    await page.mouse.wheel(0, 200);
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(y0);
    expect(await level()).toBe("0");
    expect(await page.getByTestId("wheel-hint").textContent()).toBe("Ctrl + wheel (or pinch) zooms the map");
    // Ctrl + wheel zooms in.
    const b2 = (await probe.boundingBox())!;
    await page.mouse.move(b2.x + b2.width / 2, b2.y + b2.height / 2);
    await page.keyboard.down("Control");
    await page.mouse.wheel(0, -100);
    await page.mouse.wheel(0, -100);
    await page.keyboard.up("Control");
    await expect.poll(level).toBe("2");
    // Zoomed, the wheel scrolls the map's rows and the page stays.
    const y1 = await page.evaluate(() => window.scrollY);
    const r0 = await firstRow();
    await page.mouse.wheel(0, 300);
    await expect.poll(firstRow).toBeGreaterThan(r0);
    expect(await page.evaluate(() => window.scrollY)).toBe(y1);
    // Back at the map's first row, the wheel goes back to scrolling the page.
    for (let i = 0; i < 20 && (await firstRow()) > 0; i++) await page.mouse.wheel(0, -400);
    await expect.poll(firstRow).toBe(0);
    const y2 = await page.evaluate(() => window.scrollY);
    expect(y2).toBeGreaterThan(0);
    await page.mouse.wheel(0, -200);
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeLessThan(y2);
    expect(await level()).toBe("2");
  });

  it("draws each sample's page map in colours 3:1 against its canvas, apart for colour-blind eyes, each in the legend", async () => {
    for (const sample of samples) {
      await page.goto(`${explorer.preview.url}#survey?sample=${sample.name}`);
      await page.waitForSelector(`[data-testid=survey-results][data-name="${sample.file}"]`);
      await page.waitForSelector("[data-testid=pagemap][data-renders]");
      // What Chromium drew and shows, read back: the map's pixels, the canvas colour under it, the legend's swatches.
      const drawn = await page.evaluate(() => {
        const hex = (rgb: string) =>
          `#${(rgb.match(/\d+/g) ?? [])
            .slice(0, 3)
            .map((n) => Number(n).toString(16).padStart(2, "0"))
            .join("")}`;
        const map = document.querySelector<HTMLCanvasElement>("[data-testid=pagemap]")!;
        const data = map.getContext("2d")!.getImageData(0, 0, map.width, map.height).data;
        const pixels = new Set<string>();
        for (let i = 0; i < data.length; i += 4)
          pixels.add(
            `#${[data[i]!, data[i + 1]!, data[i + 2]!].map((n) => n.toString(16).padStart(2, "0")).join("")}`,
          );
        const legend = [...document.querySelectorAll<HTMLElement>("[data-testid=pagemap-legend] li")].map(
          (li) => {
            const style = getComputedStyle(li.querySelector(".swatch")!);
            const image = style.backgroundImage.match(/rgba?\([^)]*\)/g) ?? [];
            return {
              use: li.dataset.use!,
              colours: image.length ? image.map(hex) : [hex(style.backgroundColor)],
            };
          },
        );
        return {
          canvas: hex(getComputedStyle(map.parentElement!).backgroundColor),
          pixels: [...pixels],
          legend,
        };
      });
      const what = `sample ${sample.name}`;
      // Every colour on the map is the canvas or a use the legend names.
      const named = new Set(drawn.legend.flatMap((l) => l.colours));
      expect(
        drawn.pixels.filter((c) => c !== drawn.canvas && !named.has(c)),
        what,
      ).toEqual([]);
      expect(drawn.legend.length, what).toBeGreaterThan(3);
      // Every use stands out from the canvas by 3:1 (a textured one, holes, by its main colour).
      for (const l of drawn.legend)
        expect(
          Math.max(...l.colours.map((c) => contrast(c, drawn.canvas))),
          `${what}: ${l.use}`,
        ).toBeGreaterThanOrEqual(3);
      // Every two plain colours stay apart as seen with normal vision and with each colour-vision deficiency.
      const plain = drawn.legend.filter((l) => l.colours.length === 1);
      for (const vision of visions)
        for (const [i, a] of plain.entries())
          for (const b of plain.slice(i + 1))
            expect(
              deltaE(a.colours[0]!, b.colours[0]!, vision),
              `${what}: ${a.use} and ${b.use} (${vision ?? "normal vision"})`,
            ).toBeGreaterThanOrEqual(15);
    }
  });

  it("hovering the map redraws only the probe", async () => {
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
    const probe = page.getByTestId("pagemap-probe");
    await probe.scrollIntoViewIfNeeded();
    const box = (await probe.boundingBox())!;
    const renders = () => page.getByTestId("pagemap").getAttribute("data-renders");
    const draws = () => probe.getAttribute("data-draws").then(Number);
    const before = await renders();
    const d0 = await draws();
    for (let i = 0; i < 12; i++) await page.mouse.move(box.x + 20 + i * 37, box.y + 30 + i * 11);
    await page.getByTestId("pagemap-tooltip").waitFor();
    expect(await draws()).toBeGreaterThan(d0 + 5);
    expect(await renders()).toBe(before);
  });

  it("inputs say what they did: clamped numbers, folio shares off 100 %, units in tooltips, a file named once", async () => {
    await page.goto(`${explorer.preview.url}#bill`);
    await page.waitForSelector("[data-testid=bill-totals]");
    await page.getByLabel("Machine RAM, exact value").fill("5000");
    await expect
      .poll(() => page.getByTestId("clamped").textContent())
      .toBe("5000 GiB is more than the most this takes: set to 4096 GiB");
    expect(await page.getByLabel("Machine RAM, exact value").inputValue()).toBe("4096");
    await page.getByLabel("order 0 (4 KiB), exact value").fill("50");
    await expect
      .poll(() => page.getByTestId("folio-sum").textContent())
      .toBe("These add up to 70 %: each is taken as its share of 70 (scaled to 100 %).");
    expect(await page.getByTestId("folio-sum").getAttribute("class")).toContain("warn");
    // A chart's tooltip carries the unit.
    const chart = page.getByTestId("bill-chart").locator("canvas");
    await chart.scrollIntoViewIfNeeded();
    const cb = (await chart.boundingBox())!;
    for (let x = 0.1; x < 0.95; x += 0.05) {
      await page.mouse.move(cb.x + cb.width * x, cb.y + cb.height * 0.6);
      if (await chart.getAttribute("data-tooltip")) break;
    }
    expect(await chart.getAttribute("data-tooltip")).toMatch(/^\w+ \(.+\): [\d,.]+ MiB$/);
    // A bad file: its name said once.
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=survey-results]");
    await page
      .getByLabel("Load a snapshot (.mdsnap) or survey JSON")
      .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    const error = await page.getByTestId("load-error").textContent();
    expect(error!.split("notes.txt").length - 1).toBe(1);
  });

  it("raised no error and fetched nothing else", () => {
    expect(explorer.errors).toEqual([]);
    expect(explorer.foreignRequests()).toEqual([]);
  });
});

describe.skipIf(missing !== undefined)("the explorer on a 390 px phone", () => {
  let explorer: ExplorerSession;
  let page: Page;

  beforeAll(async () => {
    explorer = await openExplorer(phone);
    page = explorer.page;
  });
  afterAll(async () => {
    await explorer?.close();
  });

  const noSideways = () =>
    page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
  /** Whether an element is inside the screen's width (seen without scrolling sideways). */
  const onScreen = (selector: string) =>
    page.locator(selector).evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth + 0.5;
      }),
    );

  it("never scrolls sideways, the header takes little room, and axe-core finds nothing serious", async () => {
    for (const s of states) {
      await page.goto(`${explorer.preview.url}${s.hash}`);
      await page.waitForSelector(s.ready);
      expect(await noSideways(), s.name).toBe(true);
      const v = serious(await axeViolations(page));
      expect(v, `${s.name}: ${JSON.stringify(v, null, 1)}`).toEqual([]);
      const header = await page.locator(".app-header").boundingBox();
      // Two short rows: the title with the design switch, then the tabs.
      const rows = await page.evaluate(() =>
        [".app-header h1", ".design-switch select", ".tabs"].map((q) => {
          const r = document.querySelector(q)!.getBoundingClientRect();
          return Math.round(r.top + r.height / 2);
        }),
      );
      expect(Math.abs(rows[0]! - rows[1]!), `${s.name}: title and design on one row`).toBeLessThan(8);
      expect(rows[2]!, s.name).toBeGreaterThan(rows[1]!);
      expect(header!.height, s.name).toBeLessThan(90);
      await page.screenshot({
        path: join(artifacts, `phone-${s.name.replace(/ /g, "-")}.png`),
        fullPage: true,
      });
    }
  });

  it("shows the word's type bits, the type table, the totals' total and saving, and the Bill's legend", async () => {
    await page.goto(`${explorer.preview.url}#word`);
    await page.waitForSelector("[data-testid=type-table]");
    expect(
      await onScreen("[data-testid=word-bits] [data-bit='0'], [data-testid=word-bits] [data-bit='3']"),
    ).toEqual([true, true]);
    // The type table fits: every cell on screen (on a phone each row is a card of labelled cells).
    expect(await onScreen("[data-testid=type-table] td")).not.toContain(false);
    expect(await page.locator("[data-testid=type-table] td").count()).toBeGreaterThan(20);
    // The totals keep their total and saving columns, heads and figures, in the Survey view and the Bill.
    for (const [hash, table] of [
      ["#survey", "survey-totals"],
      ["#bill", "bill-totals"],
    ] as const) {
      await page.goto(`${explorer.preview.url}${hash}`);
      await page.waitForSelector(`[data-testid=${table}] tbody tr`);
      const cols = (await page.locator(`[data-testid=${table}] thead th`).allTextContents()).map((c) =>
        c.trim(),
      );
      const visible = await onScreen(`[data-testid=${table}] thead th`);
      expect(
        cols.filter((_, i) => visible[i]),
        table,
      ).toEqual(expect.arrayContaining(["design", "total", "saving vs today"]));
      for (const col of ["total", "saving vs today"]) {
        const n = cols.indexOf(col) + 1;
        const cells = await onScreen(`[data-testid=${table}] tbody tr > :nth-child(${n})`);
        expect(cells.length, `${table}: ${col}`).toBeGreaterThan(3);
        expect(cells, `${table}: ${col}`).not.toContain(false);
      }
    }
    const chart = page.getByTestId("bill-chart").locator("canvas");
    expect(await chart.getAttribute("data-legend-fits")).toBe("true");
    expect(Number(await chart.getAttribute("data-legend-items"))).toBeGreaterThanOrEqual(5);
  });

  it("a tap on the map picks a page, and a finger scrolls the page past the map", async () => {
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
    const probe = page.getByTestId("pagemap-probe");
    await probe.scrollIntoViewIfNeeded();
    const box = (await probe.boundingBox())!;
    await page.touchscreen.tap(box.x + box.width / 2, box.y + 10);
    await page.waitForSelector("[data-testid=page-word]");
    expect(await page.getByTestId("pagemap-info").textContent()).toMatch(/^PFN 0x[0-9a-f]+ \(/);
    // A swipe up that starts on the map scrolls the page (the map leaves vertical pans to the browser).
    expect(await probe.evaluate((e) => getComputedStyle(e).touchAction)).toContain("pan-y");
    // Put the map in the middle of the screen, then drag a finger down across it: the page scrolls up.
    await probe.evaluate((e) => e.scrollIntoView({ block: "center" }));
    const mid = (await probe.boundingBox())!;
    const y0 = await page.evaluate(() => window.scrollY);
    expect(y0).toBeGreaterThan(300);
    const cdp = await page.context().newCDPSession(page);
    const x = Math.round(mid.x + mid.width / 2);
    const y = Math.round(mid.y + 20);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y }] });
    for (let i = 1; i <= 10; i++) {
      await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x, y: y + i * 25 }] });
      await page.waitForTimeout(16);
    }
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeLessThan(y0 - 100);
    // The swipe was a scroll, not a tap: the picked page stays.
    expect(await page.getByTestId("page-word").count()).toBe(1);
  });

  it("raised no error and fetched nothing else", () => {
    expect(explorer.errors).toEqual([]);
    expect(explorer.foreignRequests()).toEqual([]);
  });
});
