import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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
  return types.map((t) =>
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

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");

/** `bpftool -j btf dump file fixtures/linux-6.18-memdesc.btf`, stored beside the fixture. */
export const fixtureBpftool = (): BpftoolType[] =>
  parseBpftool(readFileSync(join(fixtures, "bpftool/linux-6.18-memdesc.json"), "utf8"));

/** Why bpftool cannot run here, or undefined when it can. */
export const bpftoolMissing = (): string | undefined =>
  spawnSync("bpftool", ["version"]).status === 0 ? undefined : "bpftool is not installed (Debian: bpftool)";

/** `bpftool -j [-B base] btf dump file FILE`: every record of FILE (split BTF's own only, with `base`). */
export function bpftoolDump(file: string, base?: string): BpftoolType[] {
  const r = spawnSync("bpftool", [...(base ? ["-B", base] : []), "-j", "btf", "dump", "file", file], {
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
  const head = { id: t.id, kind: btf.kindName(id), name: anon(t.name) };
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
        // bpftool prints the variadic marker as a last nameless parameter of type 0.
        params: [
          ...t.params.map((p) => ({ name: anon(p.name), type_id: p.type })),
          ...(t.variadic ? [{ name: "(anon)", type_id: 0 }] : []),
        ],
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
