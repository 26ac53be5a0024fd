import * as core from "@memdesc/core";
import {
  type EnumType,
  type Field,
  findField,
  type Layout,
  type PaholeStruct,
  parsePahole,
} from "@memdesc/core";
import { expect } from "vitest";
import { readReference } from "./reference.js";

/** The one struct in a shipped `pahole -C NAME` output. */
export function paholeStruct(file: string): PaholeStruct {
  const parsed = parsePahole(readReference(`pahole/${file}`));
  expect(parsed, file).toHaveLength(1);
  return parsed[0]!;
}

const row = (f: Pick<Field, "offset" | "size" | "typeName" | "bitOffset" | "bitSize">) => ({
  offset: f.offset,
  size: f.size,
  typeName: f.typeName,
  ...(f.bitSize !== undefined ? { bitOffset: f.bitOffset, bitSize: f.bitSize } : {}),
});

/**
 * Every member pahole prints (named members at every depth, anonymous ones adding no step) must be in the
 * layout at the same offset, with the same size, type name and bit position; and the size and top-level
 * member count must agree. Returns the paths compared, so a test can also check none were skipped.
 */
export function expectMatchesPahole(layout: Layout, ref: PaholeStruct): string[] {
  expect(layout.size, "size").toBe(ref.size);
  expect(layout.members.length, "top-level members").toBe(ref.members);
  for (const f of ref.fields) {
    const ours = findField(layout, f.path);
    expect(ours, `field ${f.path}`).toBeDefined();
    expect({ path: f.path, ...row(ours!) }).toEqual({ path: f.path, ...row(f as Field) });
  }
  return ref.fields.map((f) => f.path);
}

type Format = (layout: Layout) => string;
/** core's `formatPahole`, once core exports it (it is being written): prints a layout as `pahole -C` does. */
export const formatPahole = (core as unknown as { formatPahole?: Format }).formatPahole;
/** Why the byte-for-byte comparisons are skipped, printed when they are. */
export const noFormatPahole = formatPahole
  ? undefined
  : "@memdesc/core does not export formatPahole yet: byte-for-byte pahole comparisons are skipped";
if (noFormatPahole) console.warn(noFormatPahole);

type FormatEnum = (type: EnumType) => string;
/** core's `formatPaholeEnum`, once core exports it. */
export const formatPaholeEnum = (core as unknown as { formatPaholeEnum?: FormatEnum }).formatPaholeEnum;

/** The layout printed by core's formatPahole is the shipped `pahole -C` output, byte for byte. */
export function expectPrintsAsPahole(layout: Layout, file: string): void {
  expect(formatPahole!(layout)).toBe(readReference(`pahole/${file}`));
}
