import type { AbiName, AggregateType, CType, Layout } from "@memdesc/core/layout";
import { BtfError } from "./errors.js";
import { type BtfHeader, parseHeader } from "./header.js";
import { INT_BOOL, INT_CHAR, INT_SIGNED, Kind, kindNames, RECORD_HEADER } from "./kinds.js";
import { Measure } from "./measure.js";
import { encodeName, StringTable } from "./strings.js";
import { CTypeConverter } from "./to-ctype.js";
import { btfLayout } from "./to-layout.js";
import type { BtfMember, BtfType, BtfTypeReader } from "./types.js";

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface ReadBtfOptions {
  /** The BTF this file is split from: vmlinux, when reading a module's `/sys/kernel/btf/<module>`. */
  readonly base?: Btf;
  /** The file name, for error messages. */
  readonly file?: string;
  /**
   * Pointer size in bytes. BTF does not record it; by default it is the size of the `long` INT, as libbpf
   * guesses it, or 8 when there is none.
   */
  readonly pointerSize?: 4 | 8;
  /**
   * Where the BTF lies in `bytes` when it is part of a larger file (an ELF file's `.BTF` section): offsets in
   * errors and `recordOffset` are then the file's. Default: all of `bytes`.
   */
  readonly window?: { readonly offset: number; readonly size: number };
  /** What the bytes came from, as `openBtf` found it. Default: a raw BTF file. */
  readonly source?: BtfSource;
}

/** The container BTF was read from: a raw BTF file, or a section of an ELF file. */
export interface BtfSource {
  readonly format: "raw" | "elf";
  /** For ELF: the architecture (`x86_64`, `aarch64`, `i386`, `s390x`), class and byte order. */
  readonly arch?: string;
  readonly elfClass?: 32 | 64;
  readonly littleEndian?: boolean;
  /** For ELF: the section read, with its file offset and size. */
  readonly section?: { readonly name: string; readonly offset: number; readonly size: number };
  /** How the base of split BTF was found: given by the caller, or the file's own `.BTF.base` (distilled). */
  readonly base?: "given" | "distilled";
}

/** Reads BTF bytes: checks the header and indexes every type record. Decoding is deferred until asked. */
export function readBtf(bytes: Uint8Array, options: ReadBtfOptions = {}): Btf {
  return new Btf(bytes, options);
}

/**
 * Names `long` has in BTF, as libbpf's pointer-size guess looks for them (`long_aliases` in determine_ptr_size(),
 * tools/lib/bpf/btf.c): gcc spells it `long int`, clang `long`.
 */
const longNames = new Set([
  "long",
  "long int",
  "int long",
  "unsigned long",
  "long unsigned",
  "unsigned long int",
  "unsigned int long",
  "long unsigned int",
  "long int unsigned",
  "int unsigned long",
  "int long unsigned",
]);

/** Kinds whose `size_or_type` is a type id. */
const refKinds = new Set<number>([
  Kind.ptr,
  Kind.typedef,
  Kind.volatile,
  Kind.const,
  Kind.restrict,
  Kind.func,
  Kind.funcProto,
  Kind.var,
  Kind.declTag,
  Kind.typeTag,
]);

/** Lookups by name scan the records (comparing bytes) until this many, then build a name index. */
const SCANS_BEFORE_INDEX = 8;

/**
 * One BTF file, indexed: type ids map to record offsets in two typed arrays, and nothing else is decoded
 * until asked. With a `base` (split BTF), ids below `firstId` and string offsets below the base's string
 * length resolve in the base.
 */
export class Btf implements BtfTypeReader {
  readonly bytes: Uint8Array;
  readonly header: BtfHeader;
  readonly base: Btf | undefined;
  readonly file: string | undefined;
  readonly source: BtfSource;
  readonly strings: StringTable;
  /** The first type id this file defines: 1, or one past the base's last id. */
  readonly firstId: number;
  /** The last valid type id (this file's own last, which is the base's last if this file has none). */
  readonly lastId: number;
  private readonly view: DataView;
  private readonly le: boolean;
  /**
   * The whole buffer as native-endian u32s, when the file's byte order is the host's and the records are
   * 4-aligned in memory: the two full passes over the records (indexing, the first name lookups) read through
   * it, which a cold process does several times faster than through the DataView.
   */
  private readonly words: Uint32Array | undefined;
  private readonly offsets: Uint32Array;
  private readonly kinds: Uint8Array;
  private nameIndex: Map<string, number[]> | undefined;
  private scans = 0;
  private ptrSize: 4 | 8 | undefined;
  private converter: CTypeConverter | undefined;
  private measure: Measure | undefined;

  constructor(bytes: Uint8Array, options: ReadBtfOptions = {}) {
    this.bytes = bytes;
    this.file = options.file;
    this.base = options.base;
    this.ptrSize = options.pointerSize;
    this.source = options.source ?? { format: "raw" };
    const window = options.window ?? { offset: 0, size: bytes.byteLength };
    if (window.offset < 0 || window.size < 0 || window.offset + window.size > bytes.byteLength)
      throw this.error(
        "BTF_TRUNCATED",
        `BTF at [${window.offset}, ${window.offset + window.size}) lies outside the ${bytes.byteLength}-byte file`,
        window.offset,
      );
    this.header = parseHeader(bytes, this.file, window.offset, window.offset + window.size);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = this.header.littleEndian;
    this.words =
      this.le === hostLittleEndian && bytes.byteOffset % 4 === 0 && this.header.typeStart % 4 === 0
        ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
        : undefined;
    this.strings = new StringTable(
      bytes,
      this.header.strStart,
      this.header.strLen,
      this.base?.strings,
      this.file,
    );
    this.firstId = this.base ? this.base.lastId + 1 : 1;
    const { offsets, kinds } = this.index();
    this.offsets = offsets;
    this.kinds = kinds;
    this.lastId = this.firstId + offsets.length - 1;
  }

  /** Walks every record once, computing each kind's trailing size; the only full pass over the types. */
  private index(): { offsets: Uint32Array; kinds: Uint8Array } {
    const { typeStart, typeLen } = this.header;
    const { view, le, words } = this;
    const end = typeStart + typeLen;
    const strEnd = this.strings.end;
    // No record is shorter than 12 bytes, so this bounds the allocation by the input's size.
    const capacity = Math.floor(typeLen / RECORD_HEADER);
    const offsets = new Uint32Array(capacity);
    const kinds = new Uint8Array(capacity);
    let n = 0;
    let pos = typeStart;
    while (pos < end) {
      const id = this.firstId + n;
      if (end - pos < RECORD_HEADER)
        throw this.error("BTF_TRUNCATED", `type section ends inside a record header`, pos, id);
      const nameOff = words ? words[pos >>> 2]! : view.getUint32(pos, le);
      const info = words ? words[(pos >>> 2) + 1]! : view.getUint32(pos + 4, le);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      let trail: number;
      switch (kind) {
        case 1:
        case 14:
        case 17:
          trail = 4;
          break;
        case 3:
          trail = 12;
          break;
        case 4:
        case 5:
        case 15:
        case 19:
          trail = 12 * vlen;
          break;
        case 6:
        case 13:
          trail = 8 * vlen;
          break;
        case 2:
        case 7:
        case 8:
        case 9:
        case 10:
        case 11:
        case 12:
        case 16:
        case 18:
          trail = 0;
          break;
        default:
          throw this.error(
            "BTF_KIND",
            `unknown kind ${kind}: without its size the records after it cannot be found`,
            pos + 4,
            id,
          );
      }
      if (nameOff >= strEnd)
        throw this.error(
          "BTF_STRING",
          `name offset ${nameOff} is beyond the string section (which ends at ${strEnd})`,
          pos,
          id,
        );
      if (pos + RECORD_HEADER + trail > end)
        throw this.error(
          "BTF_TRUNCATED",
          `${kindNames[kind]} record with vlen ${vlen} needs ${RECORD_HEADER + trail} bytes, but the type section has ${end - pos} left`,
          pos,
          id,
        );
      offsets[n] = pos;
      kinds[n] = kind;
      n++;
      pos += RECORD_HEADER + trail;
    }
    return { offsets: offsets.subarray(0, n), kinds: kinds.subarray(0, n) };
  }

  private error(code: BtfError["code"], detail: string, offset?: number, typeId?: number): BtfError {
    return new BtfError(code, detail, { offset, typeId, file: this.file });
  }

  /** Number of types this file defines (not counting a base's). */
  get count(): number {
    return this.offsets.length;
  }

  /** Throws unless `id` is a type id of this BTF (or its base); 0 (`void`) passes when `allowVoid`. */
  checkId(id: number, at?: number, from?: number, allowVoid = true): void {
    if (id === 0 ? !allowVoid : id > this.lastId || id < 0 || !Number.isInteger(id))
      throw this.error(
        "BTF_TYPE_ID",
        from === undefined
          ? `type id ${id} does not exist (the last type id is ${this.lastId})`
          : `refers to type id ${id}, but the last type id is ${this.lastId}`,
        at,
        from ?? id,
      );
  }

  /** The Btf that holds `id`'s record, and the record's byte offset there. */
  private locate(id: number): { btf: Btf; at: number } {
    if (id >= this.firstId && id <= this.lastId && Number.isInteger(id))
      return { btf: this, at: this.offsets[id - this.firstId]! };
    if (this.base && id > 0 && id < this.firstId) return this.base.locate(id);
    this.checkId(id, undefined, undefined, false);
    throw this.error("BTF_TYPE_ID", `type id ${id} does not exist`, undefined, id);
  }

  /** Byte offset of a record in the file that defines it. */
  recordOffset(id: number): number {
    return this.locate(id).at;
  }

  /** The kind number (1–19) of a type; 0 for `void`. */
  kind(id: number): number {
    if (id === 0) return 0;
    if (id >= this.firstId && id <= this.lastId) return this.kinds[id - this.firstId]!;
    const { btf } = this.locate(id);
    return btf.kind(id);
  }

  /** The type's name ("" when anonymous). */
  name(id: number): string {
    if (id === 0) return "void";
    const { btf, at } = this.locate(id);
    return this.strings.get(btf.view.getUint32(at, btf.le), at, id);
  }

  /** `vlen`: member, value or parameter count. */
  vlen(id: number): number {
    if (id === 0) return 0;
    const { btf, at } = this.locate(id);
    return btf.view.getUint32(at + 4, btf.le) & 0xffff;
  }

  kindFlag(id: number): boolean {
    if (id === 0) return false;
    const { btf, at } = this.locate(id);
    return btf.view.getUint32(at + 4, btf.le) >>> 31 === 1;
  }

  /** The raw `size` (for sized kinds) or `type` (for reference kinds) word. */
  sizeOrType(id: number): number {
    if (id === 0) return 0;
    const { btf, at } = this.locate(id);
    return btf.view.getUint32(at + 8, btf.le);
  }

  /** The type a reference kind (PTR, TYPEDEF, qualifiers, TYPE_TAG, FUNC, VAR, DECL_TAG) points to, checked. */
  target(id: number): number {
    const { btf, at } = this.locate(id);
    const t = btf.view.getUint32(at + 8, btf.le);
    this.checkId(t, at + 8, id);
    return t;
  }

  /** An ARRAY's element type, checked. */
  arrayElement(id: number): number {
    const { btf, at } = this.locate(id);
    const t = btf.view.getUint32(at + RECORD_HEADER, btf.le);
    this.checkId(t, at + RECORD_HEADER, id);
    return t;
  }

  /** An ARRAY's element count. */
  arrayLength(id: number): number {
    const { btf, at } = this.locate(id);
    return btf.view.getUint32(at + RECORD_HEADER + 8, btf.le);
  }

  /** The kind's name as bpftool prints it (`STRUCT`, `TYPE_TAG`); `VOID` for id 0. */
  kindName(id: number): string {
    return id === 0 ? "VOID" : kindNames[this.kind(id)]!;
  }

  /** Bytes a value of the type occupies (arrays multiplied out, typedefs resolved). */
  sizeOf(id: number): number {
    this.measure ??= new Measure(this);
    return this.measure.sizeOf(id);
  }

  /** Natural alignment, lowered where BTF's offsets prove the type packed (BTF records no alignment). */
  alignOf(id: number): number {
    this.measure ??= new Measure(this);
    return this.measure.alignOf(id);
  }

  /** Decodes one record, checking every type id and string offset it holds. */
  type(id: number): BtfType {
    const { btf, at } = this.locate(id);
    return btf.decode(id, at, this.strings);
  }

  private decode(id: number, at: number, strings: StringTable): BtfType {
    const view = this.view;
    const le = this.le;
    const info = view.getUint32(at + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const word = view.getUint32(at + 8, le);
    const name = strings.get(view.getUint32(at, le), at, id);
    const common = { id, name, offset: at };
    const data = at + RECORD_HEADER;
    const ref = (t: number, where: number) => {
      this.checkId(t, where, id);
      return t;
    };
    const str = (off: number, where: number) => strings.get(off, where, id);
    if (refKinds.has(kind)) ref(word, at + 8);
    switch (kind) {
      case Kind.int: {
        const enc = view.getUint32(data, le);
        const encoding = (enc >>> 24) & 0x0f;
        return {
          ...common,
          kind: "int",
          size: word,
          signed: (encoding & INT_SIGNED) !== 0,
          char: (encoding & INT_CHAR) !== 0,
          bool: (encoding & INT_BOOL) !== 0,
          bits: enc & 0xff,
          bitOffset: (enc >>> 16) & 0xff,
        };
      }
      case Kind.ptr:
        return { ...common, kind: "ptr", type: word };
      case Kind.array:
        return {
          ...common,
          kind: "array",
          type: ref(view.getUint32(data, le), data),
          indexType: ref(view.getUint32(data + 4, le), data + 4),
          nelems: view.getUint32(data + 8, le),
        };
      case Kind.struct:
      case Kind.union: {
        const members: BtfMember[] = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const m = data + 12 * i;
          const off = view.getUint32(m + 8, le);
          members[i] = {
            name: str(view.getUint32(m, le), m),
            type: ref(view.getUint32(m + 4, le), m + 4),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitSize: kindFlag ? off >>> 24 : 0,
          };
        }
        return { ...common, kind: kind === Kind.struct ? "struct" : "union", size: word, kindFlag, members };
      }
      case Kind.enum:
      case Kind.enum64: {
        const wide = kind === Kind.enum64;
        const stride = wide ? 12 : 8;
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const v = data + stride * i;
          let value: bigint;
          if (wide) {
            const raw = (BigInt(view.getUint32(v + 8, le)) << 32n) | BigInt(view.getUint32(v + 4, le));
            value = kindFlag ? BigInt.asIntN(64, raw) : raw;
          } else {
            value = BigInt(kindFlag ? view.getInt32(v + 4, le) : view.getUint32(v + 4, le));
          }
          values[i] = { name: str(view.getUint32(v, le), v), value };
        }
        return { ...common, kind: wide ? "enum64" : "enum", size: word, signed: kindFlag, values };
      }
      case Kind.fwd:
        return { ...common, kind: "fwd", union: kindFlag };
      case Kind.typedef:
        return { ...common, kind: "typedef", type: word };
      case Kind.volatile:
        return { ...common, kind: "volatile", type: word };
      case Kind.const:
        return { ...common, kind: "const", type: word };
      case Kind.restrict:
        return { ...common, kind: "restrict", type: word };
      case Kind.func:
        return { ...common, kind: "func", type: word, linkage: vlen };
      case Kind.funcProto: {
        const params = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++) {
          const p = data + 8 * i;
          const pname = view.getUint32(p, le);
          const ptype = view.getUint32(p + 4, le);
          if (i === vlen - 1 && pname === 0 && ptype === 0) {
            variadic = true;
            break;
          }
          params.push({ name: str(pname, p), type: ref(ptype, p + 4) });
        }
        return { ...common, kind: "func_proto", returns: word, params, variadic };
      }
      case Kind.var:
        return { ...common, kind: "var", type: word, linkage: view.getUint32(data, le) };
      case Kind.datasec: {
        const vars = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const v = data + 12 * i;
          vars[i] = {
            type: ref(view.getUint32(v, le), v),
            offset: view.getUint32(v + 4, le),
            size: view.getUint32(v + 8, le),
          };
        }
        return { ...common, kind: "datasec", size: word, vars };
      }
      case Kind.float:
        return { ...common, kind: "float", size: word };
      case Kind.declTag:
        return {
          ...common,
          kind: "decl_tag",
          type: word,
          componentIdx: view.getInt32(data, le),
          attribute: kindFlag,
        };
      case Kind.typeTag:
        return { ...common, kind: "type_tag", type: word, attribute: kindFlag };
      default:
        // The index already rejected unknown kinds; this keeps the switch total.
        throw this.error("BTF_KIND", `unknown kind ${kind}`, at + 4, id);
    }
  }

  /** Every type record in id order, decoded one at a time (base types first for split BTF). */
  *types(): IterableIterator<BtfType> {
    if (this.base) yield* this.base.types();
    for (let id = this.firstId; id <= this.lastId; id++) yield this.type(id);
  }

  /**
   * The id of a struct or union named `name` (the first complete one), or undefined. Scans the records
   * comparing name bytes, so the first few lookups decode nothing; later ones use a name index.
   */
  findStruct(name: string): number | undefined {
    return this.find(name, [Kind.struct, Kind.union]);
  }

  /**
   * The first type named `name` among `kinds` (kind numbers; all kinds when omitted), preferring a struct or
   * union with members over an empty one. This file's own types come before its base's.
   */
  find(name: string, kinds?: readonly number[]): number | undefined {
    const ids = this.findAll(name, kinds);
    for (const id of ids) {
      const k = this.kind(id);
      if ((k !== Kind.struct && k !== Kind.union) || this.vlen(id) > 0) return id;
    }
    return ids[0];
  }

  /** Every type named `name` among `kinds`, own types first then the base's. */
  findAll(name: string, kinds?: readonly number[]): number[] {
    const own = this.findOwn(name, kinds);
    return this.base ? [...own, ...this.base.findAll(name, kinds)] : own;
  }

  private findOwn(name: string, kinds: readonly number[] | undefined): number[] {
    if (name === "") return [];
    const want = kinds ? new Set(kinds) : undefined;
    if (!this.nameIndex && ++this.scans > SCANS_BEFORE_INDEX) this.buildNameIndex();
    if (this.nameIndex) {
      const ids = this.nameIndex.get(name) ?? [];
      return want ? ids.filter((id) => want.has(this.kind(id))) : ids;
    }
    // Find the name's string offsets first (a native search), then compare integers record by record.
    const targets = this.strings.offsetsOf(encodeName(name));
    const out: number[] = [];
    if (targets.length === 0) return out;
    const { kinds: ks, offsets, view, le, words } = this;
    const one = targets.length === 1 ? targets[0]! : -1;
    for (let i = 0; i < ks.length; i++) {
      const off = words ? words[offsets[i]! >>> 2]! : view.getUint32(offsets[i]!, le);
      if (off !== one && (one >= 0 || !targets.includes(off))) continue;
      if (want && !want.has(ks[i]!)) continue;
      out.push(this.firstId + i);
    }
    return out;
  }

  private buildNameIndex(): void {
    const index = new Map<string, number[]>();
    const { offsets, view, le, strings } = this;
    for (let i = 0; i < offsets.length; i++) {
      const at = offsets[i]!;
      const off = view.getUint32(at, le);
      if (off === 0) continue;
      const name = strings.get(off, at, this.firstId + i);
      const list = index.get(name);
      if (list) list.push(this.firstId + i);
      else index.set(name, [this.firstId + i]);
    }
    this.nameIndex = index;
  }

  /** Pointer size in bytes: the option, else the size of BTF's `long`, else 8. */
  get pointerSize(): 4 | 8 {
    if (this.ptrSize === undefined) {
      let found: 4 | 8 | undefined;
      for (let i = 0; i < this.kinds.length && found === undefined; i++) {
        if (this.kinds[i] !== Kind.int) continue;
        const at = this.offsets[i]!;
        const size = this.view.getUint32(at + 8, this.le);
        if ((size === 4 || size === 8) && longNames.has(this.name(this.firstId + i))) found = size;
      }
      this.ptrSize = found ?? this.base?.pointerSize ?? 8;
    }
    return this.ptrSize;
  }

  /** The C ABI layouts are reported in: `lp64` for 8-byte pointers, `ilp32` for 4-byte ones. */
  get abi(): AbiName {
    return this.pointerSize === 8 ? "lp64" : "ilp32";
  }

  /**
   * Strips typedefs, qualifiers and type tags: the id of the type underneath (0 for void). A chain that loops
   * is a `BtfError`.
   */
  resolve(id: number): number {
    let cur = id;
    let steps = 0;
    let seen: number[] | undefined;
    for (;;) {
      const k = this.kind(cur);
      if (
        k !== Kind.typedef &&
        k !== Kind.const &&
        k !== Kind.volatile &&
        k !== Kind.restrict &&
        k !== Kind.typeTag
      )
        return cur;
      if (++steps > 16) {
        seen ??= [];
        if (seen.includes(cur))
          throw this.error(
            "BTF_CYCLE",
            `reference cycle: the typedef/qualifier chain from type id ${id} comes back to type id ${cur}`,
            this.recordOffset(cur),
            cur,
          );
        seen.push(cur);
      }
      cur = this.target(cur);
    }
  }

  /** The C type of a type id, as `@memdesc/core` models it (memoised per id). */
  ctype(id: number): CType {
    this.converter ??= new CTypeConverter(this);
    return this.converter.ctype(id);
  }

  /** The struct or union (or a typedef of one) named `name`, or with id `id`, as a core `Layout`. */
  layout(nameOrId: string | number): Layout {
    this.converter ??= new CTypeConverter(this);
    const id = typeof nameOrId === "number" ? nameOrId : this.findLayoutRoot(nameOrId);
    return btfLayout(this, id, this.converter);
  }

  /** The aggregate `ctype` gives for a struct or union id. */
  aggregate(id: number): AggregateType {
    const t = this.ctype(id);
    if (t.kind !== "struct" && t.kind !== "union")
      throw this.error("BTF_NOT_A_TYPE", `type id ${id} is not a struct or union`, this.recordOffset(id), id);
    return t;
  }

  /** What `pahole -C name` finds: a struct or union, else a typedef of one. */
  private findLayoutRoot(name: string): number {
    const agg = this.findStruct(name);
    if (agg !== undefined) return agg;
    for (const id of this.findAll(name, [Kind.typedef])) {
      const r = this.resolve(id);
      const k = this.kind(r);
      if (k === Kind.struct || k === Kind.union) return id;
    }
    throw this.error("BTF_NOT_FOUND", `no struct, union or typedef of one is named "${name}"`);
  }
}
