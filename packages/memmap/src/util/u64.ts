/*
 * 64-bit values (addresses, PFNs, the memdesc word) as pairs of u32s, little-endian, exact below 2^53: numbers
 * rather than bigints, so the paths that move them allocate nothing.
 */

/** 2^32: what the high u32 of a pair counts in. */
export const TWO32 = 4294967296;

/** Stores `v` (an integer from 0 to 2^53) at byte `byte` (4-aligned) of `u`. */
export function put64(u: Uint32Array, byte: number, v: number): void {
  u[byte >>> 2] = v >>> 0;
  u[(byte >>> 2) + 1] = Math.floor(v / TWO32);
}

/** The value at byte `byte` (4-aligned) of `u`. */
export function get64(u: Uint32Array, byte: number): number {
  return u[byte >>> 2]! + u[(byte >>> 2) + 1]! * TWO32;
}
