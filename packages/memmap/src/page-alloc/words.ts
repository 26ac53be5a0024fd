import type { AnyDescriptor, Registry } from "@memdesc/core";
import { MemmapError } from "../errors.js";
import { TWO32 } from "../util/u64.js";
import type { BuddyWordFormat } from "./buddy.js";

/*
 * The memdesc words: one entry of `stride` u32s per PFN in a Uint32Array, the 64-bit word in its first two (low
 * half first). A descriptor's word is its address OR its tag; a free page's is the buddy allocator's.
 */

/**
 * How the registry's design writes free pages (`BuddyWordFormat`): the slot encoding when the buddy kind's inline
 * fields are order, tail and pcp in the low half and slot in the high half (memdesc-8's proposal); the linked
 * encoding when they are BuddyAllocator Option 1's `next` (word 0), `order` and `prev` (word 1). The tail bit
 * and `pcp` bit of the slot encoding become the tail and per-CPU markers the allocator writes.
 */
export function buddyFormat(registry: Registry<readonly AnyDescriptor[]>): BuddyWordFormat {
  const payload = registry.payloadOf("buddy");
  const field = (name: string) => payload.find((f) => f.name === name);
  const tag = registry.tagOf("buddy")!;
  const next = field("next");
  const prev = field("prev");
  const order = field("order");
  if (next && prev && order) {
    if (
      (next.word ?? 0) !== 0 ||
      next.bit !== 4 ||
      prev.word !== 1 ||
      prev.bit !== 4 ||
      order.word !== 1 ||
      order.bit !== 0 ||
      order.width !== 4
    )
      throw new MemmapError(
        "BUDDY_PAYLOAD",
        "a linked buddy entry (Option 1) needs next at bit 4 of word 0, and order at bits 0-3 and prev at bit 4 of word 1",
      );
    return { encoding: "linked", tag, orderShift: 0, pcpShift: 0, tailLo: tag };
  }
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
      "the buddy word needs inline fields order (low half, 4 bits), tail and pcp (low half) and slot (bits 32-63), or Option 1's next, order and prev",
    );
  return {
    encoding: "slot",
    tag,
    orderShift: order.bit,
    pcpShift: pcp.bit,
    tailLo: (tag | (1 << tail.bit)) >>> 0,
  };
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
