import { formatPahole, type PaholeFormatOptions } from "./pahole-format.js";
import type { Layout } from "./types.js";

export interface CompareOptions {
  /** Formatting options for each side (types and configuration its layout was made with). */
  readonly left?: PaholeFormatOptions;
  readonly right?: PaholeFormatOptions;
  /** Between the columns; `" | "` by default. */
  readonly separator?: string;
}

/** Tabs to spaces at 8-column stops, so that a column's width is its length. */
export function expandTabs(line: string): string {
  let out = "";
  for (const ch of line) out += ch === "\t" ? " ".repeat(8 - (out.length % 8)) : ch;
  return out;
}

/**
 * Two layouts side by side, each printed as `pahole -C` prints it (tabs expanded): today's layout on the
 * left and, say, its memdesc-era replacement on the right. Line n of each column is line n of its pahole
 * output; the left column is padded to its widest line.
 */
export function formatCompare(left: Layout, right: Layout, options: CompareOptions = {}): string {
  const a = formatPahole(left, options.left).trimEnd().split("\n").map(expandTabs);
  const b = formatPahole(right, options.right).trimEnd().split("\n").map(expandTabs);
  const width = Math.max(...a.map((l) => l.length));
  const separator = options.separator ?? " | ";
  const rows: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const row = (a[i] ?? "").padEnd(width) + separator + (b[i] ?? "");
    rows.push(row.trimEnd());
  }
  return `${rows.join("\n")}\n`;
}
