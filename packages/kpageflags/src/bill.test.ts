import { billSchema, createRegistry, pictureSchema } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { describe, expect, it } from "vitest";

const testRegistry = () => createRegistry({ plugins: [folio(), slab(), ptdesc()] });

import { surveyBill } from "./bill.js";
import { surveyPicture } from "./picture.js";
import { surveyReport, surveyReportJsonSchema, surveyReportSchema } from "./report.js";
import { sampleSnapshotPath } from "./sample.js";
import { surveyJsonSchema, surveySchema } from "./schema.js";
import { readSnapshot } from "./snapshot/read.js";
import { survey } from "./survey.js";

// The build machine's sample: its page cache, anonymous THP, hugetlb pool and slabs exercise every term.
const sample = await survey(readSnapshot(sampleSnapshotPath("build-vm")).source);

describe("picture and bill of the shipped sample", () => {
  it("reduces the survey to a picture core accepts", () => {
    const p = surveyPicture(sample);
    expect(pictureSchema.parse(p)).toEqual(p);
    expect(p.source).toMatch(/^survey of .*sample\.mdsnap \(6\.18\.\d+/);
    expect(p.uses.file).toEqual({
      pages: sample.uses.file.pages,
      descriptors: sample.uses.file.descriptors,
      orders: Object.fromEntries(sample.uses.file.orders.map((n, k) => [String(k), n]).filter(([, n]) => n)),
    });
    expect(p.uses.ksm).toBeUndefined();
    expect(p.uses.free?.orders).toBeUndefined();
  });

  it("bills it under every design, with the arithmetic shown", () => {
    const b = surveyBill(sample, testRegistry());
    expect(billSchema.parse(b)).toEqual(b);
    const ramPages = sample.pfnCount - sample.uses.hole.pages;
    expect(b.ramPages).toBe(ramPages);
    const today = b.designs.find((d) => d.design === "today")!;
    expect(today.total).toBe(ramPages * 64);
    const m8 = b.designs.find((d) => d.design === "memdesc-8")!;
    const slab = m8.uses.find((u) => u.use === "slab")!;
    // 8 bytes per page plus one 64-byte struct slab per slab, whatever its order.
    expect(slab.total).toBe(sample.uses.slab.pages * 8 + sample.uses.slab.descriptors * 64);
    expect(slab.arithmetic).toContain(sample.uses.slab.descriptors.toLocaleString("en-US") + " × 64");
    const file = m8.uses.find((u) => u.use === "file")!;
    const small = sample.uses.file.orders[0]!;
    const large = sample.uses.file.descriptors - small;
    expect(file.total).toBe(sample.uses.file.pages * 8 + small * 80 + large * 128);
    expect(m8.percentOfRam).toBeCloseTo((m8.total / (ramPages * 4096)) * 100, 10);
    expect(m8.total).toBeLessThan(today.total);
  });

  it("prints JSON that follows the published schemas", () => {
    const report = JSON.parse(JSON.stringify(surveyReport(sample, testRegistry())));
    expect(surveyReportSchema.parse(report)).toEqual(report);
    expect(surveySchema.parse(JSON.parse(JSON.stringify(sample)))).toBeTruthy();
    const js = surveyReportJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(js.properties)).toEqual(["survey", "picture", "bill", "crossCheck", "groups"]);
    const sj = surveyJsonSchema() as { properties: { uses: { properties: Record<string, unknown> } } };
    expect(Object.keys(sj.properties.uses.properties)).toContain("uninit");
  });
});
