import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createRegistry,
  designs,
  formatPahole,
  type Layout,
  layoutOf,
  linux618,
  parsePahole,
  type RuleResult,
} from "@memdesc/core";
import { generatedReadme, markdownTable as table } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { slabGeometry, slubParams } from "../src/geometry.js";
import { slab } from "../src/plugin.js";
import { checkSlabinfo, parseSlabinfo, parseSlabMachine } from "../src/slabinfo.js";
import { slabToday } from "../src/today.js";

/** The members pahole prints for a layout (named ones, through anonymous structs and unions), in order. */
const printedFields = (layout: Layout) => parsePahole(formatPahole(layout, { config: linux618 }))[0]!.fields;

/*
 * The README's tables are generated from the code and the shipped fixture, so what it states is what the
 * package computes. `UPDATE_README=1 npx vitest run --project slab test/readme.test.ts` rewrites them
 * (then `npx biome check --write` aligns the tables; the comparison ignores cell padding).
 */

const here = dirname(fileURLToPath(import.meta.url));
const readmePath = join(here, "../README.md");
const lp64 = createRegistry({ plugins: [slab()] });
const ilp32 = createRegistry({ abi: "ilp32", plugins: [slab()] });

function today(): string {
  const i386 = new Map(
    printedFields(layoutOf(slabToday, { abi: "ilp32", config: linux618 })).map((f) => [f.path, f]),
  );
  return table(
    ["field", "type", "x86-64 offset", "size", "i386 offset", "size"],
    printedFields(layoutOf(slabToday, { config: linux618 })).map((f) => {
      const q = i386.get(f.path)!;
      const bits = (x: typeof f) => (x.bitSize !== undefined ? `${x.offset}:${x.bitOffset}` : `${x.offset}`);
      const size = (x: typeof f) => (x.bitSize !== undefined ? `${x.bitSize} bits` : `${x.size}`);
      return [`\`${f.path}\``, `\`${f.typeName}\``, bits(f), size(f), bits(q), size(q)];
    }),
  );
}

function rules(): string {
  const cell = (x: RuleResult) =>
    x.status === "skipped"
      ? `skipped (${x.rule.ifdef} off)`
      : x.rule.kind === "size"
        ? `${x.status}: ${x.actual} ≤ ${x.expected}`
        : `${x.status}: at ${x.actual}`;
  const a = lp64.checkOverlays()[0]!.results;
  const b = ilp32.checkOverlays()[0]!.results;
  return table(
    ["rule", "x86-64", "i386"],
    a.map((x, i) => [`\`${x.label}\``, cell(x), cell(b[i]!)]),
  );
}

function sizes(): string {
  return table(
    ["design", "page entry", "slab tag", "struct slab", "i386"],
    Object.values(designs).map((d) => {
      const r64 = lp64.withDesign(d.name);
      const r32 = ilp32.withDesign(d.name);
      const size = (r: typeof r64) => {
        const s = r.descriptorSize("slab", 0)!;
        return s.size === s.rounded ? `${s.size} B` : `${s.size} B → ${s.rounded} B`;
      };
      return d.overlay
        ? [
            `\`${d.name}\``,
            `${d.entryBytes} B`,
            "—",
            `0 B: overlays the head struct page (${r64.todayLayout("slab").size} B)`,
            `0 B (${r32.todayLayout("slab").size} B)`,
          ]
        : [`\`${d.name}\``, `${d.entryBytes} B`, r64.tagOf("slab") ?? "—", size(r64), size(r32)];
    }),
  );
}

function geometry(): string {
  const sizes = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];
  const cpus = [1, 2, 8, 64, 512];
  return table(
    ["object size", ...cpus.map((n) => `${n} CPU${n > 1 ? "s" : ""}`)],
    sizes.map((s) => [
      `${s} B`,
      ...cpus.map((n) => {
        const g = slabGeometry(s, slubParams({ nrCpus: n }));
        return `${g.objects} × order ${g.order}`;
      }),
    ]),
  );
}

function agreement(): string {
  const fixtures = join(here, "../fixtures");
  return readdirSync(fixtures)
    .map((dir) => {
      const entries = parseSlabinfo(readFileSync(join(fixtures, dir, "slabinfo.txt"), "utf8"));
      const m = parseSlabMachine(JSON.parse(readFileSync(join(fixtures, dir, "slab-machine.json"), "utf8")));
      const params = slubParams({ nrCpus: m.cpus.present, nrCpuIds: m.cpus.possible, ...m.bootParams });
      const r = checkSlabinfo(entries, params, m.caches);
      const bad = r.caches.filter((c) => !c.agrees).map((c) => `  - \`${c.name}\`: ${c.explanation}`);
      return [
        `- \`fixtures/${dir}\` (${m.cpus.present} CPUs): ${r.agreeing} of ${r.total} caches agree (${(r.agreement * 100).toFixed(2)}%).`,
        ...bad,
      ].join("\n");
    })
    .join("\n");
}

const blocks: Record<string, () => string> = { today, rules, sizes, geometry, agreement };

describe("README.md", () => {
  it("states the layout, rules, sizes and geometry the code computes", () => {
    const { current, generated } = generatedReadme(readmePath, blocks);
    expect(current, "README.md is out of date: run with UPDATE_README=1").toBe(generated);
  });
});
