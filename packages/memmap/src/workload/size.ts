import { MemdescError } from "@memdesc/core";

const units: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes from `4096`, `"512M"`, `"4G"`, `"4GiB"`, `"1T"` (binary units, as memory sizes are written). */
export function parseSize(size: number | string, what = "size"): number {
  if (typeof size === "number") {
    if (!Number.isSafeInteger(size) || size < 0)
      throw new MemdescError("BAD_SIZE", `${what}: ${size} is not a whole number of bytes`);
    return size;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(size);
  if (!m) throw new MemdescError("BAD_SIZE", `${what}: "${size}" is not a size like 4096, 512M, 4G or 1T`);
  const bytes = Number(m[1]) * units[m[2]!.toUpperCase()]!;
  if (!Number.isSafeInteger(Math.round(bytes)))
    throw new MemdescError("BAD_SIZE", `${what}: "${size}" is too large`);
  return Math.round(bytes);
}

/** A size for people: `1 TiB`, `4 GiB`, `512 MiB`. */
export function formatSize(bytes: number): string {
  for (const [u, n] of [
    ["TiB", 2 ** 40],
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const)
    if (bytes >= n) return `${Number.isInteger(bytes / n) ? bytes / n : (bytes / n).toFixed(1)} ${u}`;
  return `${bytes} bytes`;
}
