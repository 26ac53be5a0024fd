import { crc32 } from "node:zlib";

/*
 * A version-1 snapshot writer for the tests, written from SNAPSHOT.md alone (the package writes version 2
 * only): readers must go on reading the version-1 files already out there.
 */

const leb = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};

/** One version-1 kpageflags stream of the words (distinct values in order of appearance, then the runs). */
function stream(words: readonly bigint[]): Uint8Array {
  const values: bigint[] = [];
  const runs: number[] = [];
  for (let i = 0; i < words.length; ) {
    let j = i;
    while (j < words.length && words[j] === words[i]) j++;
    let idx = values.indexOf(words[i]!);
    if (idx < 0) idx = values.push(words[i]!) - 1;
    runs.push(...leb(idx), ...leb(j - i));
    i = j;
  }
  const out = new Uint8Array(values.length * 8 + runs.length);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    dv.setBigUint64(i * 8, v, true);
  });
  out.set(runs, values.length * 8);
  return out;
}

/** A version-1 snapshot of kpageflags words, with the header members in SNAPSHOT.md's order. */
export function snapshotV1(
  words: readonly bigint[],
  meta: { kernelRelease: string; capturedAt: string; iomem: [number, number][] | null; startPfn?: number },
): Uint8Array {
  const body = stream(words);
  const valueCount = new Set(words).size;
  let runs = 0;
  for (let i = 0; i < words.length; i++) if (i === 0 || words[i] !== words[i - 1]) runs++;
  const header = {
    magic: "MEMDSNAP",
    version: 1,
    kernelRelease: meta.kernelRelease,
    pageSize: 4096,
    sectionPfns: 32768,
    startPfn: meta.startPfn ?? 0,
    pfnCount: words.length,
    iomem: meta.iomem,
    capturedAt: meta.capturedAt,
    files: { kpageflags: true, kpagecount: false, kpagecgroup: false },
    bodyBytes: body.length,
    streams: [
      { file: "kpageflags", offset: 0, bytes: body.length, values: valueCount, runs, crc32: crc32(body) },
    ],
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bodyStart = Math.ceil((16 + json.length) / 8) * 8;
  const out = new Uint8Array(bodyStart + body.length);
  out.set(new TextEncoder().encode("MEMDSNAP"), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(body, bodyStart);
  return out;
}

/** SNAPSHOT.md's worked example: an order-1 slab, two zero pages, three free pages, one page-cache page. */
export function workedExampleV1(): Uint8Array {
  return snapshotV1([0x8080n, 0x10080n, 0n, 0n, 0x400n, 0x400n, 0x400n, 0x402000028n], {
    kernelRelease: "6.18.44",
    capturedAt: "2026-11-25T12:00:00.000Z",
    iomem: [[0, 8]],
  });
}
