import * as core from "@memdesc/core";
import { type Layout, layoutOf, linux618Measured } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { slabToday } from "../src/today.js";
import { readReference } from "./layout-helpers.js";

// core's pahole printer arrived after this package's first version; check it where it exists.
const formatPahole = (core as unknown as Record<string, unknown>).formatPahole as
  | ((layout: Layout, options?: { config?: core.KernelConfig }) => string)
  | undefined;
if (!formatPahole)
  console.warn("skipping the byte-for-byte pahole print: this @memdesc/core has no formatPahole");

describe("struct slab printed like pahole", () => {
  it.skipIf(!formatPahole)("is byte for byte the measured kernel's pahole -C slab", () => {
    const layout = layoutOf(slabToday, { config: linux618Measured });
    expect(formatPahole!(layout, { config: linux618Measured })).toBe(readReference("pahole/pahole_slab.txt"));
  });
});
