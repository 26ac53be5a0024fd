import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parquetMetadata } from "hyparquet";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliFleet, makeCliFleet } from "./fleet-fixture.js";
import { browserMissing, type ExplorerSession, openExplorer, repoRoot } from "./harness.js";

/*
 * The Fleet view in Chromium, against the CLI: a fleet of snapshots made from the real sample's sections,
 * `memdesc fleet` (DuckDB) over them, and the files dropped on the page. The view's percentiles must be DuckDB's
 * (`memdesc fleet --by … --json`), its hosts at either end the CLI's, and a host opened in the Survey view must
 * show the bill the fleet has for it.
 */

const missing = browserMissing();
if (missing) console.warn(`explorer fleet e2e: skipped: ${missing}`);

const artifacts = join(repoRoot, "test-artifacts", "explorer");

/** Files for page.setInputFiles. */
const files = (...paths: string[]) =>
  paths.map((p) => ({
    name: p.slice(p.lastIndexOf("/") + 1),
    mimeType: "application/octet-stream",
    buffer: readFileSync(p),
  }));

/** The distribution table, read from its data-* attributes (the raw numbers, not the rounded text). */
function readDistribution(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLTableRowElement>("[data-testid=fleet-distribution] tbody tr")].map(
      (tr) => ({
        group: tr.dataset.group!,
        hosts: Number(tr.dataset.hosts),
        saving: Number(tr.dataset.saving),
        bytes: JSON.parse(tr.dataset.bytes!),
        percent: JSON.parse(tr.dataset.percent!),
      }),
    ),
  );
}

describe.skipIf(missing !== undefined)("the Fleet view in Chromium", () => {
  let explorer: ExplorerSession;
  let page: Page;
  let fleet: CliFleet;

  beforeAll(async () => {
    fleet = makeCliFleet(16);
    explorer = await openExplorer();
    page = explorer.page;
    await page.goto(`${explorer.preview.url}#fleet`);
  }, 240_000);

  afterAll(async () => {
    await explorer?.close();
    fleet?.remove();
  });

  const input = () => page.getByLabel("Load a fleet (Parquet or JSON) and its hosts' snapshots");

  it("shows the saving per host, grouped as picked, with DuckDB's percentiles (memdesc fleet --by)", async () => {
    await input().setInputFiles(files(fleet.parquet));
    await page.waitForSelector("[data-testid=fleet-results][data-design='memdesc-8']");
    expect(await page.getByTestId("fleet-status").textContent()).toContain("fleet.parquet (parquet");
    for (const [by, option, column] of [
      ["team", "label team", "label_team"],
      ["kernel", "kernel release", "kernel_release"],
      ["ram", "RAM size class", "ram_class_gib"],
    ] as const) {
      await page.getByLabel("Group by").selectOption({ label: option });
      await page.waitForSelector(
        `[data-testid=fleet-results][data-by='${by === "team" ? "label:team" : by}']`,
      );
      const shown = await readDistribution(page);
      const cli = fleet.fleetJson(by).distribution.filter((r) => r.design === "memdesc-8");
      expect(shown.length).toBe(cli.length);
      for (const r of cli) {
        const v = r[column];
        const name = by === "ram" ? `≤ ${v} GiB` : String(v ?? "(none)");
        const row = shown.find((s) => s.group === name);
        expect(row, `${by} ${name}`).toBeDefined();
        expect(row).toEqual({
          group: name,
          hosts: r.hosts,
          saving: r.saving_bytes,
          bytes: { min: r.min_bytes, p10: r.p10_bytes, p50: r.p50_bytes, p90: r.p90_bytes, max: r.max_bytes },
          percent: {
            min: r.min_percent,
            p10: r.p10_percent,
            p50: r.p50_percent,
            p90: r.p90_percent,
            max: r.max_percent,
          },
        });
      }
      // The chart is drawn (a canvas with pixels), stacked by the same groups.
      expect(await page.getByTestId("fleet-chart").locator("canvas").count()).toBe(1);
    }
    await page.screenshot({ path: join(artifacts, "fleet.png"), fullPage: true });
  });

  it("follows the header's design, and takes the CLI's JSON to the same numbers", async () => {
    await page.getByLabel("Group by").selectOption({ label: "label team" });
    await page.getByLabel("Design", { exact: true }).selectOption("path-32");
    await page.waitForSelector("[data-testid=fleet-results][data-design='path-32'][data-by='label:team']");
    const cliPath = fleet.fleetJson("team").distribution.filter((r) => r.design === "path-32");
    const shown = await readDistribution(page);
    expect(shown.map((s) => s.bytes.p50)).toEqual(
      cliPath.filter((r) => shown.some((s) => s.group === r.label_team)).map((r) => r.p50_bytes),
    );
    // today is the baseline: the view says so and shows the fleet's own design.
    await page.getByLabel("Design", { exact: true }).selectOption("today");
    await page.waitForSelector("[data-testid=fleet-results][data-design='memdesc-8']");
    expect(await page.getByTestId("fleet-design-note").textContent()).toContain("today is the baseline");
    await page.getByLabel("Design", { exact: true }).selectOption("memdesc-8");
    await input().setInputFiles(files(fleet.json));
    await expect.poll(() => page.getByTestId("fleet-status").textContent()).toContain("fleet.json (json");
    await page.getByLabel("Group by").selectOption({ label: "label team" });
    const fromJson = await readDistribution(page);
    const cli = fleet.fleetJson("team").distribution.filter((r) => r.design === "memdesc-8");
    expect(fromJson.map((r) => [r.group, r.bytes.p90])).toEqual(cli.map((r) => [r.label_team, r.p90_bytes]));
  });

  it("lists the hosts at either end as the CLI orders them, and opens one in the Survey view with the fleet's bill", async () => {
    await page.getByLabel("Saving as").selectOption("percent");
    const cli = fleet.fleetJson().hosts.filter((h) => h.design === "memdesc-8");
    const listed = (id: string) =>
      page.evaluate(
        (testId) =>
          [...document.querySelectorAll<HTMLElement>(`[data-testid=${testId}] li`)].map(
            (li) => li.dataset.host!,
          ),
        id,
      );
    expect(await listed("fleet-least")).toEqual(cli.slice(0, 5).map((h) => h.host));
    const most = cli.slice(-5).reverse();
    expect(await listed("fleet-most")).toEqual(most.map((h) => h.host));
    // Without its snapshot a host cannot be opened; with the snapshots dropped beside the fleet, it can.
    expect(await page.getByRole("button", { name: `Open ${most[0]!.host} in Survey` }).count()).toBe(0);
    const snapshots = readdirSync(fleet.snapshots).map((f) => join(fleet.snapshots, f));
    const dropped = await page.evaluateHandle(
      (list) => {
        const dt = new DataTransfer();
        for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
        return dt;
      },
      snapshots.map((p) => ({ name: p.slice(p.lastIndexOf("/") + 1), bytes: [...readFileSync(p)] })),
    );
    await page.dispatchEvent("[data-testid=fleet-drop-zone]", "drop", { dataTransfer: dropped });
    await expect.poll(() => page.getByTestId("fleet-status").textContent()).toContain("16 snapshots at hand");
    const top = most[0]!;
    await page.getByRole("button", { name: `Open ${top.host} in Survey` }).click();
    await page.waitForSelector(`[data-testid=survey-results][data-name='${top.host}.mdsnap']`);
    expect(page.url()).toContain("#survey");
    // The Survey view bills the snapshot in the page: its saving under memdesc-8 is the fleet's for that host.
    const saving = await page.evaluate(
      () =>
        document.querySelector<HTMLElement>("[data-testid=survey-totals] tbody tr[data-design='memdesc-8']")!
          .dataset.saving,
    );
    expect(Number(saving)).toBe(top.saving_bytes);
    // Back to the fleet: still loaded.
    await page.getByRole("tab", { name: "Fleet" }).click();
    await page.waitForSelector("[data-testid=fleet-results]");
  });

  it("refuses a bad file in one message, and stops a Parquet decode that does not end", async () => {
    await input().setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    const error = page.getByTestId("fleet-error");
    await expect.poll(() => error.textContent()).toContain("notes.txt: neither Parquet");
    await input().setInputFiles(files(fleet.json, fleet.parquet));
    await expect.poll(() => error.textContent()).toContain("one fleet file at a time");
    // A byte of a page header changed so that a run length is billions: the reader would loop for minutes.
    const good = readFileSync(fleet.parquet);
    const meta = parquetMetadata(good.buffer.slice(good.byteOffset, good.byteOffset + good.byteLength));
    const chunk = meta.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema[0] === "label_region")!;
    const bad = Buffer.from(good);
    bad[Number(chunk.meta_data!.data_page_offset) + 7]! ^= 183;
    await input().setInputFiles({
      name: "looping.parquet",
      mimeType: "application/octet-stream",
      buffer: bad,
    });
    await expect
      .poll(() => page.getByTestId("fleet-status").textContent())
      .toContain("Loading looping.parquet");
    const stopped = await page.waitForSelector("[data-testid=fleet-error][data-code]", { timeout: 30_000 });
    expect([await stopped.getAttribute("data-code"), await stopped.textContent()]).toEqual([
      "TIMEOUT",
      expect.stringMatching(/looping\.parquet: its Parquet was still decoding after 11 s/),
    ]);
    // The fleet shown before stays on show.
    expect(await page.getByTestId("fleet-results").count()).toBe(1);
  }, 60_000);

  it("fetched nothing but its own files and raised no error", () => {
    expect(explorer.foreignRequests()).toEqual([]);
    expect(explorer.errors).toEqual([]);
  });
});
