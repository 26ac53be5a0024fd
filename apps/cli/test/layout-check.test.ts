import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { btfFixture, expectUserError, repoRoot, run, tempDir, validJson } from "./helpers.js";

const paholeOf = (name: string) =>
  readFileSync(join(repoRoot, "packages/btf/fixtures/pahole", `${name}.txt`), "utf8");

interface LayoutJson {
  source: string;
  design: string | null;
  layouts: {
    role: string;
    variant: string | null;
    orders: number[] | null;
    rounded: number | null;
    provenance: { basis: string } | null;
    wayBack: { field: string; offset: number; size: number } | { how: string } | null;
    layout: {
      name: string;
      abi: string;
      size: number;
      fields: { path: string; offset: number; provenance?: { basis: string } }[];
    };
  }[];
}

/** `sizeof(struct name)` and `offsetof(struct name, field)` as gcc computes them, or why gcc cannot run. */
function gccSizeof(decls: string, name: string, field: string): [number, number] | string {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-gcc-"));
  try {
    writeFileSync(
      join(dir, "t.c"),
      `#include <stdio.h>\n#include <stddef.h>\n${decls}\nint main(void) { printf("%zu %zu\\n", sizeof(struct ${name}), offsetof(struct ${name}, ${field})); return 0; }\n`,
    );
    const cc = spawnSync("gcc", ["-o", "t", "t.c"], { cwd: dir, encoding: "utf8" });
    if (cc.error || cc.status !== 0)
      return `gcc cannot build here (${cc.error?.message ?? cc.stderr.trim()})`;
    const out = spawnSync(join(dir, "t"), { encoding: "utf8" }).stdout.trim().split(" ").map(Number);
    return [out[0]!, out[1]!];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("memdesc layout", () => {
  const dir = tempDir();

  it("prints a struct from a BTF file exactly as pahole does, byte for byte", () => {
    for (const name of ["page", "ioptdesc", "folio"]) {
      const r = run(["layout", name, "--btf", btfFixture]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(paholeOf(name));
    }
  });

  it("prints a plugin's memdesc-era descriptor: every variant, with its orders and rounded size", () => {
    const r = run(["layout", "folio"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^\/\* @memdesc\/folio: struct folio in memdesc-8, variant "small" \(order 0\): \d+ bytes, \d+ in a 16-byte aligned slab cache; lp64 \*\/$/m,
    );
    expect(r.stdout).toMatch(
      /struct folio_large in memdesc-8, variant "large" \(orders 1–10, 18\): \d+ bytes/,
    );
    expect(r.stdout).toMatch(/^struct folio \{$/m);
    expect(r.stdout).toMatch(/^\t\/\* size: \d+, cachelines: \d+, members: \d+ \*\/$/m);
    const j = validJson("layout", run(["layout", "folio", "--json"])) as LayoutJson;
    expect(j.source).toBe("plugin");
    expect(j.design).toBe("memdesc-8");
    expect(j.layouts.map((l) => [l.role, l.variant])).toEqual([
      ["memdesc", "small"],
      ["memdesc", "large"],
      ["memdesc", "hugetlb"],
    ]);
    for (const l of j.layouts) expect(l.rounded! % 16).toBe(0);
    // Hugetlb folios keep their hugetlb fields; each variant says where its field list comes from.
    expect(r.stdout).toMatch(
      /struct folio_hugetlb in memdesc-8, variant "hugetlb" \(hugetlb folios\): 160 bytes/,
    );
    expect(j.layouts.map((l) => l.provenance?.basis)).toEqual(["plan", "inferred", "inferred"]);
    expect(
      j.layouts.every((l) => l.wayBack !== null && "field" in l.wayBack && l.wayBack.field === "pfn"),
    ).toBe(true);
    const only = validJson("layout", run(["layout", "folio", "--variant", "large", "--json"])) as LayoutJson;
    expect(only.layouts.map((l) => l.variant)).toEqual(["large"]);
  });

  it("shows how a memdesc-era ptdesc finds its page, and the size gcc gives the same field list", () => {
    const r = run(["layout", "ptdesc"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^\/\* @memdesc\/ptdesc: struct ptdesc in memdesc-8: 56 bytes, 64 in a 16-byte aligned slab cache; lp64 \*\/$/m,
    );
    expect(r.stdout).toMatch(
      /^\/\* finds its memory through pfn \(offset 48, 8 bytes\): the PFN of its first page \*\/$/m,
    );
    expect(r.stdout).toMatch(
      /^\/\* pfn: inferred: allocated apart from its page, a ptdesc needs the page's PFN/m,
    );
    expect(r.stdout).toMatch(/^\tlong unsigned int {10}pfn; {18}\/\* {4}48 {5}8 \*\/$/m);
    const j = validJson("layout", run(["layout", "ptdesc", "--json"])) as LayoutJson;
    const l = j.layouts[0]!;
    expect([l.layout.size, l.rounded, l.wayBack]).toEqual([56, 64, { field: "pfn", offset: 48, size: 8 }]);
    expect(l.layout.fields.find((f) => f.path === "pfn")!.provenance).toMatchObject({ basis: "inferred" });
    // The oracle: gcc lays out the same field list.
    const gcc = gccSizeof(
      `
      typedef struct { unsigned long f; } memdesc_flags_t;
      struct list_head { struct list_head *next, *prev; };
      struct callback_head { struct callback_head *next; void (*func)(struct callback_head *); };
      typedef struct { int counter; } atomic_t;
      typedef struct { unsigned int lock; } spinlock_t;
      struct ptdesc {
        memdesc_flags_t pt_flags;
        union { struct callback_head pt_rcu_head; struct list_head pt_list;
                struct { unsigned long _pt_pad_1; void *pmd_huge_pte; }; };
        union { unsigned long pt_index; void *pt_mm; atomic_t pt_frag_refcount; atomic_t pt_share_count; };
        union { unsigned long _pt_pad_2; spinlock_t ptl; };
        unsigned long pt_memcg_data;
        unsigned long pfn;
      };`,
      "ptdesc",
      "pfn",
    );
    if (typeof gcc === "string") console.log(`skipping the gcc comparison: ${gcc}`);
    else expect([l.layout.size, 48]).toEqual(gcc);
  });

  it("--design today gives today's overlay of struct page, --abi ilp32 the 32-bit layout", () => {
    const today = validJson("layout", run(["layout", "slab", "--design", "today", "--json"])) as LayoutJson;
    expect(today.layouts[0]!.role).toBe("today");
    expect(today.layouts[0]!.layout.size).toBe(64);
    const ilp32 = validJson(
      "layout",
      run(["layout", "slab", "--design", "today", "--abi", "ilp32", "--json"]),
    ) as LayoutJson;
    expect(ilp32.layouts[0]!.layout.abi).toBe("ilp32");
    expect(ilp32.layouts[0]!.layout.size).toBeLessThan(64);
    expect(run(["layout", "ptdesc", "-d", "today"]).stdout).toMatch(/^struct ptdesc \{$/m);
  });

  it("--compare puts today's layout and the memdesc-era one side by side", () => {
    const r = run(["layout", "ptdesc", "--compare"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^\/\* left: struct ptdesc today \(@memdesc\/ptdesc, overlays struct page; lp64\) \*\/$/m,
    );
    expect(r.stdout).toMatch(/^\/\* right: @memdesc\/ptdesc: struct ptdesc in memdesc-8: \d+ bytes/m);
    const j = validJson("layout", run(["layout", "folio", "--compare", "--json"])) as LayoutJson;
    expect(j.layouts.map((l) => l.role)).toEqual(["today", "memdesc", "memdesc", "memdesc"]);
    // With --btf, the left side is the kernel's own struct.
    const k = validJson(
      "layout",
      run(["layout", "ioptdesc", "--compare", "--btf", btfFixture, "--json"]),
    ) as LayoutJson;
    expect(k.layouts[0]!.role).toBe("btf");
  });

  it("prints core's struct page, and structs the plugins define", () => {
    const page = validJson("layout", run(["layout", "page", "--json"])) as LayoutJson;
    expect(page.source).toBe("core");
    expect(page.layouts[0]!.layout.size).toBe(64);
    expect(run(["layout", "struct page"]).stdout).toMatch(/^struct page \{$/m);
  });

  it("rejects what it cannot lay out, in one line with a hint", () => {
    expectUserError(
      run(["layout", "no_such_struct", "--btf", btfFixture]),
      /linux-6\.18-memdesc\.btf: no struct, union or typedef of one is named "no_such_struct"/,
    );
    expectUserError(run(["layout", "buddy"]), /buddy is an inline kind/);
    expectUserError(
      run(["layout", "folio", "--variant", "huge"]),
      /folio has no variant "huge" \(variants: small, large, hugetlb\)/,
    );
    expectUserError(
      run(["layout", "page", "--btf", "/nonexistent/vmlinux"]),
      /cannot read \/nonexistent\/vmlinux: it does not exist/,
    );
    expectUserError(
      run(["layout", "page", "--btf", btfFixture, "--abi", "ilp32"]),
      /--abi ilp32 does not apply to .*, whose layouts are lp64/,
    );
    expectUserError(
      run(["layout", "page", "--btf", btfFixture, "--compare"]),
      /--compare needs a plugin's kind/,
    );
    expectUserError(
      run(["layout", "folio", "--compare", "--design", "today"]),
      /--compare needs a memdesc-era design/,
    );
  });

  it("names the offset of a broken BTF file", () => {
    const bad = join(dir, "bad.btf");
    const bytes = readFileSync(btfFixture);
    writeFileSync(bad, bytes.subarray(0, 40));
    const r = run(["layout", "page", "--btf", bad]);
    expectUserError(r, /bad\.btf: .*\(byte offset \d+\)$/);
  });
});

interface CheckJson {
  ok: boolean;
  failures: number;
  btf: { file: string; abi: string };
  plugins: {
    package: string;
    struct: string | null;
    found: boolean;
    fields: { path: string; status: string }[];
    overlay: { status: string; label: string }[];
    failures: number;
  }[];
}

describe("memdesc check", () => {
  it("checks every first-party plugin against a kernel's BTF, field by field and rule by rule", () => {
    const r = run(["check", "--btf", btfFixture, "--json"]);
    const j = validJson("check", r) as CheckJson;
    expect(r.status).toBe(j.ok ? 0 : 1);
    expect(j.failures).toBe(j.plugins.reduce((s, p) => s + p.failures, 0));
    expect(j.plugins.map((p) => p.package)).toEqual([
      "@memdesc/folio",
      "@memdesc/folio",
      "@memdesc/slab",
      "@memdesc/ptdesc",
      "@memdesc/ioptdesc",
      "@memdesc/zpdesc",
      "@memdesc/netmem",
    ]);
    const folio = j.plugins[0]!;
    expect(folio).toMatchObject({ struct: "folio", found: true });
    expect(folio.fields.find((f) => f.path === "_refcount")?.status).toBe("ok");
    expect(folio.overlay.some((o) => o.label.startsWith("FOLIO_MATCH("))).toBe(true);
    const text = run(["check", "--btf", btfFixture]);
    expect(text.status).toBe(r.status);
    expect(text.stdout).toMatch(/^memdesc check: .*linux-6\.18-memdesc\.btf \(lp64\), \d+ types$/m);
    expect(text.stdout).toMatch(/^@memdesc\/folio \(kind folio\): struct folio$/m);
    expect(text.stdout).toMatch(/^ {2}layout: \d+ of \d+ fields at the kernel's offsets; sizeof \d+/m);
    expect(text.stdout).toMatch(/^ {4}pass {2}FOLIO_MATCH\(flags, flags\): struct folio\.flags at 0$/m);
    expect(text.stdout).toMatch(/^(ok|FAILED): \d+ failures? in 7 plugins/m);
  });

  const liveBtf = needs(
    "kernel BTF",
    existsSync("/sys/kernel/btf/vmlinux") ? undefined : "/sys/kernel/btf/vmlinux does not exist",
  );
  liveBtf.it("checks the running kernel's BTF by default", () => {
    const r = run(["check", "--json"]);
    if (r.status !== 0 && r.status !== 1) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout) as CheckJson;
    expect(j.btf.file).toBe("/sys/kernel/btf/vmlinux");
  });

  it("says where BTF is missing, in one line", () => {
    expectUserError(
      run(["check", "--btf", "/nonexistent.btf"]),
      /cannot read \/nonexistent\.btf: it does not exist/,
    );
  });
});
