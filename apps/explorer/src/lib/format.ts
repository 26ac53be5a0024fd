/** Number formatting shared by the views: the CLI's conventions (en-US grouping, MiB with two decimals). */

const MiB = 1024 * 1024;

/** `1,234,567` */
export const int = (n: number): string => Math.round(n).toLocaleString("en-US");

/** `384.00` (MiB, two decimals), as the CLI's tables print it. */
export const mib = (bytes: number): string =>
  (bytes / MiB).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `0.32%` */
export const percent = (p: number): string => `${p.toFixed(p !== 0 && Math.abs(p) < 0.1 ? 3 : 2)}%`;

/** A byte count with a binary unit: `24.0 GiB`, `590 KiB`, `64 B`. */
export function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? String(v) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${bytes < 0 ? "-" : ""}${text} ${units[u]}`;
}

/** `0x1a2b` */
export const hex = (n: number | bigint, pad = 0): string => `0x${n.toString(16).padStart(pad, "0")}`;

/** A 64-bit word as `0x` and 16 hex digits, grouped in fours for reading: `0xffff_8881_00a3_c242`. */
export function wordHex(word: bigint, bits = 64): string {
  const digits = word.toString(16).padStart(bits / 4, "0");
  return `0x${digits.replace(/(.{4})(?=.)/g, "$1_")}`;
}

/**
 * Parses a whole number typed by a person: decimal, `0x` hex (underscores and spaces allowed, as in
 * `0xffff_8881_0000_0000`), or binary `0b…`. Returns undefined when it is not one.
 */
export function parseNumber(text: string): bigint | undefined {
  const t = text.trim().replace(/[_\s]/g, "");
  if (/^0x[0-9a-f]+$/i.test(t) || /^0b[01]+$/i.test(t) || /^\d+$/.test(t)) return BigInt(t);
  return undefined;
}

/**
 * Parses a word or an address as the kernel prints them: bare hex (`ffff888100a3c242`, as dump_page() and %px
 * print it), or with a prefix: `0x` hex, `0d` decimal, `0b` binary (underscores and spaces allowed). With
 * `decimal`, bare digits are decimal instead. Returns undefined when the text is not one.
 */
export function parseWord(text: string, decimal = false): bigint | undefined {
  const t = text.trim().replace(/[_\s]/g, "");
  if (/^0x[0-9a-f]+$/i.test(t) || /^0b[01]+$/i.test(t)) return BigInt(t);
  if (/^0d\d+$/i.test(t)) return BigInt(t.slice(2));
  if (decimal) return /^\d+$/.test(t) ? BigInt(t) : undefined;
  return /^[0-9a-f]+$/i.test(t) ? BigInt(`0x${t}`) : undefined;
}
