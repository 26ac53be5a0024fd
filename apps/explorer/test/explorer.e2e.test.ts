import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bill, bill, type MemoryUse, miscSubtypes } from "@memdesc/core";
// `useOfFlags` renamed: linters take a `use…` call for a React hook.
import {
  useOfFlags as classifyWord,
  expandChunksSync,
  readSnapshot,
  samples,
  surveyUses,
} from "@memdesc/kpageflags";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstPartyRegistry } from "../src/lib/registry.js";
import { type Mix, mixPicture, mixRegistry, presets } from "../src/views/bill/mix.js";
import {
  browserMissing,
  cliBin,
  type ExplorerSession,
  openExplorer,
  repoRoot,
  sampleSnapshot,
} from "./harness.js";

/*
 * The explorer in a real browser: Debian's Chromium driven by playwright-core against the built app served by
 * `vite preview`. The numbers on the page must be the CLI's: every one is compared with `memdesc survey --json`
 * (or core's bill() for the Bill view's mix) for the same input. A screenshot of each view is saved.
 */

const missing = browserMissing();
if (missing) console.warn(`explorer e2e: skipped: ${missing}`);

const artifacts = join(repoRoot, "test-artifacts", "explorer");

interface SurveyJson {
  readonly design: string;
  readonly survey: { uses: Record<string, { pages: number; descriptors: number }> };
  readonly bill: Bill;
}

/**
 * `memdesc survey --snapshot <default sample> --json [--design D]` (or `--sample NAME`), run from a directory with
 * no memdesc config.
 */
function cliSurvey(design?: string, sample?: string): SurveyJson {
  const cwd = mkdtempSync(join(tmpdir(), "memdesc-explorer-cli-"));
  try {
    const args = [
      cliBin,
      "survey",
      ...(sample ? ["--sample", sample] : ["--snapshot", sampleSnapshot]),
      "--json",
      ...(design ? ["--design", design] : []),
    ];
    const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`memdesc survey failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as SurveyJson;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

interface PageUseRow {
  use: string;
  pages: number;
  descriptors: number;
  cells: { design: string; bytes: number; entryBytes: number; descriptorBytes: number }[];
}

/** The Survey view's bill table and totals, read from the data-* attributes (raw counts, not the rounded text). */
async function readSurveyBill(page: Page) {
  return page.evaluate(() => {
    const num = (v: string | undefined) => Number(v);
    const rows = [
      ...document.querySelectorAll<HTMLTableRowElement>("[data-testid=survey-bill] tbody tr"),
    ].map((tr) => ({
      use: tr.dataset.use!,
      pages: num(tr.dataset.pages),
      descriptors: num(tr.dataset.descriptors),
      cells: [...tr.querySelectorAll<HTMLElement>("td[data-design]")].map((td) => ({
        design: td.dataset.design!,
        bytes: num(td.dataset.bytes),
        entryBytes: num(td.dataset.entryBytes),
        descriptorBytes: num(td.dataset.descriptorBytes),
      })),
    }));
    const totals = [
      ...document.querySelectorAll<HTMLTableRowElement>("[data-testid=survey-totals] tbody tr"),
    ].map((tr) => ({
      design: tr.dataset.design!,
      total: num(tr.dataset.total),
      entries: num(tr.dataset.entries),
      descriptors: num(tr.dataset.descriptors),
      saving: num(tr.dataset.saving),
    }));
    const foot = document.querySelector<HTMLElement>("[data-testid=survey-bill] tfoot tr")!;
    const legend = Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>("[data-testid=pagemap-legend] li")].map((li) => [
        li.dataset.use!,
        num(li.dataset.pages),
      ]),
    );
    return {
      rows: rows as PageUseRow[],
      totals,
      ramPages: num(foot.dataset.pages),
      legend,
      ramTable: num(document.querySelector<HTMLElement>("[data-testid=survey-totals]")!.dataset.ramPages),
    };
  });
}

/** What the page shows must be exactly the CLI's bill: per use and design, and the totals. */
function expectSameBill(shown: Awaited<ReturnType<typeof readSurveyBill>>, cli: SurveyJson): void {
  const b = cli.bill;
  expect(shown.ramPages).toBe(b.ramPages);
  expect(shown.ramTable).toBe(b.ramPages);
  expect(shown.totals.map((t) => t.design)).toEqual(b.designs.map((d) => d.design));
  for (const d of b.designs) {
    expect(
      shown.totals.find((t) => t.design === d.design),
      d.design,
    ).toEqual({
      design: d.design,
      total: d.total,
      entries: d.entries,
      descriptors: d.descriptors,
      saving: d.savingVsToday,
    });
  }
  const first = b.designs[0]!;
  expect(shown.rows.map((r) => r.use)).toEqual(first.uses.map((u) => u.use));
  for (const [i, u] of first.uses.entries()) {
    const row = shown.rows[i]!;
    expect({ use: row.use, pages: row.pages, descriptors: row.descriptors }).toEqual({
      use: u.use,
      pages: u.pages,
      descriptors: u.descriptors,
    });
    expect(row.cells).toEqual(
      b.designs.map((d) => ({
        design: d.design,
        bytes: d.uses[i]!.total,
        entryBytes: d.uses[i]!.entryBytes,
        descriptorBytes: d.uses[i]!.descriptorBytes,
      })),
    );
  }
}

describe.skipIf(missing !== undefined)("the explorer in Chromium", () => {
  let explorer: ExplorerSession;
  let preview: ExplorerSession["preview"];
  let page: Page;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    explorer = await openExplorer();
    ({ preview, page } = explorer);
  });

  afterAll(async () => {
    await explorer?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const pickDesign = async (design: string) => {
    await page.getByLabel("Design", { exact: true }).selectOption(design);
    await page.waitForSelector(`[data-testid=survey-results][data-design="${design}"]`);
  };

  it("opens on the sample snapshot, and Load the sample gives the CLI's numbers exactly", async () => {
    await page.goto(preview.url);
    await page.waitForSelector("[data-testid=survey-results]");
    await page.getByRole("button", { name: "Load the sample" }).click();
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=load-status]")?.textContent?.startsWith("Showing the sample"),
    );
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
    const shown = await readSurveyBill(page);
    const cli = cliSurvey();
    expect(cli.design).toBe("memdesc-8");
    expectSameBill(shown, cli);
    // The page map's legend counts every PFN by use, as the survey does.
    for (const u of surveyUses) expect(shown.legend[u] ?? 0, u).toBe(cli.survey.uses[u]!.pages);
    expect(
      Object.values(shown.legend).reduce((s, n) => s + n, 0),
      "every PFN is on the map",
    ).toBe(6_553_600);
    await shot("survey");
  });

  it("switching designs re-bills with the same registry as `memdesc survey --design`", async () => {
    await pickDesign("memdesc-8-v1");
    expect(page.url()).toContain("design=memdesc-8-v1");
    const v1 = await readSurveyBill(page);
    const cli = cliSurvey("memdesc-8-v1");
    expect(cli.bill.designs.map((d) => d.design)).toContain("memdesc-8-v1");
    expectSameBill(v1, cli);
    await pickDesign("path-32");
    expectSameBill(await readSurveyBill(page), cliSurvey("path-32"));
    await pickDesign("memdesc-8");
  });

  it("shows a PFN's flags and use on hover and for a typed PFN, as the snapshot has them", async () => {
    const canvas = page.getByTestId("pagemap-probe");
    const box = (await canvas.boundingBox())!;
    await canvas.hover({ position: { x: box.width / 3, y: 3 } });
    const tip = page.getByTestId("pagemap-tooltip");
    await expect.poll(() => tip.textContent()).toMatch(/PFNs 0x[0-9a-f]+–0x[0-9a-f]+ \(\d+\)mostly \w+/);
    // A PFN asked for by number: zoomed to one PFN per cell, its word decoded with kpageflags' names.
    const pfn = 0x158123;
    await page.getByLabel("Inspect PFN").fill(`0x${pfn.toString(16)}`);
    const info = page.getByTestId("pagemap-info");
    await expect.poll(() => info.textContent()).toContain(`PFN 0x${pfn.toString(16)}`);
    const expected = flagsAt(pfn);
    const text = (await info.textContent())!;
    expect(text).toContain(`flags ${expected.hex}`);
    const kind = firstPartyRegistry("memdesc-8").ownerOf(expected.use as MemoryUse);
    expect(text).toContain(`use: ${expected.use}${kind ? ` (${kind})` : ""}`);
    await expect
      .poll(() => page.getByTestId("pagemap-scale").textContent())
      .toMatch(/^1 PFN per \d+×\d+ cell/);
    // The keyboard zooms the map too.
    await canvas.focus();
    await page.keyboard.press("0");
    await expect.poll(() => page.getByTestId("pagemap-scale").textContent()).toMatch(/PFNs per pixel/);
    await page.keyboard.press("+");
    await expect.poll(() => page.getByTestId("pagemap-scale").textContent()).not.toMatch(/^14 PFNs/);
  });

  it("validates a loaded file, and takes the CLI's survey JSON, dropped on the page, with the same numbers", async () => {
    const input = page.getByLabel("Load a snapshot (.mdsnap) or survey JSON");
    await input.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    const error = page.getByTestId("load-error");
    await expect.poll(() => error.textContent()).toContain("notes.txt: neither a memdesc snapshot");
    const bad = readFileSync(sampleSnapshot);
    const broken = Buffer.from(bad);
    broken[broken.length - 5]! ^= 0xff;
    await input.setInputFiles({
      name: "broken.mdsnap",
      mimeType: "application/octet-stream",
      buffer: broken,
    });
    await expect
      .poll(() => error.textContent())
      .toMatch(/broken\.mdsnap: body at offset \d+: not a gzip member inflating to \d+ bytes/);
    await input.setInputFiles({
      name: "survey.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify({ survey: { pageSize: "4096" } })),
    });
    await expect
      .poll(() => error.textContent())
      .toMatch(/survey\.json: not a memdesc survey: field survey\.\w+/);
    await shot("survey-bad-file");
    // The CLI's own JSON, dropped on the page: it re-bills the survey and gets the CLI's bill.
    const cli = cliSurvey();
    const dropped = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], "sample-survey.json", { type: "application/json" }));
      return dt;
    }, JSON.stringify(cli));
    await page.dispatchEvent("[data-testid=drop-zone]", "dragover", { dataTransfer: dropped });
    expect(await page.getByTestId("drop-zone").getAttribute("class")).toContain("dragging");
    await page.dispatchEvent("[data-testid=drop-zone]", "drop", { dataTransfer: dropped });
    await page.waitForSelector("[data-testid=survey-results][data-name='sample-survey.json']");
    expect(await page.getByTestId("load-error").count()).toBe(0);
    expect(
      await page.getByTestId("plugins-note").count(),
      "the CLI billed with the same first-party set",
    ).toBe(0);
    const shown = await readSurveyBill(page);
    expectSameBill(shown, cli);
    expect(shown.legend).toEqual({});
  });

  it("Bill view: the chart and totals follow the mix, equal to core's bill() of the same picture", async () => {
    await page.getByRole("tab", { name: "Bill" }).click();
    await page.waitForSelector("[data-testid=bill-totals]");
    const readTotals = () =>
      page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll<HTMLElement>("[data-testid=bill-totals] tbody tr")].map((tr) => [
            tr.dataset.design!,
            Number(tr.dataset.total),
          ]),
        ),
      );
    const expected = (mix: Mix, design: string) =>
      Object.fromEntries(
        bill(mixRegistry(design, mix.folioGrowth), mixPicture(mix).picture).designs.map((d) => [
          d.design,
          d.total,
        ]),
      );
    const desktop = presets.desktop!;
    expect(await readTotals()).toEqual(expected(desktop, "memdesc-8"));
    // Change the mix: 64 GiB, more page cache, more large folios, struct folio 32 bytes bigger.
    await page.getByLabel("Machine RAM, exact value").fill("64");
    await page.getByLabel("Page cache, exact value").fill("45");
    await page.getByLabel("order 9 (2 MiB, THP), exact value").fill("40");
    await page.getByLabel("struct folio grows by, exact value").fill("32");
    const mix: Mix = {
      ...desktop,
      ramGiB: 64,
      shares: { ...desktop.shares, file: 45 },
      folioOrders: { ...desktop.folioOrders, 9: 40 },
      folioGrowth: 32,
    };
    await expect.poll(readTotals).toEqual(expected(mix, "memdesc-8"));
    expect(await page.getByText("memdesc-era folio: 112 bytes small, 160 large").count()).toBe(1);
    // The chart is a real Chart.js canvas with a label naming every design's total.
    const chart = page.getByTestId("bill-chart").locator("canvas");
    expect(await chart.getAttribute("aria-label")).toMatch(/today [\d,.]+ MiB, path-32/);
    await pickDesignAnywhere(page, "buddy-16");
    await expect.poll(readTotals).toEqual(expected(mix, "buddy-16"));
    await shot("bill");
    await pickDesignAnywhere(page, "memdesc-8");
  });

  it("Word view: encodes, decodes and shows the codec's errors inline", async () => {
    await shortcut(page, "1");
    await page.waitForSelector("[data-testid=type-table]");
    expect(await page.getByRole("tab", { name: "Word" }).getAttribute("aria-selected")).toBe("true");
    const registry = firstPartyRegistry("memdesc-8");
    const encoded = page.getByTestId("encoded-word");
    expect(await encoded.textContent()).toBe("0xffff_8881_00a3_c242");
    await page.getByLabel("Descriptor address", { exact: true }).fill("0xffff888100a3c248");
    await expect
      .poll(() => page.getByRole("alert").first().textContent())
      .toMatch(/^MISALIGNED: .*16-byte aligned/);
    await page.getByLabel("Word (hex)", { exact: true }).fill("0x3011");
    await expect.poll(() => page.getByTestId("decoded-word").textContent()).toContain("buddy");
    const d = registry.codec.decode(0x3011n);
    expect(d.kind).toBe("buddy");
    await shot("word");
    await pickDesignAnywhere(page, "today");
    // No word under today: a note, and no error on arrival.
    await expect.poll(() => page.getByTestId("no-word").count()).toBe(1);
    expect(await page.getByRole("alert").count()).toBe(0);
    await pickDesignAnywhere(page, "memdesc-8");
  });

  it("Word view: reads words as dump_page() prints them, says when a tag is no kind of this set, names Misc's subtypes", async () => {
    await page.goto(`${preview.url}#word`);
    await page.waitForSelector("[data-testid=type-table]");
    const registry = firstPartyRegistry("memdesc-8");
    const codec = registry.codec;
    const inSet = new Set(registry.plugins.map((p) => p.kind as string));
    const wordBox = page.getByLabel("Word (hex)", { exact: true });
    const kindSelect = page.getByLabel("Kind", { exact: true });
    const decodedKind = page.getByTestId("decoded-word").locator("dd[data-kind]");
    // Bare hex, as dump_page() prints a word: core's codec decodes the same digits read as hex.
    await wordBox.fill("ffff888100a3c242");
    const folio = codec.decode(0xffff888100a3c242n);
    await expect.poll(() => kindSelect.inputValue()).toBe(folio.kind);
    expect(await page.getByLabel("Descriptor address", { exact: true }).inputValue()).toBe(
      `0x${(folio as { address: bigint }).address.toString(16)}`,
    );
    // Every tag of the design that no plugin of this set describes (and tags the design gives no kind): the
    // decoder says so, the encoder shows that word and asks for no kind's fields.
    const foreign = Array.from({ length: 16 }, (_, tag) => tag).filter(
      (t) => !inSet.has(codec.kindOf(t) ?? ""),
    );
    expect(foreign.length).toBeGreaterThan(0);
    for (const tag of foreign) {
      const text = `0b${(0x1230 | tag).toString(2)}`;
      await wordBox.fill(text);
      await expect.poll(() => decodedKind.getAttribute("data-in-set"), { message: text }).toBe("false");
      const kind = codec.kindOf(tag);
      expect(await decodedKind.textContent(), text).toMatch(
        kind
          ? new RegExp(`^${kind}: not a kind of this set — memdesc-8 sets tag ${tag} aside for `)
          : /^no kind: /,
      );
      expect(await kindSelect.inputValue(), text).toBe("");
      expect(await page.getByTestId("encoder-foreign").textContent(), text).toMatch(/not a kind of this set/);
      expect(await page.getByLabel("Descriptor address", { exact: true }).count(), text).toBe(0);
      expect(await page.getByTestId("encoded-word").textContent(), text).toBe(
        `0x${(0x1230 | tag)
          .toString(16)
          .padStart(16, "0")
          .replace(/(.{4})(?!$)/g, "$1_")}`,
      );
    }
    // A kind of the set fills the encoder in again; decimal takes 0d (or the switch).
    await wordBox.fill("0d18");
    await expect.poll(() => kindSelect.inputValue()).toBe(codec.decode(18n).kind);
    expect(await page.getByTestId("encoder-foreign").count()).toBe(0);
    await wordBox.fill("18");
    await expect.poll(() => kindSelect.inputValue()).toBe(codec.decode(0x18n).kind);
    await page.getByLabel(/Bare digits are decimal/).check();
    await expect.poll(() => kindSelect.inputValue()).toBe(codec.decode(18n).kind);
    await page.getByLabel(/Bare digits are decimal/).uncheck();
    // Misc's subtypes by name, from core's table: typed by name, and decoded from a word.
    await kindSelect.selectOption("misc");
    const subtype = page.getByLabel("subtype (7 bits from bit 4)", { exact: true });
    for (const [name, n] of Object.entries(miscSubtypes)) {
      await subtype.fill(name);
      await expect
        .poll(() => page.getByTestId("subtype-name").textContent(), { message: name })
        .toBe(`${n}: ${name}`);
      expect(await page.getByTestId("encoded-word").textContent(), name).toBe(
        `0x${codec
          .encode({ kind: "misc", fields: { subtype: n } })
          .toString(16)
          .padStart(16, "0")
          .replace(/(.{4})(?!$)/g, "$1_")}`,
      );
      expect(
        await page.getByTestId("decoded-word").locator('[data-field="subtype"]').textContent(),
        name,
      ).toBe(`${n} (0x${n.toString(16)}) ${name}`);
    }
  });

  it("Layouts view: today's and the memdesc-era layouts with holes and cachelines, and the overlay rules", async () => {
    await shortcut(page, "2");
    await page.waitForSelector("[data-testid=overlay-rules]");
    const registry = firstPartyRegistry("memdesc-8");
    const rules = registry
      .checkOverlays()
      .filter((r) => r.kind === "folio")
      .flatMap((r) => r.results);
    const summary = page.getByTestId("rule-summary");
    expect(Number(await summary.getAttribute("data-pass"))).toBe(
      rules.filter((r) => r.status === "pass").length,
    );
    expect(Number(await summary.getAttribute("data-fail"))).toBe(
      rules.filter((r) => r.status === "fail" || r.status === "missing").length,
    );
    expect(
      await page
        .getByTestId("layout-card")
        .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.size)),
    ).toEqual(
      [
        registry.todayLayout("folio").size,
        ...Object.values(registry.memdescLayouts("folio")).map((l) => l.size),
      ].map(String),
    );
    expect(await page.locator(".hole-row").count()).toBeGreaterThan(0);
    expect(await page.locator(".cacheline-row").count()).toBeGreaterThan(0);
    await shot("layouts");
  });

  it("each shipped sample, picked in the Sample list, is `memdesc survey --sample NAME`, with its note", async () => {
    expect(samples.length).toBeGreaterThanOrEqual(3);
    await page.goto(preview.url);
    await page.waitForSelector("[data-testid=survey-results]");
    for (const sample of samples) {
      await page.getByLabel("Sample", { exact: true }).selectOption(sample.name);
      await page.getByRole("button", { name: "Load the sample" }).click();
      await page.waitForSelector(`[data-testid=survey-results][data-name="${sample.file}"]`);
      await page.waitForSelector("[data-testid=pagemap][data-renders]");
      expect(page.url(), sample.name).toContain(`sample=${sample.name}`);
      expectSameBill(await readSurveyBill(page), cliSurvey(undefined, sample.name));
      expect(await page.getByTestId("survey-results").textContent(), sample.name).toContain(sample.note);
    }
  });

  it("fetched nothing but its own files and raised no error", () => {
    expect(explorer.foreignRequests()).toEqual([]);
    expect(explorer.errors).toEqual([]);
  });
});

/** A keyboard shortcut, typed with nothing focused (in a text box or a select, keys are the control's). */
async function shortcut(page: Page, key: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press(key);
}

async function pickDesignAnywhere(page: Page, design: string): Promise<void> {
  await page.getByLabel("Design", { exact: true }).selectOption(design);
  await page.waitForFunction(
    (d) => (document.getElementById("design") as HTMLSelectElement).value === d,
    design,
  );
}

/** The flag word and use of one PFN of the sample, read with kpageflags' node entry. */
function flagsAt(pfn: number): { hex: string; use: string } {
  const snap = readSnapshot(sampleSnapshot);
  for (const chunk of expandChunksSync(snap.header.startPfn, snap.header.pfnCount, 65536, snap.streams[0]!)) {
    if (pfn < chunk.pfn || pfn >= chunk.pfn + chunk.length) continue;
    const i = pfn - chunk.pfn;
    const lo = chunk.flags[2 * i]!;
    const hi = chunk.flags[2 * i + 1]!;
    const hex = `0x${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`;
    if (lo === 0 && hi === 0) throw new Error(`PFN ${pfn} reads 0: pick a flagged PFN for this test`);
    return { hex, use: surveyUses[classifyWord(lo, hi)]! };
  }
  throw new Error(`PFN ${pfn} is not in the sample`);
}
