import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { needs } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import {
  asBpftool,
  type BpftoolType,
  bpftoolDump,
  bpftoolMissing,
  fixtureBpftool,
  trailingBytes,
} from "../test/bpftool.js";
import {
  fixtureBtf,
  hasVmlinux,
  kernelFixtures,
  kernelModule,
  kernelVmlinux,
  VMLINUX,
} from "../test/fixture.js";
import { openBtf } from "./open.js";
import { type Btf, readBtf } from "./reader.js";

/*
 * The reader against bpftool, record by record: every type of the Linux 6.18 fixture (bpftool's dump of it is
 * stored beside it, so this runs everywhere), and where bpftool is installed, the fixture again, the three Debian
 * kernels' ELF files (ELF32 and ELF64, both byte orders), a module's split BTF on its vmlinux, and the running
 * kernel's whole BTF. Each BTF is read inside its test, not when the file is collected, so that StrykerJS
 * attributes the reader's code to the tests that run it (docs/mutation.md).
 */

/** Ids, decoded records and the per-record accessors, against bpftool's dump (`ref`, in id order). */
function expectAsBpftool(btf: Btf, ref: readonly BpftoolType[], label: string) {
  expect(ref.length, label).toBeGreaterThan(0);
  expect([btf.firstId, btf.lastId, btf.count], label).toEqual([ref[0]!.id, ref.at(-1)!.id, ref.length]);
  const byId = new Map(ref.map((r) => [r.id, r]));
  let at = btf.header.typeStart;
  const wrong: string[] = [];
  for (const r of ref) {
    const id = r.id;
    const ours = asBpftool(btf, id);
    if (!isDeepStrictEqual(ours, r))
      wrong.push(`${label} [${id}]: reader ${JSON.stringify(ours)}, bpftool ${JSON.stringify(r)}`);
    const accessors = {
      name: btf.name(id),
      kind: btf.kindName(id),
      offset: btf.recordOffset(id),
      ...("vlen" in r ? { vlen: btf.vlen(id) } : {}),
      ...(sizeOrType(r) !== undefined ? { sizeOrType: btf.sizeOrType(id) } : {}),
      ...(refKinds.has(r.kind) ? { target: btf.target(id) } : {}),
      ...(r.kind === "ARRAY" ? { element: btf.arrayElement(id), length: btf.arrayLength(id) } : {}),
      ...(flagOf(r) !== undefined ? { kindFlag: btf.kindFlag(id) } : {}),
      resolved: btf.resolve(id),
    };
    const expected = {
      name: r.name === "(anon)" ? "" : r.name,
      kind: r.kind,
      offset: at,
      ...("vlen" in r ? { vlen: r.vlen } : {}),
      ...(sizeOrType(r) !== undefined ? { sizeOrType: sizeOrType(r) } : {}),
      ...(refKinds.has(r.kind) ? { target: r.type_id } : {}),
      ...(r.kind === "ARRAY" ? { element: r.type_id, length: r.nr_elems } : {}),
      ...(flagOf(r) !== undefined ? { kindFlag: flagOf(r) } : {}),
      resolved: resolved(byId, btf, id),
    };
    if (!isDeepStrictEqual(accessors, expected))
      wrong.push(
        `${label} [${id}]: reader ${JSON.stringify(accessors)}, bpftool ${JSON.stringify(expected)}`,
      );
    if (wrong.length >= 5) break;
    at += 12 + trailingBytes(r.kind, Number(r.vlen ?? 0));
  }
  expect(wrong).toEqual([]);
}

/** Kinds whose third word is a type id (bpftool's `type_id`), as btf.rst defines them. */
const refKinds = new Set([
  "PTR",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "VAR",
  "DECL_TAG",
  "TYPE_TAG",
]);

/** The record's `size`/`type` word as bpftool shows it, where it shows it. */
function sizeOrType(r: BpftoolType): number | undefined {
  if (typeof r.size === "number") return r.size;
  if (refKinds.has(r.kind)) return r.type_id as number;
  if (r.kind === "FUNC_PROTO") return r.ret_type_id as number;
  return undefined;
}

/** `kind_flag`, where bpftool shows it: a FWD's `fwd_kind`, an enum's `encoding`, a struct's bitfield sizes. */
function flagOf(r: BpftoolType): boolean | undefined {
  if (r.kind === "FWD") return r.fwd_kind === "union";
  if (r.kind === "ENUM" || r.kind === "ENUM64") return r.encoding === "SIGNED";
  if (
    (r.kind === "STRUCT" || r.kind === "UNION") &&
    (r.members as { bitfield_size?: number }[]).some((m) => m.bitfield_size)
  )
    return true;
  return undefined;
}

/** Typedefs, qualifiers and type tags followed through bpftool's records (the base's through `btf`). */
function resolved(byId: ReadonlyMap<number, BpftoolType>, btf: Btf, id: number): number {
  let cur = id;
  for (let steps = 0; steps < 64; steps++) {
    const r = byId.get(cur);
    if (!r) return cur === 0 ? 0 : btf.resolve(cur);
    if (!["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"].includes(r.kind)) return cur;
    cur = r.type_id as number;
  }
  return -1;
}

/** Name lookups against the first record of each name bpftool lists (a struct with members before an empty one). */
function expectLookups(btf: Btf, ref: readonly BpftoolType[], names: readonly string[]) {
  const found = names.map((name) => {
    const all = ref.filter((r) => r.name === name);
    const aggs = all.filter((r) => r.kind === "STRUCT" || r.kind === "UNION");
    const preferred = (rs: BpftoolType[]) =>
      rs.find((r) => (r.kind !== "STRUCT" && r.kind !== "UNION") || Number(r.vlen) > 0)?.id ?? rs[0]?.id;
    return {
      name,
      findStruct: btf.findStruct(name),
      find: btf.find(name),
      findAll: btf.findAll(name),
      expected: { findStruct: preferred(aggs), find: preferred(all), findAll: all.map((r) => r.id) },
    };
  });
  expect(found.map((f) => [f.name, f.findStruct, f.find, f.findAll])).toEqual(
    found.map((f) => [f.name, f.expected.findStruct, f.expected.find, f.expected.findAll]),
  );
}

describe("the reader against bpftool's dump of the Linux 6.18 fixture (stored)", () => {
  it("decodes every record, at the offset the record sizes put it, as bpftool did", () => {
    const btf = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
    const ref = fixtureBpftool();
    expectAsBpftool(btf, ref, "fixture");
    expect([...btf.types()].map((t) => t.id)).toEqual(ref.map((r) => r.id));
  });

  it("finds every name as the first record bpftool lists with it", () => {
    const btf = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
    const ref = fixtureBpftool();
    const names = [...new Set(ref.map((r) => r.name).filter((n) => n !== "(anon)"))];
    expect(names.length).toBeGreaterThan(8);
    expectLookups(btf, ref, names);
    expect(btf.findStruct("no_such_struct")).toBeUndefined();
    expect(btf.find("")).toBeUndefined();
  });
});

const tool = needs({ bpftool: bpftoolMissing() });

tool.describe("the reader against bpftool, run here", () => {
  const withFile = <T>(bytes: Uint8Array, fn: (file: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), "memdesc-bpftool-"));
    try {
      const file = join(dir, "btf");
      writeFileSync(file, bytes);
      return fn(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("gives the stored dump of the fixture", () => {
    expect(withFile(fixtureBtf(), (f) => bpftoolDump(f))).toEqual(fixtureBpftool());
  });

  it("decodes every record of Debian's 6.1 kernels (x86-64, i386 ELF32, big-endian s390x) as bpftool does", () => {
    const kernels = kernelFixtures();
    expect(kernels.length).toBe(3);
    for (const k of kernels) {
      const bytes = kernelVmlinux(k.name);
      const btf = openBtf(bytes, { file: `${k.name}/vmlinux` });
      const ref = withFile(bytes, (f) => bpftoolDump(f));
      expectAsBpftool(btf, ref, k.name);
      expect(btf.pointerSize, k.name).toBe(btf.source.elfClass === 64 ? 8 : 4);
      expectLookups(btf, ref, [...k.structs, "list_head", "page_pool", "pglist_data"]);
    }
  }, 120_000);

  it("decodes a module's split BTF on its vmlinux as bpftool -B does", () => {
    const k = kernelFixtures().find((x) => x.modules.length > 0)!;
    const vmlinux = kernelVmlinux(k.name);
    const base = openBtf(vmlinux, { file: `${k.name}/vmlinux` });
    for (const m of k.modules) {
      const ko = kernelModule(k.name, m.name);
      const btf = openBtf(ko, { file: `${m.name}.ko`, base });
      const ref = withFile(vmlinux, (v) => withFile(ko, (f) => bpftoolDump(f, v)));
      expect(ref[0]!.id).toBe(base.lastId + 1);
      expectAsBpftool(btf, ref, m.name);
      expect([...btf.types()].map((t) => t.id)).toEqual([
        ...Array.from({ length: base.lastId }, (_, i) => i + 1),
        ...ref.map((r) => r.id),
      ]);
      expectLookups(btf, ref, m.structs);
      // Names of the base, found through the module.
      for (const s of k.structs) expect(btf.findStruct(s), s).toBe(base.findStruct(s));
    }
  }, 120_000);
});

needs({ bpftool: bpftoolMissing(), "kernel BTF": hasVmlinux ? undefined : `${VMLINUX} does not exist` }).it(
  "decodes every record of the running kernel's BTF as bpftool does",
  () => {
    const btf = readBtf(new Uint8Array(readFileSync(VMLINUX)), { file: VMLINUX });
    const ref = bpftoolDump(VMLINUX);
    expectAsBpftool(btf, ref, "vmlinux");
    const structs = ref.filter((r) => r.kind === "STRUCT" && r.name !== "(anon)").map((r) => r.name);
    expectLookups(btf, ref, [...structs.slice(0, 20), ...structs.slice(-20), "page", "folio", "task_struct"]);
    console.log(`bpftool: the reader decoded all ${ref.length} records of ${VMLINUX} as bpftool does`);
  },
  120_000,
);
