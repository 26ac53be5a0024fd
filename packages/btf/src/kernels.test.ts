import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AbiName, createRegistry, diffLayouts, formatPahole, parsePahole } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { ioptdesc } from "@memdesc/ioptdesc";
import { netmem } from "@memdesc/netmem";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { needs } from "@memdesc/testkit";
import { zpdesc } from "@memdesc/zpdesc";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  fixtureBtf,
  fixturePahole,
  kernelFixtures,
  kernelModule,
  kernelPahole,
  kernelVmlinux,
  paholeMissing,
} from "../test/fixture.js";
import { btfError } from "../test/specs.js";
import { kernelMatrix } from "./kernel-matrix.js";
import { openBtf } from "./open.js";
import { checkPlugins } from "./plugin-check.js";
import { type Btf, readBtf } from "./reader.js";

/*
 * Real kernels beyond the measured one (fixtures/kernels, from Debian's packages; see its README): Linux 6.1 for
 * x86-64 (BTF from Debian's build, and a module's split BTF), for i386 (ELF32, 32-bit layouts) and for s390x
 * (big-endian). Each layout must print as pahole printed it from the kernel's whole BTF, and their differences
 * from 6.18 are the ones the kernel's history says.
 */

const kernels = kernelFixtures();
const byName = (prefix: string) => kernels.find((k) => k.name.startsWith(prefix))!;
const amd64 = byName("debian-6.1.0-57-cloud-amd64");
const i386 = byName("debian-6.1.0-57-686");
const s390x = byName("debian-6.1.0-50-s390x");
const open = (name: string) => openBtf(kernelVmlinux(name), { file: `${name}/vmlinux` });
// Read in each test, not when the file is collected, so StrykerJS attributes the reader to the tests (docs/mutation.md).
let linux618: Btf;
beforeEach(() => {
  linux618 = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
});

describe("real kernels' ELF files", () => {
  it("come from three architectures, both ELF classes and both byte orders", () => {
    expect(kernels.map((k) => k.name)).toEqual([amd64.name, i386.name, s390x.name]);
    const source = (name: string) => {
      const { arch, elfClass, littleEndian } = open(name).source;
      return { arch, elfClass, littleEndian };
    };
    expect(source(amd64.name)).toEqual({ arch: "x86_64", elfClass: 64, littleEndian: true });
    expect(source(i386.name)).toEqual({ arch: "i386", elfClass: 32, littleEndian: true });
    expect(source(s390x.name)).toEqual({ arch: "s390x", elfClass: 64, littleEndian: false });
    expect(open(s390x.name).header.littleEndian).toBe(false);
  });

  it("print every memdesc struct byte for byte as pahole printed it from the kernel's whole BTF", () => {
    for (const k of kernels) {
      const btf = open(k.name);
      expect(k.structs).toEqual(["page", "folio", "slab"]);
      for (const s of k.structs)
        expect(formatPahole(btf.layout(s)), `${k.name} ${s}`).toBe(kernelPahole(k.name, s));
    }
  });

  it("a module's split BTF reads on its vmlinux, and its structs lay out as pahole lays them out", () => {
    const base = open(amd64.name);
    const [zsmalloc] = amd64.modules;
    expect(zsmalloc?.name).toBe("zsmalloc");
    const ko = kernelModule(amd64.name, "zsmalloc");
    const e = btfError(() => openBtf(ko, { file: "zsmalloc.ko" }));
    expect(e.code).toBe("BTF_SPLIT");
    const mod = openBtf(ko, { file: "zsmalloc.ko", base });
    expect(mod.firstId).toBe(base.lastId + 1);
    expect(mod.source.base).toBe("given");
    expect(zsmalloc!.structs).toContain("zspage");
    for (const s of zsmalloc!.structs)
      expect(formatPahole(mod.layout(s)), s).toBe(kernelPahole(amd64.name, s, "zsmalloc"));
  });
});

needs("pahole", paholeMissing()).describe("pahole reads the same fixture files", () => {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-kernels-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pahole = (args: string[]) => {
    const r = spawnSync("pahole", args, { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };

  it("and prints what this package prints, for every struct and the module's", () => {
    for (const k of kernels) {
      const file = join(dir, `${k.name}.vmlinux`);
      writeFileSync(file, kernelVmlinux(k.name));
      const btf = open(k.name);
      for (const s of k.structs)
        expect(formatPahole(btf.layout(s)), `${k.name} ${s}`).toBe(pahole(["-C", s, file]));
      for (const m of k.modules) {
        const ko = join(dir, `${m.name}.ko`);
        writeFileSync(ko, kernelModule(k.name, m.name));
        const mod = openBtf(kernelModule(k.name, m.name), { base: btf });
        for (const s of m.structs)
          expect(formatPahole(mod.layout(s)), s).toBe(pahole(["--btf_base", file, "-C", s, ko]));
      }
    }
  });
});

/** What pahole's own text says changed between two kernels' prints of one struct (its top-level fields). */
function paholeChanges(before: string, after: string) {
  const [a] = parsePahole(before);
  const [b] = parsePahole(after);
  const left = new Map(a!.fields.map((f) => [f.path, f]));
  const right = new Map(b!.fields.map((f) => [f.path, f]));
  return {
    removed: [...left.keys()].filter((p) => !right.has(p)).sort(),
    added: [...right.keys()].filter((p) => !left.has(p)).sort(),
    moved: [...left.keys()]
      .filter((p) => right.has(p) && right.get(p)!.offset !== left.get(p)!.offset)
      .sort(),
    paths: new Set([...left.keys(), ...right.keys()]),
  };
}

describe("differences from Linux 6.18 x86-64", () => {
  it("match what pahole's printouts of the two kernels say, field by field", () => {
    for (const k of [amd64, i386, s390x])
      for (const s of k.structs) {
        const want = paholeChanges(fixturePahole(s), kernelPahole(k.name, s));
        const diff = diffLayouts(linux618.layout(s), open(k.name).layout(s));
        // pahole without -E prints no members of named nested structs: compare the paths it prints.
        const got = diff.changed.filter((f) => want.paths.has(f.path));
        const paths = (c: string) =>
          got
            .filter((f) => f.changes.includes(c as never))
            .map((f) => f.path)
            .sort();
        expect(paths("removed"), `${k.name} ${s} removed`).toEqual(want.removed);
        expect(paths("added"), `${k.name} ${s} added`).toEqual(want.added);
        expect(paths("moved"), `${k.name} ${s} moved`).toEqual(want.moved);
      }
  });

  it("are the ones the kernel's history says (include/linux/mm_types.h, v6.1 against v6.18)", () => {
    const old = open(amd64.name);
    const page = diffLayouts(linux618.layout("page"), old.layout("page"));
    const change = (d: typeof page, path: string) => d.fields.find((f) => f.path === path);
    // 6.18 made page.flags a memdesc_flags_t; 6.1 has the unsigned long.
    expect(change(page, "flags")).toMatchObject({
      changes: ["retyped"],
      a: { offset: 0, size: 8, type: "memdesc_flags_t" },
      b: { offset: 0, size: 8, type: "long unsigned int" },
    });
    // page->index became __folio_index between 6.16 and 6.18.
    expect(change(page, "index")?.changes).toEqual(["added"]);
    expect(change(page, "__folio_index")?.changes).toEqual(["removed"]);
    expect(page.b.size).toBe(64);
    // struct ptdesc came with the "Split ptdesc from struct page" series, after 6.1.
    expect(old.findStruct("ptdesc")).toBeUndefined();
    expect(linux618.findStruct("ptdesc")).toBeDefined();
    // struct folio grew from two struct pages' worth of fields (112 bytes) to four pages (256).
    const f = diffLayouts(linux618.layout("folio"), old.layout("folio"));
    expect([f.a.size, f.b.size]).toEqual([256, 112]);
    expect(change(f, "_pincount")).toMatchObject({
      changes: ["moved"],
      a: { offset: 92 },
      b: { offset: 88 },
    });
    for (const gone of ["_folio_dtor", "_folio_order", "_total_mapcount", "_folio_nr_pages"])
      expect(change(f, gone)?.changes, gone).toEqual(["added"]);
    for (const added of ["_large_mapcount", "_entire_mapcount", "_nr_pages_mapped", "__page_2", "__page_3"])
      expect(change(f, added)?.changes, added).toEqual(["removed"]);
    // 6.1's struct slab (SLUB) starts with __page_flags and keeps slab_cache after the list union.
    const sl = diffLayouts(linux618.layout("slab"), old.layout("slab"));
    expect(change(sl, "slab_cache")).toMatchObject({ a: { offset: 8 }, b: { offset: 24 } });
  });

  it("on 32-bit x86 every pointer and long is 4 bytes: struct page is 40 bytes, folio 64, slab 36", () => {
    const btf = open(i386.name);
    expect([btf.pointerSize, btf.abi]).toEqual([4, "ilp32"]);
    expect(["page", "folio", "slab"].map((s) => btf.layout(s).size)).toEqual([40, 64, 36]);
    const x86 = open(amd64.name);
    const d = diffLayouts(x86.layout("page"), btf.layout("page"));
    expect(change32(d, "_refcount")).toEqual([52, 28]);
    expect(change32(d, "memcg_data")).toEqual([56, 32]);
  });

  it("big-endian s390x lays its structs out as x86-64 does in the same release (both LP64)", () => {
    const le = open(amd64.name);
    const be = open(s390x.name);
    // What differs is config and the architecture's own types, not byte order: x86-64 builds page.pt_share_count
    // (hugetlb PMD sharing, CONFIG_ARCH_WANT_HUGE_PMD_SHARE=y in its config) and s390x does not, and each has
    // its own arch_spinlock_t inside the page-table lock (x86's qspinlock; s390's `int lock`).
    const changed = (s: string, prefix = "") => {
      const all = diffLayouts(le.layout(s), be.layout(s)).changed.map((f) => `${f.path} ${f.changes.join()}`);
      const lock = `${prefix}ptl.rlock.raw_lock.`;
      expect(all).toContain(`${lock}lock added`);
      expect(all).toContain(`${lock}val removed`);
      return all.filter((c) => !c.startsWith(lock));
    };
    expect(changed("page")).toEqual(["pt_share_count removed", "pt_share_count.counter removed"]);
    expect(changed("folio", "page.")).toEqual([
      "page.pt_share_count removed",
      "page.pt_share_count.counter removed",
    ]);
    expect(diffLayouts(le.layout("slab"), be.layout("slab")).same).toBe(true);
    // Bitfields number from the storage unit's start in declaration order on both byte orders.
    const inuse = be.layout("slab").fields.find((f) => f.path === "inuse")!;
    expect([inuse.offset, inuse.bitOffset, inuse.bitSize]).toEqual([40, 0, 16]);
  });
});

function change32(d: ReturnType<typeof diffLayouts>, path: string): [number, number] {
  const f = d.fields.find((x) => x.path === path)!;
  return [f.a!.offset, f.b!.offset];
}

describe("the plugins across kernels", () => {
  const plugins = () => [folio(), slab(), ptdesc(), ioptdesc(), zpdesc(), netmem()] as const;
  const check = (btf: ReturnType<typeof open>) =>
    checkPlugins(btf, createRegistry({ plugins: plugins(), abi: btf.abi as AbiName }));

  it("pass on 6.18, drift or fail on 6.1 with the moved field named at both offsets, absent where 6.1 predates them", () => {
    const m = kernelMatrix([
      check(linux618),
      check(open(amd64.name)),
      check(open(i386.name)),
      check(open(s390x.name)),
    ]);
    expect(m.kernels.map((k) => [k.arch, k.abi])).toEqual([
      [null, "lp64"],
      ["x86_64", "lp64"],
      ["i386", "ilp32"],
      ["s390x", "lp64"],
    ]);
    const row = (kind: string) => m.plugins.find((p) => p.kind === kind)!.cells.map((c) => c.status);
    expect(row("folio")).toEqual(["pass", "fail", "fail", "fail"]);
    expect(row("slab")).toEqual(["pass", "drift", "drift", "drift"]);
    for (const kind of ["ptdesc", "ioptdesc", "zpdesc", "netmem"])
      expect(row(kind), kind).toEqual(["pass", "absent", "absent", "absent"]);
    const slabOn61 = m.plugins.find((p) => p.kind === "slab")!.cells[1]!;
    expect(slabOn61.drifted.find((f) => f.path === "slab_cache")).toMatchObject({
      status: "wrong-offset",
      plugin: { offset: 8, size: 8 },
      kernel: { offset: 24, size: 8 },
    });
    // folio's FOLIO_MATCH(__folio_index, index) names a struct page field 6.1 calls index.
    const folioOn61 = m.plugins.find((p) => p.kind === "folio")!.cells[1]!;
    expect(folioOn61.rules.map((r) => r.label)).toContain("FOLIO_MATCH(__folio_index, index)");
    expect(m.ok).toBe(false);
    expect(m.counts).toEqual({ pass: 6, drift: 3, fail: 3, absent: 12, none: 0 });
  });
});
