import { describe, expect, it } from "vitest";
import { hasScript, runOnTty } from "./helpers.js";

/*
 * The progress bar on real pseudo-terminals (util-linux `script`): a long simulation (24 GiB, 2 to 3 s on a quiet
 * machine, so the bar appears after its first second) with the terminal's width, TERM, CI and colour varied.
 */

if (!hasScript) console.warn("cli: util-linux `script` is not installed; the terminal tests are skipped");

const ESC = "\u001b[";
const label = "simulating desktop";
/** What the bar drew: each redraw is a carriage return, the line, and erase-to-end-of-line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control sequences is the point
const draws = (out: string) => [...out.matchAll(/\r([^\r\n]*?)\u001b\[K/g)].map((m) => m[1]!);
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping colour escapes
const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

describe.skipIf(!hasScript)("the progress bar on a terminal", () => {
  it("draws one line, within the terminal's width, with nothing but CR and erase-line to move the cursor", () => {
    const { status, output } = runOnTty(["simulate", "desktop", "-m", "24G"], { columns: 60 });
    expect(status).toBe(0);
    expect(output).not.toContain("\u0000");
    const lines = draws(output).filter((d) => d !== "");
    expect(lines.length).toBeGreaterThan(0);
    expect(visible(lines[lines.length - 1]!)).toMatch(/^simulating desktop on 24 GiB \[[#-]+\] \d+%$/);
    for (const l of lines) expect(visible(l).length).toBeLessThanOrEqual(59);
    // No escape sequence but colour (m) and erase-line (K): no cursor hiding, no moving up or sideways.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control sequences is the point
    for (const m of output.matchAll(/\u001b\[[0-9;?]*([A-Za-z])/g)) expect(["m", "K"]).toContain(m[1]);
  });

  it("fits a narrow terminal", () => {
    const { output } = runOnTty(["simulate", "desktop", "-m", "24G"], { columns: 24 });
    const lines = draws(output).filter((d) => d !== "");
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(visible(l).length).toBeLessThanOrEqual(23);
  });

  it("draws nothing on a terminal that reports no width (a serial console)", () => {
    const { status, output } = runOnTty(["simulate", "desktop", "-m", "24G"], { columns: 0 });
    expect(status).toBe(0);
    expect(output).not.toContain(label);
    expect(output).not.toContain("\u0000");
    // Nothing but the report's colours: no cursor hiding or moving, no carriage return but the terminal's own
    // before each newline.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control sequences is the point
    for (const m of output.matchAll(/\u001b\[[0-9;?]*([A-Za-z])/g)) expect(m[1]).toBe("m");
    expect(output).not.toMatch(/\r(?!\n)/);
  });

  it("draws nothing and moves no cursor with TERM=dumb", () => {
    const { status, output } = runOnTty(["simulate", "desktop", "-m", "24G"], {
      columns: 80,
      env: { TERM: "dumb" },
    });
    expect(status).toBe(0);
    expect(output).not.toContain(label);
    expect(output).not.toContain(ESC);
    expect(output).not.toContain("\u0000");
  });

  it("draws nothing under CI, whatever the terminal", () => {
    const { status, output } = runOnTty(["simulate", "desktop", "-m", "24G"], {
      columns: 80,
      env: { CI: "true" },
    });
    expect(status).toBe(0);
    expect(output).not.toContain(label);
    expect(draws(output)).toEqual([]);
  });

  it("honours --no-color and NO_COLOR: a bar without colour", () => {
    for (const run of [
      runOnTty(["simulate", "desktop", "-m", "24G", "--no-color"], { columns: 80 }),
      runOnTty(["simulate", "desktop", "-m", "24G"], { columns: 80, env: { NO_COLOR: "1" } }),
    ]) {
      expect(run.status).toBe(0);
      expect(draws(run.output).some((d) => d.startsWith(label))).toBe(true);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching colour escapes is the point
      expect(run.output).not.toMatch(/\u001b\[[0-9;]*m/);
    }
    // And with colour allowed, the bar is coloured.
    const coloured = runOnTty(["simulate", "desktop", "-m", "24G"], { columns: 80 });
    expect(draws(coloured.output).some((d) => d.includes(`${ESC}35m`))).toBe(true);
  });
});
