import { fieldsByPath } from "@memdesc/core";
import { MemmapError } from "../errors.js";
import type { DescriptorLocator } from "../slub/locate.js";
import type { SlabCache } from "../slub/slab-cache.js";
import { cacheOf } from "./kinds.js";
import type { MemmapState } from "./state.js";

/*
 * Descriptor fields by C path, as real bytes at their layout's offsets: checked and converted, for tests, tools
 * and plugins' setup (their hot code uses the typed accessors by byte offset, `Memmap.readI32()` …).
 */

/** A field that can be read and written by path: 1, 2, 4 or 8 bytes, or a bitfield inside such a unit. */
interface FieldInfo {
  readonly offset: number;
  readonly size: number;
  readonly bitOffset: number;
  readonly bitSize: number;
  readonly signed: boolean;
}

const signedType =
  /^(signed |)(char|short|int|long|long long|s8|s16|s32|s64|atomic_t|atomic_long_t|atomic64_t)$/;

/** Fields looked up by path, per cache (caches belong to one memmap, so they can key a module-wide map). */
const fieldInfos = new WeakMap<SlabCache, Map<string, FieldInfo>>();

const noField = (cache: SlabCache, path: string): MemmapError =>
  new MemmapError(
    "UNKNOWN_FIELD",
    `struct ${cache.layout?.name ?? cache.name} (${cache.name}) has no field ${path}`,
  );

function fieldInfo(cache: SlabCache, path: string): FieldInfo {
  let byPath = fieldInfos.get(cache);
  if (!byPath) {
    byPath = new Map();
    fieldInfos.set(cache, byPath);
  }
  let f = byPath.get(path);
  if (!f) {
    const field = cache.layout ? fieldsByPath(cache.layout).get(path) : undefined;
    if (!field) throw noField(cache, path);
    if (![1, 2, 4, 8].includes(field.size))
      throw new MemmapError(
        "UNKNOWN_FIELD",
        `${cache.name}.${path} is ${field.size} bytes; fields of 1, 2, 4 or 8 bytes can be read and written`,
      );
    f = {
      offset: field.offset,
      size: field.size,
      bitOffset: field.bitOffset ?? 0,
      bitSize: field.bitSize ?? 0,
      signed: signedType.test(field.typeName),
    };
    byPath.set(path, f);
  }
  return f;
}

/** The byte offset of a field of a kind's descriptor (the variant for `order`), or -1 when it has none. */
export function findFieldOffset(m: MemmapState, kind: string, path: string, order: number): number {
  const cache = cacheOf(m.kindTable.get(kind), order, m.maxOrder);
  return (cache.layout ? fieldsByPath(cache.layout).get(path)?.offset : undefined) ?? -1;
}

/** The byte offset of a field of a kind's descriptor (the variant for `order`), for the typed accessors. */
export function fieldOffset(m: MemmapState, kind: string, path: string, order: number): number {
  const offset = findFieldOffset(m, kind, path, order);
  if (offset < 0) throw noField(cacheOf(m.kindTable.get(kind), order, m.maxOrder), path);
  return offset;
}

/** Reads a field by its C path: a number for fields up to 4 bytes, a bigint for 8-byte ones. */
export function readField(l: DescriptorLocator, desc: number, path: string): number | bigint {
  l.access(desc, false);
  const f = fieldInfo(l.cache, path);
  const b = l.byte + f.offset;
  if (f.size === 8) {
    const v = (BigInt(l.u32[(b >>> 2) + 1]!) << 32n) | BigInt(l.u32[b >>> 2]!);
    return f.signed ? BigInt.asIntN(64, v) : v;
  }
  let v = readUnit(l, b, f.size);
  if (f.bitSize > 0) v = Math.floor(v / 2 ** f.bitOffset) % 2 ** f.bitSize;
  else if (f.signed && v >= 2 ** (8 * f.size - 1)) v -= 2 ** (8 * f.size);
  return v;
}

/** Writes a field by its C path; the value must fit the field (negative values for signed ones). */
export function writeField(l: DescriptorLocator, desc: number, path: string, value: number | bigint): void {
  l.access(desc, true);
  const f = fieldInfo(l.cache, path);
  const b = l.byte + f.offset;
  if (f.size === 8) {
    const v = BigInt.asUintN(64, BigInt(value));
    if (BigInt(value) >= 2n ** 64n || BigInt(value) < -(2n ** 63n))
      throw new MemmapError("FIELD_VALUE", `${l.cache.name}.${path} = ${value} does not fit in 64 bits`);
    l.u32[b >>> 2] = Number(v & 0xffffffffn);
    l.u32[(b >>> 2) + 1] = Number(v >> 32n);
    return;
  }
  const n = Number(value);
  const bits = f.bitSize > 0 ? f.bitSize : 8 * f.size;
  const min = f.signed && f.bitSize === 0 ? -(2 ** (bits - 1)) : 0;
  if (!Number.isInteger(n) || n < min || n >= 2 ** bits)
    throw new MemmapError(
      "FIELD_VALUE",
      `${l.cache.name}.${path} = ${value} does not fit in ${bits} ${f.signed ? "signed " : ""}bits`,
    );
  if (f.bitSize > 0) {
    const unit = readUnit(l, b, f.size);
    const shift = 2 ** f.bitOffset;
    const old = Math.floor(unit / shift) % 2 ** f.bitSize;
    writeUnit(l, b, f.size, unit + (n - old) * shift);
  } else writeUnit(l, b, f.size, n < 0 ? n + 2 ** bits : n);
}

/** The unsigned 1-, 2- or 4-byte unit at byte `b` of the located object's chunk. */
function readUnit(l: DescriptorLocator, b: number, size: number): number {
  if (size === 4) return l.u32[b >>> 2]!;
  if (size === 2) return l.u8[b]! | (l.u8[b + 1]! << 8);
  return l.u8[b]!;
}

function writeUnit(l: DescriptorLocator, b: number, size: number, v: number): void {
  if (size === 4) l.u32[b >>> 2] = v >>> 0;
  else if (size === 2) {
    l.u8[b] = v & 0xff;
    l.u8[b + 1] = (v >>> 8) & 0xff;
  } else l.u8[b] = v;
}

/**
 * Checks `desc` may be written and points `m.view32`/`m.view8` at its chunk; returns the byte offset of its first
 * byte there, for kinds' hot paths.
 */
export function viewOf(m: MemmapState, desc: number): number {
  const l = m.locator;
  l.access(desc, true);
  m.view32 = l.u32;
  m.view8 = l.u8;
  return l.byte;
}

/** A copy of a descriptor's bytes. */
export function descriptorBytes(l: DescriptorLocator, desc: number): Uint8Array {
  l.access(desc, false);
  return l.u8.slice(l.byte, l.byte + l.cache.objectSize);
}
