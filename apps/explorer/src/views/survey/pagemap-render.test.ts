import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { UseRuns } from "../../workers/usemap.js";
import { cellRange, composition, geometry, renderPageMap, representative } from "./pagemap-render.js";

const runsOf = (pairs: readonly [use: number, length: number][], startPfn = 0): UseRuns => {
  let at = 0;
  const end: number[] = [];
  for (const [, n] of pairs) {
    at += n;
    end.push(at);
  }
  return { startPfn, pfnCount: at, end: Uint32Array.from(end), use: Uint8Array.from(pairs.map((p) => p[0])) };
};
const palette = Uint32Array.from({ length: 16 }, (_, i) => 0xff000000 + i);
const BG = 0xff00ff00;
/** Use 14 (holes) drawn as a checkerboard of its colour and this one. */
const alternate = palette.map((c, i) => (i === 14 ? 0xff0000ff : c));

describe("the page map's drawing", () => {
  it("fits every PFN at level 0, halves the PFNs per cell each level, then grows the cells", () => {
    const g0 = geometry(6_553_600, 1024, 400, { level: 0, firstRow: 0 });
    expect(g0).toMatchObject({ cellPfns: 16, cellPx: 1, cols: 1024, visibleRows: 400, totalRows: 400 });
    expect(geometry(6_553_600, 1024, 400, { level: 4, firstRow: 0 })).toMatchObject({
      cellPfns: 1,
      cellPx: 1,
    });
    expect(geometry(6_553_600, 1024, 400, { level: 6, firstRow: 0 })).toMatchObject({
      cellPfns: 1,
      cellPx: 4,
      cols: 256,
      visibleRows: 100,
    });
    expect(geometry(6_553_600, 1024, 400, { level: 99, firstRow: 0 }).cellPx).toBe(32);
    // Scrolling stops at the end of the map.
    expect(geometry(6_553_600, 1024, 400, { level: 1, firstRow: 10_000 }).firstRow).toBe(400);
  });

  it("colours each cell with the most common use of its PFNs, as counting every PFN would, holes checkered", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 1, max: 50 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 5 }),
        (pairs, width, height, level, firstRow) => {
          const runs = runsOf(pairs);
          const perPfn = pairs.flatMap(([u, n]) => Array<number>(n).fill(u));
          const g = geometry(runs.pfnCount, width, height, { level, firstRow });
          const pixels = new Uint32Array(width * height);
          renderPageMap(runs, g, width, height, pixels, palette, BG, alternate);
          for (let y = 0; y < height; y++)
            for (let x = 0; x < width; x++) {
              const cell = cellRange(g, runs.pfnCount, x, y);
              const got = pixels[y * width + x];
              if (!cell) {
                expect(got).toBe(BG);
                continue;
              }
              const counts = new Array<number>(16).fill(0);
              for (let p = cell[0]; p < cell[1]; p++) counts[perPfn[p]!]!++;
              const best = counts.indexOf(Math.max(...counts));
              const want = best === 14 && (x + y) & 1 ? alternate[best] : palette[best];
              expect(got, `pixel ${x},${y}, PFNs ${cell[0]}–${cell[1]}`).toBe(want);
            }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tells what a range of PFNs holds, most first", () => {
    const runs = runsOf([
      [1, 10],
      [2, 4],
      [1, 2],
      [3, 1],
    ]);
    expect(composition(runs, 8, 17)).toEqual([
      [1, 4],
      [2, 4],
      [3, 1],
    ]);
    expect(composition(runs, 10, 11)).toEqual([[2, 1]]);
    // A picked cell stands for the first PFN of its most common use.
    expect(representative(runs, 8, 17)).toBe(8);
    expect(representative(runs, 9, 16)).toBe(10);
    expect(representative(runs, 15, 17)).toBe(15);
    expect(representative(runs, 16, 17)).toBe(16);
  });
});
