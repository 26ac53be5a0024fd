import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createRegistry,
  declarator,
  designs,
  type LaidMember,
  type Layout,
  type RuleResult,
} from "@memdesc/core";
import { generatedReadme, markdownTable as table } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { folioFieldPlaces, largeFolioFieldPlaces } from "../src/order.js";
import { anonFolio, folio } from "../src/plugin.js";

/*
 * The README's tables are generated from the code, so the sizes, rules and placements it states are the ones
 * the package computes. `UPDATE_README=1 npx vitest run --project folio test/readme.test.ts` rewrites them
 * (then `npx biome check --write` aligns the tables; the comparison ignores cell padding).
 */

const readmePath = join(dirname(fileURLToPath(import.meta.url)), "../README.md");
const plugins = () => [folio(), anonFolio()] as const;
const lp64 = createRegistry({ plugins: plugins() });
const ilp32 = createRegistry({ abi: "ilp32", plugins: plugins() });

function sizes(): string {
  const rows = Object.values(designs).map((d) => {
    const r64 = lp64.withDesign(d.name);
    const r32 = ilp32.withDesign(d.name);
    const tag = (k: "folio" | "anon") => r64.tagOf(k) ?? "—";
    if (d.overlay)
      return [
        `\`${d.name}\``,
        `${d.entryBytes} B`,
        tag("folio"),
        tag("anon"),
        "0 B: overlays the head struct page",
        `0 B: overlays up to ${r64.todayLayout("folio").size / r64.pageLayout().size} struct pages (${r64.todayLayout("folio").size} B; ${r32.todayLayout("folio").size} B on i386)`,
        "as a large folio",
      ];
    const size = (r: typeof r64, order: number, use?: "hugetlb") => {
      const s = r.descriptorSize("folio", order, use)!;
      return s.size === s.rounded ? `${s.size} B` : `${s.size} B → ${s.rounded} B`;
    };
    return [
      `\`${d.name}\``,
      `${d.entryBytes} B`,
      tag("folio"),
      tag("anon"),
      `${size(r64, 0)} (i386: ${size(r32, 0)})`,
      `${size(r64, 1)} (i386: ${size(r32, 1)})`,
      `${size(r64, 9, "hugetlb")} (i386: ${size(r32, 9, "hugetlb")})`,
    ];
  });
  return table(
    [
      "design",
      "page entry",
      "folio tag",
      "anon tag",
      "order 0: small folio",
      "order ≥ 1: large folio",
      "hugetlb folio",
    ],
    rows,
  );
}

function rules(): string {
  const results = (r: typeof lp64) => r.checkOverlays().find((o) => o.kind === "folio")!.results;
  const cell = (x: RuleResult) =>
    x.status === "skipped"
      ? `skipped (${x.rule.ifdef} off)`
      : x.rule.kind === "size"
        ? `${x.status}: ${x.actual} ≤ ${x.expected}`
        : `${x.status}: at ${x.actual}`;
  const a = results(lp64);
  const b = results(ilp32);
  return table(
    ["rule", "x86-64", "i386"],
    a.map((x, i) => [`\`${x.label}\``, cell(x), cell(b[i]!)]),
  );
}

function fields(layout: Layout): string {
  const decl = (m: LaidMember) => {
    const d = declarator(m.type, "");
    return `${d.type}${d.name}`;
  };
  const rows = layout.members.map((m) =>
    m.name !== undefined
      ? [`\`${m.name}\``, `\`${decl(m)}\``, m.offset, m.size]
      : [
          (m.members ?? []).map((a) => `\`${a.name}\``).join(" / "),
          (m.members ?? []).map((a) => `\`${decl(a)}\``).join(" / "),
          m.offset,
          m.size,
        ],
  );
  return table(["field", "type", "offset", "size"], rows);
}

function places(): string {
  const i386 = new Map(folioFieldPlaces({ abi: "ilp32" }).map((p) => [p.field, p]));
  return table(
    ["field", "offset", "struct page", "cacheline", "exists from order", "i386: offset, page"],
    largeFolioFieldPlaces().map((p) => {
      const q = i386.get(p.field)!;
      return [
        `\`${p.field}\``,
        p.offset,
        p.page === 0 ? "head" : `tail ${p.page}`,
        p.cacheline,
        p.minOrder,
        `${q.offset}, ${q.page === 0 ? "head" : `tail ${q.page}`}`,
      ];
    }),
  );
}

const blocks: Record<string, () => string> = {
  sizes,
  rules,
  places,
  "small-fields": () => fields(lp64.memdescLayouts("folio").small!),
  "large-fields": () => fields(lp64.memdescLayouts("folio").large!),
};

describe("README.md", () => {
  it("states the sizes, rules and placements the code computes", () => {
    const { current, generated } = generatedReadme(readmePath, blocks);
    expect(current, "README.md is out of date: run with UPDATE_README=1").toBe(generated);
  });
});
