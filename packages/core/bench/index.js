// Benchmarks for @memdesc/core: layouts per second for struct folio, and memdesc words encoded and decoded
// per second on the typed-array path next to a naive BigInt codec measured in the same run.

import { fmt, rate } from "@memdesc/testkit/bench";
import { LayoutEngine, linux618, memdesc8, WordCodec } from "../dist/index.js";

async function folioToday() {
  try {
    const { folio } = await import("@memdesc/folio");
    return folio().today;
  } catch (e) {
    console.error(
      `struct folio comes from @memdesc/folio, which is not built: run \`npx turbo run build\` (${e.message})`,
    );
    process.exit(1);
  }
}

const folio = await folioToday();
const layouts = rate(() => {
  // A fresh engine each time, so nothing is memoised between layouts.
  new LayoutEngine({ abi: "lp64", config: linux618 }).layout(folio);
  return 1;
});
console.log(`layout of struct folio (256 B, 4 unions): ${fmt(layouts)} layouts/s`);

// Words: encode a pointer word and decode it again, for a block of pages.
const N = 1 << 16;
const codec = new WordCodec(memdesc8);
const words = new Uint32Array(2 * N);
const typed = rate(() => {
  let check = 0;
  for (let i = 0; i < N; i++) {
    codec.writePointer(words, i, 2 + (i & 1), i * 64);
    check += codec.readTagAt(words, i) + codec.readAddress(words, i);
  }
  if (check < 0) throw new Error("unreachable");
  return N;
});

// The naive implementation: one BigInt per word in a BigUint64Array.
const big = new BigUint64Array(N);
const naive = rate(() => {
  let check = 0n;
  for (let i = 0; i < N; i++) {
    const tag = BigInt(2 + (i & 1));
    const address = BigInt(i * 64);
    if ((address & 15n) !== 0n) throw new Error("misaligned");
    big[i] = address | tag;
    const w = big[i];
    check += (w & 15n) + (w & ~15n);
  }
  if (check < 0n) throw new Error("unreachable");
  return N;
});
console.log(`memdesc-8 words encoded+decoded, typed arrays: ${fmt(typed)} words/s`);
console.log(`memdesc-8 words encoded+decoded, naive BigInt: ${fmt(naive)} words/s`);
console.log(`ratio typed/naive: ${(typed / naive).toFixed(1)}×`);
