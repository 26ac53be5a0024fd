import {
  type AggregateType,
  assembleLayout,
  type CType,
  type LaidMember,
  type Layout,
} from "@memdesc/core/layout";
import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import type { CTypeConverter } from "./to-ctype.js";
import type { BtfComposite, BtfTypeReader } from "./types.js";

const MAX_NESTING = 256;

/**
 * A struct or union (or a typedef of one) as a core `Layout`, placed where BTF says its members are: BTF's bit
 * offsets and sizes, not a layout computed from the types. Named and anonymous struct or union members are
 * expanded in place, as the layout engine does.
 */
export function btfLayout(btf: BtfTypeReader, id: number, converter: CTypeConverter): Layout {
  const r = btf.resolve(id);
  const k = btf.kind(r);
  if (k !== Kind.struct && k !== Kind.union)
    throw new BtfError("BTF_NOT_A_TYPE", `${btf.kindName(r)} is not a struct or union, so has no layout`, {
      typeId: id,
      offset: id > 0 ? btf.recordOffset(id) : undefined,
      file: btf.file,
    });
  const typedefName = btf.kind(id) === Kind.typedef ? btf.name(id) : undefined;
  const t = btf.type(r) as BtfComposite;
  const ctype = converter.ctype(r);
  const type: AggregateType =
    ctype.kind === "struct" || ctype.kind === "union"
      ? ctype
      : { kind: t.kind, name: t.name || undefined, members: [] };
  return assembleLayout({
    kind: t.kind,
    name: t.name || undefined,
    typedefName,
    type,
    abi: btf.abi,
    size: t.size,
    align: btf.alignOf(r),
    cacheline: 64,
    members: laidMembers(btf, converter, t, type, 0, 0),
  });
}

/** The members of struct or union `id` placed at BTF's offsets, without assembling a whole `Layout`. */
export function btfMembers(
  btf: BtfTypeReader,
  id: number,
  converter: CTypeConverter,
  agg?: AggregateType,
): LaidMember[] {
  const t = btf.type(id) as BtfComposite;
  const type = agg ?? converter.ctype(id);
  const a: AggregateType =
    type.kind === "struct" || type.kind === "union" ? type : { kind: t.kind, members: [] };
  return laidMembers(btf, converter, t, a, 0, 0);
}

function laidMembers(
  btf: BtfTypeReader,
  converter: CTypeConverter,
  t: BtfComposite,
  agg: AggregateType,
  base: number,
  depth: number,
): LaidMember[] {
  const fail = (code: BtfError["code"], detail: string) =>
    new BtfError(code, detail, { typeId: t.id, offset: t.offset, file: btf.file });
  if (depth > MAX_NESTING) throw fail("BTF_CYCLE", `structs nest more than ${MAX_NESTING} levels deep`);
  // The aggregate's members line up with BTF's unless attributes inserted padding bitfields.
  const cmembers = agg.members?.length === t.members.length ? agg.members : [];
  return t.members.map((m, i): LaidMember => {
    const cm = cmembers[i];
    const type: CType = cm?.type ?? converter.ctype(m.type);
    const label = m.name || `#${i}`;
    const size = btf.sizeOf(m.type);
    const align = btf.alignOf(m.type);
    const bits = converter.bitfieldWidth(t, i);
    if (bits !== undefined) {
      // Pre-kind_flag bitfields keep part of their position in the INT's encoding.
      const intOffset = t.kindFlag ? 0 : intBitOffset(btf, m.type);
      const bitpos = m.bitOffset + intOffset;
      if (bitpos + bits > t.size * 8)
        throw fail(
          "BTF_SIZE",
          `bitfield "${label}" ends at bit ${bitpos + bits}, past the ${t.size}-byte ${t.kind}`,
        );
      // The storage unit is the declared type's size, aligned to it, as pahole and the layout engine show it.
      const unitOffset = Math.floor(bitpos / (size * 8)) * size;
      return {
        name: m.name || undefined,
        type,
        offset: base + unitOffset,
        size,
        align,
        bitOffset: bitpos - unitOffset * 8,
        bitSize: bits,
      };
    }
    if (m.bitOffset % 8 !== 0)
      throw fail("BTF_SIZE", `member "${label}" is not a bitfield but starts at bit ${m.bitOffset}`);
    const rel = m.bitOffset / 8;
    if (rel + size > t.size)
      throw fail(
        "BTF_SIZE",
        `member "${label}" (${size} bytes at ${rel}) ends past the ${t.size}-byte ${t.kind}`,
      );
    const offset = base + rel;
    const r = btf.resolve(m.type);
    const rk = btf.kind(r);
    // Expanded like the engine expands them: anything with members, and empty structs (`struct {}`), but not
    // a memberless type with a size, which converts to an opaque type.
    if ((rk === Kind.struct || rk === Kind.union) && (btf.vlen(r) > 0 || btf.sizeOrType(r) === 0)) {
      const inner = btf.type(r) as BtfComposite;
      const innerType = converter.ctype(r);
      const innerAgg: AggregateType =
        innerType.kind === "struct" || innerType.kind === "union"
          ? innerType
          : { kind: inner.kind, members: [] };
      return {
        name: m.name || undefined,
        type,
        offset,
        size,
        align,
        aggregate: inner.kind,
        members: laidMembers(btf, converter, inner, innerAgg, offset, depth + 1),
      };
    }
    return { name: m.name || undefined, type, offset, size, align };
  });
}

function intBitOffset(btf: BtfTypeReader, id: number): number {
  const t = btf.type(id);
  return t.kind === "int" ? t.bitOffset : 0;
}
