import { memdesc8 } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { run, validJson } from "./helpers.js";

const firstParty = [
  "@memdesc/folio",
  "@memdesc/slab",
  "@memdesc/ptdesc",
  "@memdesc/ioptdesc",
  "@memdesc/zpdesc",
  "@memdesc/netmem",
];

/** The first-party plugins, one per kind (@memdesc/folio gives folio and anon). */
const firstPartyPlugins = ["@memdesc/folio", "@memdesc/folio", ...firstParty.slice(1)];

interface TypesJson {
  design: { name: string; typeBits: number; tagDecoding: string; provenance: { basis: string } | null };
  word: { high: number; low: number; field: string }[];
  types: {
    tag: number;
    kind: string;
    storage: string;
    plugin: string;
    provenance: { basis: string; page?: string; revision?: string; reasoning?: string } | null;
    payload: { name: string; provenance: { basis: string } | null }[];
  }[];
  unassigned: { tag: number; kind: string | null }[];
}

describe("memdesc types", () => {
  it("draws the 8-byte word and lists the composed set's tags", () => {
    const r = run(["types"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^memdesc-8: memdesc: 8-byte word/);
    expect(r.stdout).toContain("| descriptor address (16-byte aligned) | type |");
    expect(r.stdout).toMatch(/^\s+0\s+misc\s+inline\s+@memdesc\/core\s/m);
    expect(r.stdout).toMatch(
      /^\s+2\s+folio\s+pointer\s+@memdesc\/folio\s+File \(pointer to struct folio\)\s+plan \[1\]$/m,
    );
    expect(r.stdout).toContain("word: 64 bits (a u64, 8 bytes on 32-bit kernels too)");
    // Inline fields as `name high..low` (or `name bit`), from the design's own table, grouped by source.
    expect(r.stdout).toMatch(/inline: subtype 10\.\.4, mappable 11, order 17\.\.12\s+plan \[1\]$/m);
    expect(r.stdout).toMatch(/^\s+zone 53\.\.51\s+inferred \[\d\]$/m);
    // The 8-byte buddy encoding is labelled this project's proposal, and so are its free-list arrays.
    expect(r.stdout).toMatch(/inline: order 7\.\.4, tail 8, pcp 9, slot 63\.\.32\s+proposal \[\d\]$/m);
    expect(r.stdout).toMatch(
      /^outside the memmap: buddy free-list arrays .*4 bytes per page of RAM proposal \[\d\]$/m,
    );
    expect(r.stdout).toContain(
      "[1] plan: kernelnewbies.org/MatthewWilcox/Memdescs (current revision, read 2026-11)",
    );
  });

  it("--json under the default design: the current Memdescs table's tags, each row with its source", () => {
    const t = validJson("types", run(["types", "--json"])) as TypesJson;
    const row = (kind: string) => t.types.find((x) => x.kind === kind)!;
    expect(
      Object.fromEntries(
        ["misc", "buddy", "folio", "anon", "slab", "netmem", "ptdesc", "zpdesc"].map((k) => [k, row(k).tag]),
      ),
    ).toEqual({ misc: 0, buddy: 1, folio: 2, anon: 3, slab: 5, netmem: 6, ptdesc: 8, zpdesc: 12 });
    for (const k of ["misc", "buddy", "folio", "anon", "slab", "netmem", "ptdesc", "zpdesc"])
      expect(row(k).provenance).toMatchObject({
        basis: "plan",
        page: "kernelnewbies.org/MatthewWilcox/Memdescs",
        revision: "current revision, read 2026-11",
      });
    // A kind the plan's table does not name: an unassigned tag (never acctmem's 11), this project's proposal.
    expect(row("ioptdesc")).toMatchObject({ tag: 14, provenance: { basis: "proposal" } });
    expect(row("buddy").payload.every((f) => f.provenance?.basis === "proposal")).toBe(true);
    expect(t.design.provenance).toMatchObject({ basis: "plan" });
    expect(t.unassigned.map((u) => [u.tag, u.kind])).toContainEqual([11, "acctmem"]);
  });

  it("--json validates, and every plugin of the first-party set has a tag of its own", () => {
    const t = validJson("types", run(["types", "--json"])) as TypesJson;
    expect(t.design.name).toBe("memdesc-8");
    expect(t.word).toEqual([
      { high: 63, low: 4, field: "descriptor address (16-byte aligned)" },
      { high: 3, low: 0, field: "type" },
    ]);
    const tags = t.types.map((x) => x.tag);
    expect(new Set(tags).size).toBe(tags.length);
    expect(tags.every((x) => x < 16)).toBe(true);
    for (const p of firstParty) expect(t.types.some((x) => x.plugin === p)).toBe(true);
    // Inline kinds show the fields the design's own table gives them.
    const buddyRow = memdesc8.typeTable.find((e) => e.kind === "buddy")!;
    expect(t.types.find((x) => x.kind === "buddy")!.payload.map((f) => f.name)).toEqual(
      buddyRow.payload!.map((f) => f.name),
    );
  });

  it("shows path-32's buddy aliasing, and today's overlays without a word", () => {
    const p = validJson("types", run(["types", "--design", "path-32", "--json"])) as TypesJson;
    expect(p.design.tagDecoding).toBe("buddy-low2");
    expect(p.types.filter((x) => x.kind !== "buddy").every((x) => x.tag % 4 !== 0)).toBe(true);
    expect(run(["types", "-d", "path-32"]).stdout).toContain("tags 0, 4, 8 and 12 all read as buddy");
    const today = run(["types", "--design", "today"]);
    expect(today.stdout).toContain("no memdesc word: every page has a 64-byte struct page");
    expect(today.stdout).toMatch(
      /^folio\s+pointer\s+@memdesc\/folio\s+struct folio: overlays struct page \(\d+ bytes\)$/m,
    );
    const tj = validJson("types", run(["types", "--design", "today", "--json"])) as TypesJson;
    expect(tj.word).toEqual([]);
  });
});

describe("memdesc plugins", () => {
  it("lists the first-party set with versions, tags and sizes when there is no config", () => {
    const r = run(["plugins"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^descriptor set: no config file: the first-party set; design memdesc-8, ABI lp64$/m,
    );
    expect(r.stdout).toMatch(
      /^package\s+version\s+kind\s+tag \(memdesc-8\)\s+today\s+path-32\s+buddy-16\s+memdesc-8$/m,
    );
    for (const p of firstParty)
      expect(r.stdout).toMatch(new RegExp(`^${p}\\s+0\\.1\\.0\\s+[a-z-]+\\s+\\d+\\s+\\d+\\s`, "m"));
    expect(r.stdout).toMatch(/^@memdesc\/folio\s+0\.1\.0\s+folio\s+2\s+\d+\s+\d+\/\d+/m);
  });

  it("--json validates; sizes are rounded to 16 bytes and follow the layouts", () => {
    const j = validJson("plugins", run(["plugins", "--json"])) as {
      config: string | null;
      plugins: {
        package: string;
        from: string;
        descriptor: Record<string, { size: number; rounded: number }[]>;
      }[];
    };
    expect(j.config).toBeNull();
    expect(j.plugins.filter((p) => p.from === "first-party").map((p) => p.package)).toEqual(
      firstPartyPlugins,
    );
    for (const p of j.plugins)
      for (const sizes of Object.values(p.descriptor))
        for (const s of sizes) {
          expect(s.rounded % 16).toBe(0);
          expect(s.rounded - s.size).toBeLessThan(16);
          expect(s.rounded).toBeGreaterThanOrEqual(s.size);
        }
  });
});
