import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import type { Btf } from "../src/reader.js";

/*
 * bpftool (libbpf's reader, the kernel tree's own tool) as the oracle for the BTF reader: `bpftool -j btf dump
 * file F` decodes every record, and the tests translate each record the reader decodes into bpftool's JSON shape
 * (the values are the reader's, only the spelling is bpftool's) to compare them. The shape is bpftool 7.1's
 * (tools/bpf/bpftool/btf.c, dump_btf_type(), Linux 6.1).
 */

/** One record as `bpftool -j btf dump` prints it (enum values as decimal strings: see `parseBpftool`). */
export interface BpftoolType {
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  readonly [field: string]: unknown;
}

/**
 * bpftool's JSON, with enum values kept as decimal strings (JSON numbers lose 64-bit values above 2^53). bpftool
 * 7.1 prints an unsigned 32-bit ENUM's value sign-extended to 64 bits (`enum init_ns_ino`'s 0xEFFFFFFF as
 * 18446744073441116159), so those are taken modulo 2^32: the value the 4-byte record holds.
 */
export function parseBpftool(text: string): BpftoolType[] {
  const { types } = JSON.parse(text.replace(/"val":(-?\d+)/g, '"val":"$1"')) as { types: BpftoolType[] };
  return types.map(variadic).map((t) =>
    t.kind === "ENUM" && t.encoding === "UNSIGNED"
      ? {
          ...t,
          values: (t.values as { name: string; val: string }[]).map((v) => ({
            ...v,
            val: String(BigInt.asUintN(32, BigInt(v.val))),
          })),
        }
      : t,
  );
}

/**
 * bpftool prints a prototype's variadic marker as a last nameless parameter of type 0 (btf.rst: "If the
 * function has variable arguments, the last param has name_off = 0 and type = 0"): taken out as `variadic`.
 */
function variadic(t: BpftoolType): BpftoolType {
  if (t.kind !== "FUNC_PROTO") return t;
  const params = t.params as { name: string; type_id: number }[];
  const last = params.at(-1);
  const marker = last !== undefined && last.name === "(anon)" && last.type_id === 0;
  return { ...t, params: marker ? params.slice(0, -1) : params, variadic: marker };
}

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");

/** `bpftool -j btf dump file fixtures/linux-6.18-memdesc.btf`, stored beside the fixture. */
export const fixtureBpftool = (): BpftoolType[] =>
  parseBpftool(readFileSync(join(fixtures, "bpftool/linux-6.18-memdesc.json"), "utf8"));

// Debian installs bpftool in /usr/sbin, which is on root's PATH but not always on a user's.
const bpftool =
  ["bpftool", "/usr/sbin/bpftool", "/sbin/bpftool"].find((b) => spawnSync(b, ["version"]).status === 0) ??
  "bpftool";

/** Why bpftool cannot run here, or undefined when it can. */
export const bpftoolMissing = (): string | undefined =>
  spawnSync(bpftool, ["version"]).status === 0 ? undefined : "bpftool is not installed (Debian: bpftool)";

/** `bpftool -j [-B base] btf dump file FILE`: every record of FILE (split BTF's own only, with `base`). */
export function bpftoolDump(file: string, base?: string): BpftoolType[] {
  const r = spawnSync(bpftool, [...(base ? ["-B", base] : []), "-j", "btf", "dump", "file", file], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`bpftool btf dump file ${file} failed: ${r.stderr || r.error}`);
  return parseBpftool(r.stdout);
}

const anon = (name: string) => (name === "" ? "(anon)" : name);
/** btf_func_linkage_str() and btf_var_linkage_str(): BTF_FUNC_STATIC/GLOBAL/EXTERN, BTF_VAR_STATIC/…. */
const funcLinkage = ["static", "global", "extern"];
const varLinkage = ["static", "global", "extern"];

/** The record `id` as the reader decodes it, spelled as bpftool prints it. */
export function asBpftool(btf: Btf, id: number): BpftoolType {
  const t = btf.type(id);
  // The kind as the decoded record says it (the index's kind is checked apart, through kindName()).
  const head = { id: t.id, kind: t.kind.toUpperCase(), name: anon(t.name) };
  switch (t.kind) {
    case "int": {
      const enc = [t.signed && "SIGNED", t.char && "CHAR", t.bool && "BOOL"].filter((e) => e !== false);
      const encoding = enc.length === 0 ? "(none)" : enc.length === 1 ? enc[0] : "UNKN";
      return { ...head, size: t.size, bits_offset: t.bitOffset, nr_bits: t.bits, encoding };
    }
    case "ptr":
    case "typedef":
    case "volatile":
    case "const":
    case "restrict":
    case "type_tag":
      return { ...head, type_id: t.type };
    case "array":
      return { ...head, type_id: t.type, index_type_id: t.indexType, nr_elems: t.nelems };
    case "struct":
    case "union":
      return {
        ...head,
        size: t.size,
        vlen: btf.vlen(id),
        members: t.members.map((m) => ({
          name: anon(m.name),
          type_id: m.type,
          bits_offset: m.bitOffset,
          ...(m.bitSize ? { bitfield_size: m.bitSize } : {}),
        })),
      };
    case "enum":
    case "enum64":
      return {
        ...head,
        encoding: t.signed ? "SIGNED" : "UNSIGNED",
        size: t.size,
        vlen: btf.vlen(id),
        values: t.values.map((v) => ({ name: anon(v.name), val: String(v.value) })),
      };
    case "fwd":
      return { ...head, fwd_kind: t.union ? "union" : "struct" };
    case "func":
      return { ...head, type_id: t.type, linkage: funcLinkage[t.linkage] ?? "(unknown)" };
    case "func_proto":
      return {
        ...head,
        ret_type_id: t.returns,
        vlen: btf.vlen(id),
        params: t.params.map((p) => ({ name: anon(p.name), type_id: p.type })),
        variadic: t.variadic,
      };
    case "var":
      return { ...head, type_id: t.type, linkage: varLinkage[t.linkage] ?? "(unknown)" };
    case "datasec":
      return {
        ...head,
        size: t.size,
        vlen: btf.vlen(id),
        vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })),
      };
    case "float":
      return { ...head, size: t.size };
    case "decl_tag":
      return { ...head, type_id: t.type, component_idx: t.componentIdx };
  }
}

/** Bytes each kind's record takes after its 12-byte header (the kernel's Documentation/bpf/btf.rst, §2.2). */
export function trailingBytes(kind: string, vlen: number): number {
  switch (kind) {
    case "INT":
    case "VAR":
    case "DECL_TAG":
      return 4;
    case "ARRAY":
      return 12;
    case "STRUCT":
    case "UNION":
    case "DATASEC":
    case "ENUM64":
      return 12 * vlen;
    case "ENUM":
    case "FUNC_PROTO":
      return 8 * vlen;
    default:
      return 0;
  }
}

/** Ids, decoded records and the per-record accessors, against bpftool's dump (`ref`, in id order). */
export function expectAsBpftool(
  btf: Btf,
  ref: readonly BpftoolType[],
  label: string,
  /** Records to compare field by field (the others are counted and their sizes summed, not decoded). */
  compare: (r: BpftoolType) => boolean = () => true,
) {
  expect(ref.length, label).toBeGreaterThan(0);
  expect([btf.firstId, btf.lastId, btf.count], label).toEqual([ref[0]!.id, ref.at(-1)!.id, ref.length]);
  const byId = new Map(ref.map((r) => [r.id, r]));
  let at = btf.header.typeStart;
  const wrong: string[] = [];
  for (const r of ref) {
    const id = r.id;
    if (!compare(r)) {
      at += 12 + trailingBytes(r.kind, Number(r.vlen ?? 0));
      continue;
    }
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
export function expectLookups(btf: Btf, ref: readonly BpftoolType[], names: readonly string[]) {
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

/** Runs `fn` on a temporary file holding `bytes` (for bpftool), removed afterwards. */
export function withTempFile<T>(bytes: Uint8Array, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-bpftool-"));
  try {
    const file = join(dir, "btf");
    writeFileSync(file, bytes);
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Not one of the kernel fixtures' stand-ins: every record their structs do not need is an anonymous `void *`
 * (fixtures/kernels/README.md), tens of thousands of them. A few hundred are compared all the same.
 */
export const notFiller = (r: BpftoolType) =>
  !(r.kind === "PTR" && r.name === "(anon)" && r.type_id === 0) || r.id % 256 === 0;
