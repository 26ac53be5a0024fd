import { BtfError } from "./errors.js";
import { BASE_HEADER_LEN, BTF_MAGIC, BTF_VERSION } from "./header.js";
import { INT_BOOL, INT_CHAR, INT_SIGNED, Kind, RECORD_HEADER, trailingBytes } from "./kinds.js";
import type { Btf } from "./reader.js";
import type { BtfTypeSpec } from "./types.js";

export interface WriteBtfOptions {
  /** Byte order of the output; little-endian unless false. */
  readonly littleEndian?: boolean;
  /**
   * Write split BTF on top of this base: type ids continue after the base's last id, and string offsets after
   * the base's strings (references below them may point into the base).
   */
  readonly base?: Btf;
  /** Header length; more than 24 appends zeroed header fields, as a newer kernel's longer header has. */
  readonly hdrLen?: number;
}

const kindNumber: Record<BtfTypeSpec["kind"], number> = {
  int: Kind.int,
  ptr: Kind.ptr,
  array: Kind.array,
  struct: Kind.struct,
  union: Kind.union,
  enum: Kind.enum,
  fwd: Kind.fwd,
  typedef: Kind.typedef,
  volatile: Kind.volatile,
  const: Kind.const,
  restrict: Kind.restrict,
  func: Kind.func,
  func_proto: Kind.funcProto,
  var: Kind.var,
  datasec: Kind.datasec,
  float: Kind.float,
  decl_tag: Kind.declTag,
  type_tag: Kind.typeTag,
  enum64: Kind.enum64,
};

/**
 * Encodes BTF: a header, the type records (the record at index i gets id `firstId + i`, where `firstId` is 1,
 * or one past the base's last id for split BTF) and a deduplicated string section.
 */
export function writeBtf(types: readonly BtfTypeSpec[], options: WriteBtfOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const hdrLen = options.hdrLen ?? BASE_HEADER_LEN;
  if (!Number.isInteger(hdrLen) || hdrLen < BASE_HEADER_LEN || hdrLen % 4 !== 0)
    throw new BtfError("BTF_WRITE", `hdrLen must be a multiple of 4 of at least 24, not ${hdrLen}`);
  const base = options.base;
  const firstId = base ? base.lastId + 1 : 1;
  const lastId = firstId + types.length - 1;
  const strings = new StringWriter(base ? base.strings.end : 0, !base);

  let typeLen = 0;
  types.forEach((t, i) => {
    typeLen += RECORD_HEADER + trailingBytes(kindNumber[t.kind], vlenOf(t, firstId + i));
  });
  const records = new Uint8Array(typeLen);
  const view = new DataView(records.buffer);
  let pos = 0;
  const u32 = (v: number) => {
    view.setUint32(pos, v >>> 0, le);
    pos += 4;
  };
  types.forEach((t, i) => {
    const id = firstId + i;
    const fail = (detail: string) => new BtfError("BTF_WRITE", detail, { typeId: id });
    const ref = (target: number) => {
      if (!Number.isInteger(target) || target < 0 || target > lastId)
        throw fail(`refers to type id ${target}, but the last type id is ${lastId}`);
      return target;
    };
    const vlen = vlenOf(t, id);
    let kindFlag = false;
    if (t.kind === "struct" || t.kind === "union")
      kindFlag = t.kindFlag || t.members.some((m) => m.bitSize > 0);
    else if (t.kind === "enum" || t.kind === "enum64") kindFlag = t.signed;
    else if (t.kind === "fwd") kindFlag = t.union;
    else if (t.kind === "type_tag" || t.kind === "decl_tag") kindFlag = t.attribute;
    u32(strings.add(t.name));
    u32(((kindFlag ? 1 : 0) << 31) | (kindNumber[t.kind] << 24) | vlen);
    switch (t.kind) {
      case "int": {
        u32(t.size);
        const enc = (t.signed ? INT_SIGNED : 0) | (t.char ? INT_CHAR : 0) | (t.bool ? INT_BOOL : 0);
        if (t.bits > 255 || t.bitOffset > 255) throw fail(`INT bits ${t.bits} at ${t.bitOffset} do not fit`);
        u32((enc << 24) | (t.bitOffset << 16) | t.bits);
        break;
      }
      case "ptr":
      case "typedef":
      case "volatile":
      case "const":
      case "restrict":
      case "type_tag":
        u32(ref(t.type));
        break;
      case "array":
        u32(0);
        u32(ref(t.type));
        u32(ref(t.indexType));
        u32(t.nelems);
        break;
      case "struct":
      case "union":
        u32(t.size);
        for (const m of t.members) {
          u32(strings.add(m.name));
          u32(ref(m.type));
          if (kindFlag) {
            if (m.bitOffset > 0xffffff || m.bitSize > 0xff)
              throw fail(`member "${m.name}" bit offset ${m.bitOffset} or size ${m.bitSize} does not fit`);
            u32((m.bitSize << 24) | m.bitOffset);
          } else u32(m.bitOffset);
        }
        break;
      case "enum":
        u32(t.size);
        for (const v of t.values) {
          if (v.value < -(2n ** 31n) || v.value >= 2n ** 32n)
            throw fail(`enumerator ${v.name} = ${v.value} needs ENUM64`);
          u32(strings.add(v.name));
          u32(Number(BigInt.asUintN(32, v.value)));
        }
        break;
      case "enum64":
        u32(t.size);
        for (const v of t.values) {
          const raw = BigInt.asUintN(64, v.value);
          u32(strings.add(v.name));
          u32(Number(raw & 0xffffffffn));
          u32(Number(raw >> 32n));
        }
        break;
      case "fwd":
        u32(0);
        break;
      case "func":
        u32(ref(t.type));
        break;
      case "func_proto":
        u32(ref(t.returns));
        for (const p of t.params) {
          u32(strings.add(p.name));
          u32(ref(p.type));
        }
        if (t.variadic) {
          u32(0);
          u32(0);
        }
        break;
      case "var":
        u32(ref(t.type));
        u32(t.linkage);
        break;
      case "datasec":
        u32(t.size);
        for (const v of t.vars) {
          u32(ref(v.type));
          u32(v.offset);
          u32(v.size);
        }
        break;
      case "float":
        u32(t.size);
        break;
      case "decl_tag":
        u32(ref(t.type));
        view.setInt32(pos, t.componentIdx, le);
        pos += 4;
        break;
    }
  });

  const str = strings.bytes();
  const out = new Uint8Array(hdrLen + typeLen + str.length);
  const header = new DataView(out.buffer);
  header.setUint16(0, BTF_MAGIC, le);
  header.setUint8(2, BTF_VERSION);
  header.setUint8(3, 0);
  header.setUint32(4, hdrLen, le);
  header.setUint32(8, 0, le);
  header.setUint32(12, typeLen, le);
  header.setUint32(16, typeLen, le);
  header.setUint32(20, str.length, le);
  out.set(records, hdrLen);
  out.set(str, hdrLen + typeLen);
  return out;
}

function vlenOf(t: BtfTypeSpec, id: number): number {
  let n: number;
  switch (t.kind) {
    case "struct":
    case "union":
      n = t.members.length;
      break;
    case "enum":
    case "enum64":
      n = t.values.length;
      break;
    case "func_proto":
      n = t.params.length + (t.variadic ? 1 : 0);
      break;
    case "datasec":
      n = t.vars.length;
      break;
    case "func":
      n = t.linkage;
      break;
    default:
      return 0;
  }
  if (n > 0xffff)
    throw new BtfError("BTF_WRITE", `${n} members or values do not fit BTF's 16-bit vlen`, { typeId: id });
  return n;
}

/** The string section being written: offsets are handed out as strings are added, each string once. */
class StringWriter {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly start: number,
    withEmpty: boolean,
  ) {
    if (withEmpty) this.append("");
  }

  add(s: string): number {
    if (s === "") return this.offsets.get("") ?? 0;
    return this.offsets.get(s) ?? this.append(s);
  }

  private append(s: string): number {
    const off = this.start + this.length;
    const b = this.encoder.encode(s);
    this.chunks.push(b, new Uint8Array(1));
    this.length += b.length + 1;
    this.offsets.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}
