import { readFileSync } from "node:fs";
import { fsError, KpageflagsError } from "../errors.js";
import { maxPhysBits } from "./chunk.js";
import { type PfnRange, type RamMap, ramMap } from "./ram.js";

export { type PfnRange, type RamMap, ramMap };

const line = /^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+)\s*:\s*(.*)$/;

/**
 * Parses /proc/iomem into System RAM PFN ranges. Only top-level "System RAM" lines count (children such as
 * "Kernel code" are inside them). A partial page at either end of a range is not RAM the kernel manages,
 * as memblock rounds inwards, so starts round up and ends round down. Returns `null` when every address
 * reads 0, which is what a non-root reader sees: the file then says nothing about holes.
 */
export function parseIomem(text: string, pageSize = 4096, source = "/proc/iomem"): RamMap | null {
  const raw: PfnRange[] = [];
  let sawAddress = false;
  let sawNonZero = false;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === "") continue;
    const m = line.exec(l);
    if (!m)
      throw new KpageflagsError(
        "BAD_IOMEM",
        `${source} line ${i + 1}: expected "start-end : name", got "${l.slice(0, 60)}"`,
        "pass the unmodified contents of /proc/iomem, read as root",
        { path: source },
      );
    sawAddress = true;
    const start = BigInt("0x" + m[2]);
    const last = BigInt("0x" + m[3]);
    if (start !== 0n || last !== 0n) sawNonZero = true;
    if (m[1] !== "" || m[4]!.trim() !== "System RAM") continue;
    if (last < start)
      throw new KpageflagsError(
        "BAD_IOMEM",
        `${source} line ${i + 1}: range ends before it starts`,
        "pass the unmodified contents of /proc/iomem",
        { path: source },
      );
    // No machine has RAM beyond its physical address space: a larger address is a corrupt file, and would
    // become PFN ranges too large to walk.
    if (last >= 1n << BigInt(maxPhysBits))
      throw new KpageflagsError(
        "BAD_IOMEM",
        `${source} line ${i + 1}: System RAM ends at 0x${last.toString(16)}, beyond the ${maxPhysBits}-bit physical address space`,
        "pass the unmodified contents of /proc/iomem",
        { path: source },
      );
    const ps = BigInt(pageSize);
    const first = (start + ps - 1n) / ps;
    const end = (last + 1n) / ps;
    if (end > first) raw.push({ start: Number(first), end: Number(end) });
  }
  if (!sawAddress || !sawNonZero) return null;
  return ramMap(raw);
}

/** Reads and parses an iomem file (default /proc/iomem). */
export function readIomem(path = "/proc/iomem", pageSize = 4096): RamMap | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw fsError(err, path, "read");
  }
  return parseIomem(text, pageSize, path);
}
