import { readFileSync } from "node:fs";
import {
  Classifier,
  type DecodedStream,
  decodeSnapshot,
  expandChunksSync,
  kpf,
  type RamMap,
  ramMap,
  survey,
  surveyUses,
} from "@memdesc/kpageflags/browser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../vite.config.js";
import { pagesPerUse, pageUseRuns, runAt } from "./usemap.js";

const L = kpf.lo;
const H = kpf.hi;
/** Words of every use, as [lo, hi]: zero, free, file, anon, slab head/tail, page table, reserved, … */
const words: [number, number][] = [
  [0, 0],
  [L.buddy, 0],
  [L.uptodate | L.lru, 0],
  [L.anon | L.mmap, 0],
  [L.slab | L.compoundHead, 0],
  [L.slab | L.compoundTail, 0],
  [L.pgtable, 0],
  [0, H.reserved],
  [L.zeroPage, H.reserved],
  [L.compoundHead, 0],
  [L.compoundTail, 0],
  [L.huge | L.compoundHead, 0],
  [L.nopage, 0],
  [L.locked, 0],
  [L.ksm | L.anon, 0],
  [L.offline, 0],
  [L.hwpoison, 0],
];

function stream(runs: readonly [word: number, length: number][]): DecodedStream {
  const values = new Uint32Array(words.length * 2);
  words.forEach(([lo, hi], i) => {
    values[2 * i] = lo >>> 0;
    values[2 * i + 1] = hi >>> 0;
  });
  return {
    file: "kpageflags",
    values,
    runValue: Uint32Array.from(runs, (r) => r[0]),
    runLength: Float64Array.from(runs, (r) => r[1]),
  };
}

/** Pages per use as kpageflags' own Classifier counts them, for the same stream. */
function classifierPages(
  s: DecodedStream,
  startPfn: number,
  pfnCount: number,
  ram: RamMap | null,
  section: number,
) {
  const c = new Classifier({ ram, sectionPfns: section, startPfn });
  for (const chunk of expandChunksSync(startPfn, pfnCount, 4096, s)) c.push(chunk);
  const uses = c.finish().uses;
  return surveyUses.map((u) => uses[u].pages);
}

describe("use runs of a page map", () => {
  it("count the pages of every use exactly as the survey of the shipped sample does", async () => {
    const snap = await decodeSnapshot(new Uint8Array(readFileSync(sampleSnapshot)), "sample.mdsnap");
    const flags = snap.streams.find((s) => s.file === "kpageflags")!;
    const runs = pageUseRuns(flags, {
      startPfn: snap.header.startPfn,
      pfnCount: snap.header.pfnCount,
      ram: snap.source.info.ram,
      sectionPfns: snap.header.sectionPfns,
    });
    const s = await survey(snap.source);
    expect(runs.pfnCount).toBe(6_553_600);
    expect(runs.end[runs.end.length - 1]).toBe(6_553_600);
    expect(pagesPerUse(runs)).toEqual(surveyUses.map((u) => s.uses[u].pages));
    // Far fewer runs than PFNs: what makes drawing 6.5 million PFNs cheap.
    expect(runs.end.length).toBeLessThan(runs.pfnCount / 20);
  });

  it("agree with the classifier on random page maps, RAM maps and section sizes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: words.length - 1 }), fc.integer({ min: 1, max: 300 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 5000 }),
        fc.constantFrom(8, 16, 64, 512),
        fc.option(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 1, max: 2000 })), {
            maxLength: 4,
          }),
        ),
        (runs, startPfn, section, ranges) => {
          const s = stream(runs);
          const pfnCount = runs.reduce((a, r) => a + r[1], 0);
          const ram = ranges ? ramMap(ranges.map(([a, n]) => ({ start: a, end: a + n }))) : null;
          const got = pagesPerUse(pageUseRuns(s, { startPfn, pfnCount, ram, sectionPfns: section }));
          expect(got).toEqual(classifierPages(s, startPfn, pfnCount, ram, section));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds the run of a PFN offset", () => {
    const end = [3, 10, 11, 20];
    expect([0, 2, 3, 9, 10, 11, 19].map((o) => runAt(end, o))).toEqual([0, 0, 1, 1, 2, 3, 3]);
  });
});
