import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { progressLine, progressTerminal } from "./progress.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping colour escapes
const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");
const tty = (columns: number | undefined) => ({ isTTY: true, columns, write() {} });

describe("progressTerminal", () => {
  it("is false without a TTY, without a width, with TERM dumb or unset, and in CI", () => {
    const env = { TERM: "xterm" };
    expect(progressTerminal(tty(80), env)).not.toBe(false);
    expect(progressTerminal({ ...tty(80), isTTY: false }, env)).toBe(false);
    expect(progressTerminal(tty(undefined), env)).toBe(false);
    expect(progressTerminal(tty(0), env)).toBe(false);
    expect(progressTerminal(tty(80), { TERM: "dumb" })).toBe(false);
    expect(progressTerminal(tty(80), {})).toBe(false);
    expect(progressTerminal(tty(80), { ...env, CI: "1" })).toBe(false);
  });

  it("colours only where colour is allowed", () => {
    expect(progressTerminal(tty(80), { TERM: "xterm" })).toMatchObject({ color: true });
    expect(progressTerminal(tty(80), { TERM: "xterm" }, false)).toMatchObject({ color: false });
    expect(progressTerminal(tty(80), { TERM: "xterm", NO_COLOR: "1" })).toMatchObject({ color: false });
  });
});

describe("progressLine", () => {
  it("is never wider than the terminal less one column, and holds only printable ASCII and colour", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.nat(1e9),
        fc.option(fc.nat(1e9), { nil: undefined }),
        fc.integer({ min: 20, max: 300 }),
        fc.boolean(),
        (label, done, total, columns, color) => {
          const line = progressLine(label, done, total, columns, color);
          const text = visible(line);
          expect(text.length).toBeLessThanOrEqual(columns - 1);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the property is about control characters
          expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
          if (!color) expect(line).toBe(text);
        },
      ),
      { seed: 17, numRuns: 2000 },
    );
  });

  it("shows the label, a bar and the percentage", () => {
    expect(progressLine("surveying /proc/kpageflags", 1, 4, 80, false)).toBe(
      "surveying /proc/kpageflags [########----------------------] 25%",
    );
    expect(progressLine("surveying", 5, undefined, 80, false)).toBe("surveying");
    expect(progressLine("a\u001b[2Jb\u0000c", 0, 1, 80, false)).toMatch(/^a\?\[2Jb\?c \[/);
  });
});
