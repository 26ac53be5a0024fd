import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KpageflagsError } from "../errors.js";
import { parseIomem, ramMap } from "./iomem.js";

const measured = readFileSync(new URL("../../fixtures/iomem.txt", import.meta.url), "utf8");

describe("/proc/iomem", () => {
  it("finds the System RAM of the measured machine, page-aligned inwards", () => {
    const ram = parseIomem(measured)!;
    expect(ram.ranges).toEqual([
      { start: 0x1, end: 0x9f },
      { start: 0x100, end: 0xc0000 },
      { start: 0x100000, end: 0x640000 },
    ]);
    expect(ram.pages).toBe(0x9e + 0xbff00 + 0x540000);
  });

  it("ignores nested System RAM-like names and merges touching ranges", () => {
    const ram = parseIomem(
      "00000000-00000fff : System RAM\n  00000000-000000ff : System RAM\n00001000-00001fff : System RAM\n",
    )!;
    expect(ram.ranges).toEqual([{ start: 0, end: 2 }]);
    expect(
      ramMap([
        { start: 5, end: 9 },
        { start: 0, end: 6 },
      ]).ranges,
    ).toEqual([{ start: 0, end: 9 }]);
  });

  it("says nothing (null) when a non-root reader sees zeroed addresses", () => {
    expect(parseIomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n")).toBeNull();
  });

  it("names the line it cannot parse", () => {
    expect(() => parseIomem("00000000-00000fff : Reserved\ngarbage here\n", 4096, "iomem.txt")).toThrow(
      expect.objectContaining({ code: "BAD_IOMEM", message: expect.stringContaining("iomem.txt line 2") }),
    );
    expect(() => parseIomem("x")).toThrow(KpageflagsError);
  });
});
