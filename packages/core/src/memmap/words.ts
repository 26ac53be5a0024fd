import type { AnyDescriptor } from "../plugin/define.js";
import type { Registry } from "../registry/registry.js";
import { MemmapError } from "./errors.js";
import { TWO32 } from "./u64.js";

/*
 * The memdesc words: one entry of `stride` u32s per PFN in a Uint32Array, the 64-bit word in its first two (low
 * half first). A descriptor's word is its address OR its tag; a free page's is the buddy allocator's.
 */

/** Where the buddy word's fields sit: bits of the low half (the free-list slot is the whole high half). */
export interface BuddyWordBits {
  readonly order: number;
  readonly tail: number;
  readonly pcp: number;
}

/** The buddy kind's inline fields, checked to fit how the buddy allocator and per-CPU lists write them. */
export function buddyWordBits(registry: Registry<readonly AnyDescriptor[]>): BuddyWordBits {
  const payload = registry.plugin("buddy").payload ?? [];
  const field = (name: string) => payload.find((f) => f.name === name);
  const order = field("order");
  const tail = field("tail");
  const pcp = field("pcp");
  const slot = field("slot");
  if (
    !order ||
    order.bit + order.width > 32 ||
    order.width < 4 ||
    !tail ||
    tail.bit >= 32 ||
    !pcp ||
    pcp.bit >= 32 ||
    !slot ||
    slot.bit !== 32 ||
    slot.width !== 32
  )
    throw new MemmapError(
      "BUDDY_PAYLOAD",
      "the buddy word needs inline fields order (low half, 4 bits), tail and pcp (low half) and slot (bits 32-63)",
    );
  return { order: order.bit, tail: tail.bit, pcp: pcp.bit };
}

/** The words of `pages` pages, each a free tail (`tailLo`); the buddy allocator then heads the free blocks. */
export function tailWords(pages: number, stride: number, tailLo: number): Uint32Array {
  const words = new Uint32Array(pages * stride);
  if (stride === 2) {
    // Both halves at once: a fill of 8-byte entries.
    const pattern = new Float64Array(new Uint32Array([tailLo, 0]).buffer)[0]!;
    new Float64Array(words.buffer).fill(pattern);
  } else for (let p = 0; p < pages; p++) words[p * stride] = tailLo;
  return words;
}

/** Writes one word into pages [pfn, pfn + n). */
export function fillWords(
  words: Uint32Array,
  stride: number,
  pfn: number,
  n: number,
  lo: number,
  hi: number,
): void {
  for (let x = pfn * stride, end = (pfn + n) * stride; x < end; x += stride) {
    words[x] = lo;
    words[x + 1] = hi;
  }
}

/** Points pages [pfn, pfn + n) at a descriptor: its address OR its tag. */
export function writePointerWords(
  words: Uint32Array,
  stride: number,
  pfn: number,
  n: number,
  tag: number,
  address: number,
): void {
  fillWords(words, stride, pfn, n, ((address >>> 0) | tag) >>> 0, Math.floor(address / TWO32));
}

/** The descriptor address in a pointer word: the word without its tag bits (`tagMask`). */
export function wordAddress(lo: number, hi: number, tagMask: number): number {
  return ((lo & ~tagMask) >>> 0) + hi * TWO32;
}
