import { readdirSync, readFileSync } from "node:fs";
import { needs, readReference } from "@memdesc/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gccPahole, oracleTools } from "../../test/gcc-pahole.js";
import { emptyBasePaths } from "../../test/layout-paths.js";
import { emit, topSpec } from "../../test/random-struct.js";
import { linux618Measured } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { layoutOf } from "./engine.js";
import { formatPahole } from "./pahole-format.js";
import { PaholeModel } from "./pahole-model.js";
import { parsePahole } from "./pahole-parse.js";
import { paholeRows } from "./pahole-rows.js";
import type { LaidMember, Layout } from "./types.js";

/*
 * pahole's text, row by row: every line kept (the rows are the text again), and what each member line says
 * checked two ways: against pahole-parse's reading of the same text, and against the layout engine's fields
 * for the layout that was printed.
 */

const fixtures = new URL("../../test/fixtures/pahole/", import.meta.url);
const texts: [string, string][] = [
  ...[
    "page",
    "folio",
    "slab",
    "ptdesc",
    "ioptdesc",
    "zpdesc",
    "zspage",
    "netmem_desc",
    "net_iov",
    "memdesc_flags_t",
  ].map((n): [string, string] => [`pahole_${n}.txt`, readReference(`pahole/pahole_${n}.txt`)]),
  ...readdirSync(fixtures)
    .filter((f) => f.endsWith(".txt"))
    .map((f): [string, string] => [f, readFileSync(new URL(f, fixtures), "utf8")]),
];

/** What parsePahole reads from the text, by path, for the struct printed first. */
function parsed(text: string) {
  return new Map(parsePahole(text)[0]!.fields.map((f) => [f.path, f]));
}

/** Every member and named aggregate row (not inside a pointee) against parsePahole's fields. */
function agreesWithParser(text: string, name: string) {
  const rows = paholeRows(text);
  expect(rows.map((r) => r.text).join("\n"), name).toBe(text);
  const fields = parsed(text);
  const named = rows.filter((r) => (r.kind === "member" || r.kind === "close") && r.path !== undefined);
  for (const r of named) {
    const f = fields.get(r.path!);
    expect(f, `${name}: ${r.path}`).toBeDefined();
    expect([r.offset, r.size, r.bitSize ?? 0], `${name}: ${r.path}`).toEqual([
      f!.offset,
      f!.size,
      f!.bitSize ?? 0,
    ]);
  }
  // …and every field the parser found is a row.
  const seen = new Set(named.map((r) => r.path));
  for (const path of fields.keys()) expect(seen.has(path), `${name}: ${path}`).toBe(true);
  return rows;
}

/** Every member row against the layout engine's field of the same path: offset, size, bits and depth. */
function agreesWithLayout(layout: Layout) {
  const text = formatPahole(layout);
  const rows = paholeRows(text);
  const byPath = new Map(layout.fields.filter((f) => !f.anonymous).map((f) => [f.path, f]));
  // pahole counts a 1-byte struct with no members it can see (only unnamed bitfields) as 0 bytes.
  const emptyBase = emptyBasePaths(layout);
  // pahole expands an array of anonymous structs (its close has the dimension); layouts do not flatten arrays.
  const inArray = (line: number) =>
    rows.some((c) => c.kind === "close" && c.array !== undefined && c.match! < line && line < c.line);
  for (const r of rows.filter((x) => x.kind === "member" && x.path !== undefined && !inArray(x.line))) {
    const f = byPath.get(r.path!);
    expect(f, r.path).toBeDefined();
    expect([r.offset, r.size, r.bitOffset, r.bitSize, r.depth], r.path).toEqual([
      f!.offset,
      emptyBase.has(r.path!) ? 0 : f!.size,
      f!.bitOffset,
      f!.bitSize,
      f!.depth + 1,
    ]);
  }
  // Anonymous aggregates pahole prints in place (not those inside a named struct type, which it prints by
  // name): an open and a close row each, the close at the aggregate's offset and size.
  const anon: [number, number, number][] = [];
  const model = new PaholeModel(layout);
  const walk = (members: readonly LaidMember[], depth: number) => {
    for (const m of members) {
      const inline = (m.type.kind === "struct" || m.type.kind === "union") && m.type.name === undefined;
      if (!inline || !m.members) continue;
      if (m.name === undefined) anon.push([m.offset, model.isEmptyBase(m.type) ? 0 : m.size, depth]);
      walk(m.members, depth + 1);
    }
  };
  walk(layout.members, 1);
  const closes = rows.filter(
    (r) => r.kind === "close" && r.aggregate !== "enum" && r.name === undefined && !inArray(r.line),
  );
  const sorted = (x: [number, number, number][]) =>
    [...x].sort((a, b) => a[0] - b[0] || a[2] - b[2] || a[1] - b[1]);
  expect(sorted(closes.map((r) => [r.offset!, r.size!, r.depth]))).toEqual(sorted(anon));
}

describe("paholeRows", () => {
  it("closes an anonymous enum printed as forced-alignment padding (`} :0;`), so the members after it keep their depth", () => {
    const rows = paholeRows(readFileSync(new URL("enum_bitpad.txt", fixtures), "utf8"));
    const pad = rows.find((r) => r.kind === "close" && r.aggregate === "enum" && r.bitSize === 0);
    expect(pad?.text.trim()).toBe("} :0;");
    expect(rows.find((r) => r.kind === "close" && r.path === "b")).toMatchObject({
      depth: 2,
      offset: 4,
      bitSize: 10,
    });
    expect(rows.find((r) => r.path === "c")).toMatchObject({ depth: 1, offset: 8, size: 1 });
  });

  it("keeps every line of real pahole output and reads each member as pahole-parse does", () => {
    for (const [name, text] of texts) agreesWithParser(text, name);
  });

  it("takes struct page's tree apart: nesting, unions, paths, cachelines and the summary", () => {
    const rows = paholeRows(readReference("pahole/pahole_page.txt"));
    const kinds = rows.map((r) => r.kind);
    expect(kinds[0]).toBe("header");
    expect(kinds[kinds.length - 2]).toBe("end");
    const lru = rows.find((r) => r.path === "lru")!;
    expect(lru).toMatchObject({ kind: "member", type: "struct list_head", offset: 8, size: 16, depth: 4 });
    // An open row points at its close and the reverse; the close has the aggregate's offset and size.
    const open = rows[lru.line - 1]!;
    expect(open).toMatchObject({ kind: "open", aggregate: "union", depth: 3 });
    expect(rows[open.match!]).toMatchObject({
      kind: "close",
      match: open.line,
      offset: 8,
      size: 16,
      depth: 3,
    });
    expect(rows.filter((r) => r.kind === "summary").map((r) => r.note)).toEqual([
      "size: 64, cachelines: 1, members: 5",
    ]);
  });

  it("names the members of named aggregates printed in place, and keeps arrays and bitfields", () => {
    const text = [
      "struct t {",
      "\tunion {",
      "\t\tint                a[2];                 /*     0     8 */",
      "\t\tlong int           b;                    /*     0     8 */",
      "\t} u;                                             /*     0     8 */",
      "\tunsigned int               f:3;                  /*     8: 0  4 */",
      "\tunsigned int               g:5;                  /*     8: 3  4 */",
      "",
      "\t/* XXX 24 bits hole, try to pack */",
      "",
      "\t/* size: 16, cachelines: 1, members: 3 */",
      "};",
    ].join("\n");
    const rows = agreesWithParser(text, "inline");
    expect(rows.filter((r) => r.path).map((r) => [r.path, r.name, r.array ?? "", r.bitSize ?? 0])).toEqual([
      ["u", "u", "", 0],
      ["u.a", "a", "[2]", 0],
      ["u.b", "b", "", 0],
      ["u", "u", "", 0],
      ["f", "f", "", 3],
      ["g", "g", "", 5],
    ]);
    expect(rows[8]).toMatchObject({ kind: "hole", holeBits: 24 });
  });

  it("follows the layout engine's fields, depth and all, for core's struct page and random structs", () => {
    agreesWithLayout(layoutOf(page, { config: linux618Measured }));
  });
});

const { gcc, pahole } = oracleTools();

// A new seed each run, printed; MEMDESC_ORACLE_SEED=N replays one.
const seed = Number(process.env.MEMDESC_ORACLE_SEED ?? Math.floor(Math.random() * 2 ** 31));

needs({ gcc, pahole }).describe("paholeRows against gcc + pahole", () => {
  it("reads pahole's own printout of random structs as the layout engine lays them out", () => {
    console.log(`paholeRows against gcc + pahole: seed ${seed} (replay: MEMDESC_ORACLE_SEED=${seed})`);
    fc.assert(
      fc.property(topSpec("lp64"), (spec) => {
        const { source, type } = emit(spec);
        const out = gccPahole(source, ["t"], false);
        agreesWithParser(out.btf, source);
        agreesWithLayout(layoutOf(type, { abi: "lp64" }));
      }),
      { numRuns: 15, seed },
    );
  }, 600_000);
});
