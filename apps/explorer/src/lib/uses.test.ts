import { describe, expect, it } from "vitest";
import { contrast, deltaE, visions } from "../../test/colour.js";
import { firstPartyRegistry } from "./registry.js";
import { pageMapBackground, useColors, useTextures } from "./uses.js";

/*
 * The page map's palette, checked with the standard formulas rather than by eye (test/colour.ts): WCAG 2.2's
 * contrast ratio, and CIE ΔE*ab as seen with normal vision and with simulated protanopia, deuteranopia and
 * tritanopia.
 */

describe("the page map's colours", () => {
  it("give every memory use (core's and the first-party set's) a colour at least 3:1 against the canvas", () => {
    expect(Object.keys(useColors).sort()).toEqual([...firstPartyRegistry().uses].sort());
    for (const [use, c] of Object.entries(useColors))
      expect(contrast(c, pageMapBackground), use).toBeGreaterThanOrEqual(3);
  });

  it("keep every two uses apart, for normal vision and the three colour-vision deficiencies", () => {
    const solid = Object.entries(useColors).filter(([u]) => !(u in useTextures));
    for (const vision of visions)
      for (const [i, [u, a]] of solid.entries())
        for (const [v, b] of solid.slice(i + 1))
          expect(deltaE(a, b, vision), `${u} and ${v} (${vision ?? "normal vision"})`).toBeGreaterThanOrEqual(
            15,
          );
  });

  it("draw holes as a checkerboard that differs from the canvas", () => {
    for (const [use, alt] of Object.entries(useTextures)) {
      expect(alt, use).not.toBe(useColors[use as keyof typeof useColors]);
      for (const vision of visions)
        expect(deltaE(alt, pageMapBackground, vision), use).toBeGreaterThanOrEqual(8);
    }
  });

  it("computes contrast and differences as the standards define them", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(deltaE("#ff0000", "#ff0000")).toBe(0);
    // Red and green, far apart for normal vision, nearly one colour for a deuteranope.
    expect(deltaE("#ff0000", "#00ff00")).toBeGreaterThan(100);
    expect(deltaE("#d0a000", "#a8b800", "deuteranopia")).toBeLessThan(deltaE("#d0a000", "#a8b800"));
  });
});
