import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Bill } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { expectUserError, run, tempDir, validJson } from "./helpers.js";

interface PluginsJson {
  plugins: {
    kind: string;
    descriptor: Record<string, { variant: string; size: number; rounded: number }[]>;
  }[];
}

describe("memdesc bill PICTURE.json", () => {
  const dir = tempDir();
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("prints the table per use, the totals and each design's arithmetic", () => {
    const r = run(["bill", "what-if.json"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.stdout;
    expect(out).toMatch(
      /^memdesc bill: what-if\.json \(what-if: 16 GiB database host\), 16\.0 GiB of RAM \(4,194,304 pages of 4 KiB\)$/m,
    );
    expect(out).toMatch(
      /^use\s+kind\s+pages\s+descriptors\s+today MiB\s+path-32 MiB\s+buddy-16 MiB\s+memdesc-8 MiB\s+saving MiB$/m,
    );
    expect(out).toMatch(/^file\s+folio\s+2,097,152\s+600,000\s+128\.00\s/m);
    expect(out).toMatch(/^hole\s+-\s+262,144\s+0\s+-\s+-\s+-\s+-\s+-$/m);
    expect(out).toMatch(/^total\s+4,194,304\s+956,384\s+256\.00\s/m);
    // Today: every RAM page has a 64-byte struct page, and nothing else.
    expect(out).toContain("today: 268,435,456 bytes = 256.00 MiB, 1.56% of RAM");
    expect(out).toContain("all uses  4,194,304 × 64 = 268,435,456");
    expect(out).toMatch(/^memdesc-8: [\d,]+ bytes = [\d.]+ MiB, [\d.]+% of RAM, saves [\d,]+ bytes/m);
    expect(out).toMatch(/^ {2}file\s+2,097,152 × 8 \+ 500,000 × \d+ \+ 100,000 × \d+ = [\d,]+$/m);
    // The bill warns where it priced something at zero or as order 0.
    expect(out).toContain(
      "warning: pagetable: no order histogram, so all 16,384 descriptors are priced as order 0",
    );
  });

  it("--json validates against schemas/bill.schema.json, and its numbers add up from the plugins' sizes", () => {
    const bill = (validJson("bill", run(["bill", "what-if.json", "--json"])) as { bill: Bill }).bill;
    const plugins = validJson("plugins", run(["plugins", "--json"])) as PluginsJson;
    expect(bill.ramPages).toBe(4_194_304);
    expect(bill.designs.map((d) => d.design)).toEqual(["today", "path-32", "buddy-16", "memdesc-8"]);
    const folio = plugins.plugins.find((p) => p.kind === "folio")!;
    for (const d of bill.designs) {
      const file = d.uses.find((u) => u.use === "file")!;
      if (d.design === "today") {
        expect(file.total).toBe(2_097_152 * 64);
        continue;
      }
      const [small, large] = ["small", "large"].map(
        (v) => folio.descriptor[d.design]!.find((x) => x.variant === v)!.rounded,
      );
      expect(file.total).toBe(2_097_152 * d.entryBytes + 500_000 * small! + 100_000 * large!);
      // memdesc-8's buddy word needs its free-list arrays: 4 bytes per page of RAM, outside the memmap.
      expect(d.outsideBytes).toBe(d.design === "memdesc-8" ? 4 * 4_194_304 : 0);
      expect(d.total).toBe(d.uses.reduce((s, u) => s + u.total, 0) + d.outsideBytes);
      expect(d.savingVsToday).toBe(268_435_456 - d.total);
    }
  });

  it("bills today with HVO when asked: each hugetlb folio keeps one page of struct pages", () => {
    const p = write(
      "hugetlb.json",
      JSON.stringify({ uses: { hugetlb: { pages: 262_144, descriptors: 512, orders: { "9": 512 } } } }),
    );
    const today = (args: string[]) =>
      (validJson("bill", run(["bill", p, "--json", ...args])) as { bill: Bill }).bill.designs.find(
        (d) => d.design === "today",
      )!;
    expect(today([]).total).toBe(262_144 * 64);
    expect(today(["--hvo", "on"]).total).toBe(512 * 4096);
    const text = run(["bill", p, "--hvo", "on"]);
    expect(text.stdout).toContain("today is billed with the HugeTLB vmemmap optimisation");
    expect(text.stdout).toMatch(/^ {2}hugetlb +512 × 4,096 = 2,097,152$/m);
    expectUserError(run(["bill", p, "--hvo", "maybe"]), /--hvo.*maybe.*is invalid/);
  });

  it("names the file and the key of a picture that fails its schema", () => {
    const p = write(
      "bad-orders.json",
      JSON.stringify({ uses: { file: { pages: 10, descriptors: 4, orders: { "0": 3 } } } }),
    );
    expectUserError(run(["bill", p]), /bad-orders\.json: uses\.file\.orders: orders sum to 3, not 4$/);
    const q = write("bad-use.json", JSON.stringify({ uses: { files: { pages: 1, descriptors: 0 } } }));
    expectUserError(
      run(["bill", q]),
      /bad-use\.json: uses\.files: not a memory use: neither core's nor one a composed plugin declares \(uses: free, pcp, file, .*, iommu, zsmalloc, netmem, .*hole\)$/,
    );
    const s = write("bad-pages.json", JSON.stringify({ uses: { anon: { pages: -1, descriptors: 0 } } }));
    expectUserError(run(["bill", s]), /bad-pages\.json: uses\.anon\.pages: /);
  });

  it("rejects a file that is not JSON, or not there, in one line", () => {
    expectUserError(
      run(["bill", write("broken.json", '{"uses": {')]),
      /broken\.json: not valid JSON: line 1, column 11: unexpected end of file$/,
    );
    expectUserError(run(["bill", "missing.json"]), /^memdesc: missing\.json does not exist$/);
    expectUserError(
      run(["bill", dir]),
      /is a directory: memdesc reads a memory picture only from a regular file$/,
    );
  });
});
