/*
 * Growable typed arrays: the memmap's side tables (free-list stacks, per-slab and per-object state) double when
 * full, so their size follows what the workload uses rather than the machine's size.
 */

type Typed = Uint32Array | Int32Array | Uint8Array | Float64Array | Uint16Array;

/** A copy of `a` with room for at least `need` elements (doubling), or `a` itself when it already has room. */
export function grown<T extends Typed>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = Math.max(16, a.length);
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a as never);
  return b;
}
