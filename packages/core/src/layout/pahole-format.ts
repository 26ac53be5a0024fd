import { paramList, tagName } from "../ctype/name.js";
import type { AggregateType, ArrayType, CType, EnumType, FunctionType } from "../ctype/types.js";
import { enumerationText } from "./pahole-enum.js";
import {
  PaholeModel,
  type PaholeModelOptions,
  type PClass,
  type PHoles,
  type PMember,
} from "./pahole-model.js";
import { padEnd, padStart, plural, tabs } from "./pahole-text.js";
import type { Layout } from "./types.js";

/** The types and configuration the layout was made with, for member types reached only through them. */
export type PaholeFormatOptions = PaholeModelOptions;

/**
 * Prints a layout exactly as `pahole -C NAME` (v1.24) prints the same struct from BTF (as for
 * `/sys/kernel/btf/vmlinux`): member lines in pahole's columns, anonymous structs, unions and enums
 * expanded in place, holes and bit holes, cacheline boundaries, the `packed` and `aligned` attributes pahole
 * infers from the offsets, and the summary. The layout's name picks the form: `struct page {`,
 * `union u {`, or `typedef struct {` … `} name;` for a typedef of an anonymous struct.
 */
export function formatPahole(layout: Layout, options: PaholeFormatOptions = {}): string {
  return `${new PaholePrinter(layout, options).print()}\n`;
}

/** pahole's `conf_fprintf`, the part of it that `pahole -C` uses. */
interface Conf {
  readonly indent: number;
  readonly typeSpacing: number;
  readonly nameSpacing: number;
  /** Print the summary block: for the outermost struct, and for one reached through `const`. */
  readonly emitStats: boolean;
  /** Printed after the closing brace (even when empty, as a C string that is not NULL): a name. */
  readonly suffix?: string | undefined;
  readonly unionMember: boolean;
  readonly firstMember: boolean;
  readonly lastMember: boolean;
  /** Offsets inside a struct reached through a pointer are relative to it. */
  readonly relOffset: boolean;
  /** The cacheline last announced, shared by everything printed inside one outermost aggregate. */
  readonly cacheline: { value: number };
}

/** What `__class__fprintf` adds up for the summary. */
interface Sums {
  bytes: number;
  bits: number;
  holes: number;
  bitHoles: number;
  forced: number;
  forcedHoles: number;
  forcedHoleBytes: number;
  paddings: number;
  paddingBytes: number;
}

/** Text with pahole's way of separating comments: one blank line before a run of them, one after. */
class Writer {
  text = "";
  private pending = false;

  /** Before a comment: a blank line unless one is already pending. */
  blank(): void {
    if (!this.pending) this.text += "\n";
    this.pending = true;
  }

  /** Before a member: the blank line that closes a run of comments. */
  flush(): void {
    if (this.pending) this.text += "\n";
    this.pending = false;
  }
}

class PaholePrinter {
  private readonly model: PaholeModel;

  constructor(
    private readonly layout: Layout,
    options: PaholeFormatOptions,
  ) {
    this.model = new PaholeModel(layout, options);
  }

  print(): string {
    const { layout } = this;
    const cls = this.model.top(layout);
    const conf: Conf = {
      indent: 0,
      typeSpacing: 26,
      // pahole's union columns are narrower, but only for a union printed by name.
      nameSpacing: layout.kind === "union" && layout.name !== undefined ? 21 : 23,
      emitStats: true,
      unionMember: false,
      firstMember: false,
      lastMember: false,
      relOffset: false,
      cacheline: { value: 0 },
    };
    if (layout.name === undefined && layout.typedefName !== undefined) {
      // pahole expands a typedef of an anonymous struct, but not of an anonymous union.
      if (layout.kind === "union") return `typedef union  ${layout.typedefName};`;
      return `typedef ${this.struct(cls, { ...conf, suffix: layout.typedefName })};`;
    }
    return `${layout.kind === "union" ? this.union(cls, conf) : this.struct(cls, conf)};`;
  }

  /** `__class__fprintf`. */
  private struct(cls: PClass, conf: Conf): string {
    const { model } = this;
    const c: Conf = { ...conf, indent: conf.indent + 1 };
    const t = tabs(c.indent);
    const attrs = model.inferAlignments(cls);
    const packed = model.isPacked(cls);
    const h = model.holes(cls);
    const sums: Sums = {
      bytes: 0,
      bits: 0,
      holes: 0,
      bitHoles: 0,
      forced: 0,
      forcedHoles: 0,
      forcedHoleBytes: 0,
      paddings: 0,
      paddingBytes: 0,
    };
    const w = new Writer();
    w.text = `struct${cls.name ? ` ${cls.name}` : ""} {\n`;
    if (h.preBitHole > 0) {
      w.blank();
      w.text += `${t}/* XXX ${plural(h.preBitHole, "bit")} hole, try to pack */\n`;
      sums.bitHoles += h.preBitHole;
    }
    if (h.preHole > 0) {
      w.blank();
      w.text += `${t}/* XXX ${plural(h.preHole, "byte")} hole, try to pack */\n`;
      sums.holes += h.preHole;
    }
    // `lastSize` is pahole's: the size of the storage unit the previous bitfield run started with.
    let lastSize = 0;
    cls.members.forEach((pos, i) => {
      const prev = cls.members[i - 1];
      if (attrs.members[i]) {
        const forcedHole = prev ? h.hole[i - 1]! : h.preHole;
        if (forcedHole !== 0) {
          sums.forcedHoles++;
          sums.forcedHoleBytes += forcedHole;
        }
        sums.forced++;
      }
      if (prev && lastSize !== 0) this.bitfieldNotes(w, prev, pos, h.bitHole[i - 1]!, lastSize, c);
      w.flush();
      const mc: Conf = { ...c, lastMember: i === cls.members.length - 1, firstMember: i === 0 };
      w.text += t + this.member(pos, mc, attrs.members[i]!);
      if (pos.type.kind === "struct") {
        const padding = model.holes(model.memberClass(pos, pos.type)).padding;
        if (padding > 0) {
          sums.paddings++;
          sums.paddingBytes += padding;
          w.blank();
          w.text += `\n${t}/* XXX last struct has ${plural(padding, "byte")} of padding */`;
        }
      }
      if (h.bitHole[i]! !== 0) {
        w.blank();
        w.text += `\n${t}/* XXX ${plural(h.bitHole[i]!, "bit")} hole, try to pack */`;
        sums.bitHoles += h.bitHole[i]!;
      }
      if (h.hole[i]! > 0) {
        w.blank();
        w.text += `\n${t}/* XXX ${plural(h.hole[i]!, "byte")} hole, try to pack */`;
        sums.holes += h.hole[i]!;
      }
      w.text += "\n";
      if (pos.bitSize) sums.bits += pos.bitSize;
      else sums.bytes += pos.size;
      if (!prev || lastSize === 0 || prev.rel !== pos.rel || (!prev.bitSize && pos.bitSize))
        lastSize = pos.size;
    });
    let out = w.text;
    if (conf.emitStats) out += this.summary(cls, h, sums, t);
    out += `${tabs(conf.indent)}}`;
    if (packed) out += " __attribute__((__packed__))";
    if (conf.suffix !== undefined) out += ` ${conf.suffix}`;
    if (attrs.type !== 0 && !packed) out += ` __attribute__((__aligned__(${attrs.type})))`;
    return out;
  }

  /** What pahole says between two members of a bitfield run: forced alignment and combined storage. */
  private bitfieldNotes(w: Writer, prev: PMember, pos: PMember, bitHole: number, lastSize: number, c: Conf) {
    const t = tabs(c.indent);
    if (bitHole !== 0 && pos.bitSize) {
      let bits = bitHole;
      if (prev.rel !== pos.rel) {
        w.text += `\n${t}/* Force alignment to the next boundary: */\n`;
        bits = 0;
      }
      w.text += `${t}${this.decl(pos.type, "", c, pos)}:${bits};\n`;
    }
    if (pos.rel < prev.rel || (pos.rel === prev.rel && !prev.bitSize && pos.bitSize)) {
      w.blank();
      w.text += `${t}/* Bitfield combined with previous fields */\n`;
    } else {
      const delta = pos.rel - prev.rel;
      if (delta > 0 && delta < lastSize) {
        w.blank();
        w.text += `${t}/* Bitfield combined with next fields */\n`;
      }
    }
  }

  /** `type__fprintf_stats` and the lines after it. */
  private summary(cls: PClass, h: PHoles, s: Sums, t: string): string {
    const cl = this.model.cacheline;
    const lines = this.model.isEmptyBase(cls.type) ? 0 : Math.ceil(cls.size / cl);
    let out = `\n${t}/* size: ${cls.size}, cachelines: ${lines}, members: ${cls.members.length} */\n`;
    if (s.holes > 0 || s.bitHoles > 0) {
      if (s.bytes > 0) {
        out += `${t}/* sum members: ${s.bytes}`;
        if (s.holes > 0) out += `, holes: ${h.nrHoles}, sum holes: ${s.holes}`;
        out += " */\n";
      }
      if (s.bits > 0) {
        out += `${t}/* sum bitfield members: ${s.bits} bits`;
        out +=
          s.bitHoles > 0
            ? `, bit holes: ${h.nrBitHoles}, sum bit holes: ${s.bitHoles} bits`
            : ` (${Math.trunc(s.bits / 8)} bytes)`;
        out += " */\n";
      }
    }
    if (h.padding > 0) out += `${t}/* padding: ${h.padding} */\n`;
    if (s.paddings > 0) out += `${t}/* paddings: ${s.paddings}, sum paddings: ${s.paddingBytes} */\n`;
    if (h.bitPadding > 0) out += `${t}/* bit_padding: ${h.bitPadding} bits */\n`;
    if (s.forced !== 0) {
      out += `${t}/* forced alignments: ${s.forced}`;
      if (s.forcedHoles !== 0)
        out += `, forced holes: ${s.forcedHoles}, sum forced holes: ${s.forcedHoleBytes}`;
      out += " */\n";
    }
    const lastCacheline = (cls.offset + cls.size) % cl;
    if (lastCacheline !== 0) out += `${t}/* last cacheline: ${lastCacheline} bytes */\n`;
    const diff =
      cls.size * 8 - (s.bytes * 8 + s.bits + s.holes * 8 + s.bitHoles + h.padding * 8 + h.bitPadding);
    if (diff && cls.members.length !== 0)
      out +=
        `\n${t}/* BRAIN FART ALERT! ${cls.size} bytes != ${s.bytes} (member bytes) + ${s.bits} (member bits) ` +
        `+ ${s.holes} (byte holes) + ${s.bitHoles} (bit holes), diff = ${diff} bits */\n`;
    return out;
  }

  /** `union__fprintf`: no holes, no summary, and every member starts from the union's cacheline. */
  private union(cls: PClass, conf: Conf): string {
    const u: Conf = { ...conf, indent: conf.indent + 1, unionMember: true };
    const attrs = this.model.inferAlignments(cls);
    this.model.inferUnionPacked(cls);
    let out = `union${cls.name ? ` ${cls.name}` : ""} {\n`;
    const initial = u.cacheline.value;
    cls.members.forEach((m, i) => {
      out += `${tabs(u.indent)}${this.member(m, u, attrs.members[i]!)}\n`;
      u.cacheline.value = initial;
    });
    return `${out}${tabs(conf.indent)}}${conf.suffix !== undefined ? ` ${conf.suffix}` : ""}`;
  }

  /** `class_member__fprintf`: the declaration, then `/* offset size *\/` in the comment column. */
  private member(m: PMember, conf: Conf, alignment: number): string {
    const offset = conf.relOffset ? m.rel : m.offset;
    const boundary = this.cachelineBoundary(conf, offset);
    const raw = m.type;
    const direct = isAggregate(raw);
    let out: string;
    if (direct) {
      out = this.decl(raw, null, conf, m);
      if (m.name !== undefined) out += (raw.name === undefined ? " " : "") + m.name;
    } else {
      out = this.decl(raw, m.name ?? "", conf, m);
    }
    if (m.bitSize) out += `:${m.bitSize}`;
    const attr = alignment ? ` __attribute__((__aligned__(${alignment})))` : "";
    out += `${attr};`;
    if (direct && raw.name === undefined) {
      // An inline type's comment is placed by the length of the name after it, not of what was printed.
      let slen = attr.length + (m.name !== undefined ? m.name.length : -1);
      if (raw.kind === "struct" && this.model.isPacked(this.model.memberClass(m, raw)))
        slen += "__attribute__((__packed__))".length + 1;
      out += padStart(" ", conf.typeSpacing + conf.nameSpacing - slen - 3);
    } else {
      out += padStart(" ", Math.max(0, conf.typeSpacing + conf.nameSpacing - out.length));
    }
    out += `/* ${padStart(offset, 5)}`;
    if (m.bitSize) out += `:${padStart(m.bitOffset ?? 0, 2)} ${padStart(m.size, 2)} */`;
    else out += ` ${padStart(m.size, 5)} */`;
    return boundary + out;
  }

  /** `class__fprintf_cacheline_boundary`: announced before the first member that starts in a new line. */
  private cachelineBoundary(conf: Conf, offset: number): string {
    const size = this.model.cacheline;
    const line = Math.floor(offset / size);
    if (line <= conf.cacheline.value) return "";
    conf.cacheline.value = line;
    const pos = offset % size;
    const was = pos === 0 ? "" : ` was ${plural(pos, "byte")} ago`;
    return `/* --- cacheline ${line} boundary (${offset - pos} bytes)${was} --- */\n${tabs(conf.indent)}`;
  }

  /**
   * `type__fprintf`: a type and the name after it, in a type column `conf.typeSpacing` wide. A struct,
   * union or enum member passes no name: `member` appends it.
   */
  private decl(type: CType, name: string | null, conf: Conf, m: PMember): string {
    // Only a struct, union or enum named directly (not through `const`) closes with the name and no summary.
    const tconf: Conf = isAggregate(type) ? { ...conf, suffix: name ?? undefined, emitStats: false } : conf;
    let spacing = conf.typeSpacing;
    let out = "";
    let t = type;
    for (;;) {
      switch (t.kind) {
        case "qualified": {
          const [first, ...rest] = t.qualifiers;
          if (first !== "const") return out + this.plain(t, name, spacing);
          out += "const ";
          spacing -= 6;
          t = rest.length > 0 ? { ...t, qualifiers: rest } : t.type;
          if (t.kind === "void") return out + this.plain(type, name, spacing);
          continue;
        }
        case "pointer": {
          const to = t.to;
          if (to.kind === "function") return out + functionDecl(to, name, spacing);
          if (isAggregate(to) && to.name === undefined) {
            const inner: Conf = {
              ...conf,
              typeSpacing: spacing - 8,
              relOffset: true,
              suffix: `* ${name ?? ""}`,
              emitStats: false,
            };
            return out + this.inline(to, inner, { ...m, offset: 0, laid: undefined });
          }
          return out + this.plain(t, name, spacing);
        }
        case "array":
          return out + this.array(t, name, { ...conf, typeSpacing: spacing }, m);
        case "struct":
        case "union":
        case "enum":
          if (t.name === undefined) return out + this.inline(t, { ...tconf, typeSpacing: spacing }, m);
          return out + named(t.kind, t.name, name, spacing);
        case "ref":
        case "opaque": {
          const tag = /^(struct|union|enum) (\w+)$/.exec(t.name);
          if (tag) return out + named(tag[1]!, tag[2]!, name, spacing);
          return out + this.plain(t, name, spacing);
        }
        default:
          return out + this.plain(t, name, spacing);
      }
    }
  }

  private plain(t: CType, name: string | null, spacing: number): string {
    return `${padEnd(tagName(t), spacing)} ${name ?? ""}`;
  }

  /** An anonymous struct, union or enum, printed in full where it is used. */
  private inline(t: AggregateType | EnumType, conf: Conf, m: PMember): string {
    const { model } = this;
    if (t.kind === "enum")
      return enumerationText(t, model.engine.sizeAlign(t).size, conf.indent, conf.suffix);
    const cls = m.laid ? model.memberClass(m, t) : model.classOf(t, m.offset);
    const nested: Conf = { ...conf, typeSpacing: conf.typeSpacing - 8 };
    return t.kind === "struct" ? this.struct(cls, nested) : this.union(cls, nested);
  }

  /**
   * `array_type__fprintf`: the element's declaration, then the length, multi-dimensional arrays flattened
   * as pahole's BTF encoder stores them. A zero-length last member prints as `[]`, except alone or in a union.
   */
  private array(t: ArrayType, name: string | null, conf: Conf, m: PMember): string {
    let length = 1;
    let el: CType = t;
    while (el.kind === "array") {
      length *= el.length;
      el = el.element;
    }
    if (length === 0 && el.kind === "qualified" && el.qualifiers[0] === "const") {
      const rest = el.qualifiers.slice(1);
      el = rest.length > 0 ? { ...el, qualifiers: rest } : el.type;
    }
    const alone = conf.lastMember && conf.firstMember;
    const flexible = length === 0 && conf.lastMember && !alone && !conf.unionMember;
    return this.decl(el, name, conf, { ...m, laid: undefined }) + (flexible ? "[]" : `[${length}]`);
  }
}

function isAggregate(t: CType): t is AggregateType | EnumType {
  return t.kind === "struct" || t.kind === "union" || t.kind === "enum";
}

/** A named struct, union or enum: the tag padded so the whole type fills the column. */
function named(kind: string, tag: string, name: string | null, spacing: number): string {
  return `${kind} ${padEnd(tag, spacing - kind.length - 1)} ${name ?? ""}`;
}

/** `ftype__fprintf` for a function pointer member: `void                       (*func)(…)`. */
function functionDecl(fn: FunctionType, name: string | null, spacing: number): string {
  return `${padEnd(tagName(fn.returns), spacing)} (*${name ?? ""})${paramList(fn)}`;
}
