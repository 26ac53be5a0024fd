import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { btfFixture, expectUserError, repoRoot, run, tempDir, validJson } from "./helpers.js";

/*
 * memdesc on kernels other than the running one: the ELF files and the module of @memdesc/btf's kernel fixtures
 * (Debian's Linux 6.1 for x86-64, i386 and s390x), laid out, checked and compared as pahole would.
 */

const kernels = join(repoRoot, "packages/btf/fixtures/kernels");
const dir = tempDir("memdesc-cli-kernels-");
/** A fixture decompressed into the test's directory, as a user's file would be. */
const file = (kernel: string, name: string) => {
  const out = join(dir, `${kernel}-${name}`);
  if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(join(kernels, kernel, `${name}.gz`))));
  return out;
};
const amd64 = "debian-6.1.0-57-cloud-amd64";
const i386 = "debian-6.1.0-57-686";
const s390x = "debian-6.1.0-50-s390x";
const stored = (kernel: string, sub: string, name: string) =>
  readFileSync(join(kernels, kernel, sub, `${name}.txt`), "utf8");
const pahole = spawnSync("pahole", ["--version"]).status === 0;
if (!pahole)
  console.warn("cli kernels: comparisons with a pahole run skipped: pahole is not installed (dwarves)");

describe("memdesc layout --btf ELF", () => {
  it("prints a struct of a vmlinux byte for byte as pahole does: x86-64, i386 (ELF32), s390x (big-endian)", () => {
    for (const k of [amd64, i386, s390x]) {
      const vmlinux = file(k, "vmlinux");
      for (const s of ["page", "folio", "slab"]) {
        const r = run(["layout", s, "--btf", vmlinux]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout, `${k} ${s}`).toBe(stored(k, "pahole", s));
        if (pahole)
          expect(r.stdout).toBe(spawnSync("pahole", ["-C", s, vmlinux], { encoding: "utf8" }).stdout);
      }
    }
  });

  it("lays out a module's structs on --btf-base as pahole --btf_base does, and says when the base is missing", () => {
    const vmlinux = file(amd64, "vmlinux");
    const ko = file(amd64, "zsmalloc.ko");
    for (const s of ["zspage", "zs_pool", "size_class"]) {
      const r = run(["layout", s, "--btf", ko, "--btf-base", vmlinux]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, s).toBe(stored(amd64, "zsmalloc", s));
      if (pahole)
        expect(r.stdout).toBe(
          spawnSync("pahole", ["--btf_base", vmlinux, "-C", s, ko], { encoding: "utf8" }).stdout,
        );
    }
    const r = run(["layout", "zspage", "--btf", ko]);
    expectUserError(r, /zsmalloc\.ko: this is split BTF \(a kernel module's.*\(byte offset \d+\)$/);
    expect(r.stderr).toMatch(/^hint: pass the BTF of the kernel it was built for with --btf-base FILE/m);
  });

  it("reads a large ELF file only where its headers and .BTF are, and refuses what is not a file", () => {
    // A 3 GiB vmlinux, sparse: its .BTF (the x86-64 fixture's) at the end, past what any file read whole allows.
    const elf = readFileSync(file(amd64, "vmlinux"));
    const big = join(dir, "vmlinux-3g");
    const fd = openSync(big, "w");
    try {
      const at = 3 * 2 ** 30;
      const shdrs = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
      // Move the section header table and every section's data up by `at`: write the file's bytes there and
      // patch e_shoff and each sh_offset.
      const copy = new Uint8Array(elf);
      const v = new DataView(copy.buffer);
      const shoff = Number(shdrs.getBigUint64(40, true));
      const shnum = shdrs.getUint16(60, true);
      v.setBigUint64(40, BigInt(shoff + at), true);
      for (let i = 1; i < shnum; i++) {
        const h = shoff + i * 64 + 24;
        v.setBigUint64(h, shdrs.getBigUint64(h, true) + BigInt(at), true);
      }
      writeSync(fd, copy.subarray(0, 64), 0, 64, 0);
      writeSync(fd, copy, 0, copy.length, at);
    } finally {
      closeSync(fd);
    }
    const r = run(["layout", "folio", "--btf", big]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(stored(amd64, "pahole", "folio"));
    expectUserError(
      run(["layout", "page", "--btf", "/dev/zero"]),
      /^memdesc: \/dev\/zero is a character device: memdesc reads a BTF file only from a regular file$/,
    );
  });

  it("names what a file without BTF lacks and the tool that adds it", () => {
    expectUserError(
      run(["layout", "page", "--btf", process.execPath]),
      /has no \.BTF section: add one with pahole -J \(dwarves\)/,
    );
    expectUserError(
      run(["layout", "page", "--btf", join(kernels, amd64, "vmlinux.gz")]),
      /vmlinux\.gz: this file is gzip-compressed .*gunzip -k FILE\) \(byte offset 0\)$/,
    );
  });
});

interface MatrixJson {
  kernels: { btf: { file: string; arch: string | null; abi: string } }[];
  matrix: {
    plugins: { kind: string; cells: { status: string; drifted: { path: string; status: string }[] }[] }[];
    counts: Record<string, number>;
    ok: boolean;
  };
}

describe("memdesc check over several kernels", () => {
  it("prints the plugin × kernel matrix, and a drifted field with both offsets", () => {
    const r = run([
      "check",
      "--btf",
      btfFixture,
      "--btf",
      file(amd64, "vmlinux"),
      "--btf",
      file(i386, "vmlinux"),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^memdesc check: 3 kernels$/m);
    expect(r.stdout).toMatch(
      /^ {2}B {2}.*debian-6\.1\.0-57-cloud-amd64-vmlinux \(x86_64, lp64\), 95,265 types$/m,
    );
    expect(r.stdout).toMatch(/^ {2}C {2}.*debian-6\.1\.0-57-686-vmlinux \(i386, ilp32\), 93,043 types$/m);
    expect(r.stdout).toMatch(/^plugin +struct +A +B +C$/m);
    expect(r.stdout).toMatch(/^@memdesc\/slab \(slab\) +slab +pass +drift +drift$/m);
    expect(r.stdout).toMatch(/^@memdesc\/ptdesc \(ptdesc\) +ptdesc +pass +absent +absent$/m);
    expect(r.stdout).toMatch(
      /^slab on B: drift\n(?: {4}.*\n)*? {4}slab_cache: wrong offset: plugin 8\+8, kernel 24\+8$/m,
    );
    expect(r.stdout).toMatch(
      /^slab on C: drift\n(?: {4}.*\n)*? {4}slab_cache: wrong offset: plugin 4\+4, kernel 12\+4$/m,
    );
    // The first-party set's anon_folio is struct folio today, so it fails on B and C as the folio does.
    expect(r.stdout).toMatch(/^@memdesc\/folio \(anon\) +folio +pass +FAIL +FAIL$/m);
    expect(r.stdout).toMatch(/^FAILED: 7 pass, 2 drift, 4 fail, 8 absent of 21 \(7 plugins × 3 kernels\)$/m);

    const j = validJson(
      "check",
      run(["check", "--btf", btfFixture, "--btf", file(amd64, "vmlinux"), "--json"]),
    ) as MatrixJson;
    expect(j.kernels.map((k) => k.btf.arch)).toEqual([null, "x86_64"]);
    const slab = j.matrix.plugins.find((p) => p.kind === "slab")!;
    expect(slab.cells.map((c) => c.status)).toEqual(["pass", "drift"]);
    expect(slab.cells[1]!.drifted.find((f) => f.path === "slab_cache")?.status).toBe("wrong-offset");
    expect(j.matrix.ok).toBe(false);
  });

  it("one --btf keeps the one-kernel report", () => {
    const r = run(["check", "--btf", file(s390x, "vmlinux")]);
    expect(r.stdout).toMatch(
      /^memdesc check: .*debian-6\.1\.0-50-s390x-vmlinux \(s390x, lp64\), 77,303 types$/m,
    );
    expect(r.stdout).toMatch(/^ {4}FAIL {2}slab_cache: wrong offset: plugin 8\+8, kernel 24\+8$/m);
    expect(r.status).toBe(1);
  });
});

interface VsJson {
  layouts: { role: string; title: string; layout: { size: number } }[];
  vs: string;
  diff: {
    a: { size: number };
    b: { size: number };
    changed: {
      path: string;
      changes: string[];
      a: { offset: number } | null;
      b: { offset: number } | null;
    }[];
    counts: Record<string, number>;
    same: boolean;
  };
}

describe("memdesc layout NAME --btf A --vs B", () => {
  it("prints both kernels' layouts side by side and what moved, grew or appeared", () => {
    const old = file(amd64, "vmlinux");
    const r = run(["layout", "folio", "--btf", btfFixture, "--vs", old]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\/\* left: struct folio from .*linux-6\.18-memdesc\.btf \(lp64\) \*\/$/m);
    expect(r.stdout).toMatch(
      /^\/\* right: struct folio from .*debian-6\.1\.0-57-cloud-amd64-vmlinux \(x86_64, lp64\) \*\/$/m,
    );
    // pahole's own lines, both sides of each row.
    expect(r.stdout).toMatch(/^struct folio \{ +\| struct folio \{$/m);
    expect(r.stdout).toMatch(/^size: 256 → 112 bytes \(shrank by 144\)$/m);
    expect(r.stdout).toMatch(/^moved +_pincount: offset 92 → 88 \(and the 1 member inside it\)$/m);
    expect(r.stdout).toMatch(/^added +_folio_dtor: unsigned char, 1 byte at 80$/m);
    expect(r.stdout).toMatch(
      /^removed +_large_mapcount: atomic_t, 4 bytes at 80 \(and the 1 member inside it\)$/m,
    );

    const j = validJson(
      "layout",
      run(["layout", "folio", "--btf", btfFixture, "--vs", old, "--json"]),
    ) as VsJson;
    expect(j.layouts.map((l) => l.layout.size)).toEqual([256, 112]);
    expect([j.diff.a.size, j.diff.b.size, j.diff.same]).toEqual([256, 112, false]);
    expect(j.diff.changed.find((f) => f.path === "_pincount")).toMatchObject({
      changes: ["moved"],
      a: { offset: 92 },
      b: { offset: 88 },
    });
    expect(j.vs).toMatch(/debian-6\.1\.0-57-cloud-amd64-vmlinux$/);
  });

  it("the same struct in the same kernel is the same layout", () => {
    const r = run(["layout", "slab", "--btf", btfFixture, "--vs", btfFixture]);
    expect(r.stdout).toMatch(/^size: 64 bytes in both\nsame layout$/m);
  });

  it("rejects options that do not apply", () => {
    expectUserError(
      run(["layout", "folio", "--btf", btfFixture, "--vs", btfFixture, "--compare"]),
      /--vs compares a struct in two kernels' BTF; --compare does not apply/,
    );
  });
});
