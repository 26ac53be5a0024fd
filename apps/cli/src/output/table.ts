import { thousands, thousandsFixed } from "@memdesc/core/format";
import { visibleLength } from "./color.js";

export interface Column {
  readonly header: string;
  /** Numbers are right-aligned; text is left-aligned (the default). */
  readonly align?: "left" | "right";
}

/** A table row, or `"rule"` for a line of dashes (above a total). */
export type Row = readonly string[] | "rule";

export interface TableOptions {
  /** Spaces before every line. */
  readonly indent?: number;
  /** Spaces between columns (default 2). */
  readonly gap?: number;
  /** Styles the header line (bold on a terminal). */
  readonly header?: (s: string) => string;
}

/**
 * A plain-ASCII table with aligned columns, the way page-types and slabinfo print: a header line, rows, and
 * dashed rules, with no trailing spaces, so it pastes into a mail unchanged.
 */
export function table(columns: readonly Column[], rows: readonly Row[], options: TableOptions = {}): string {
  const gap = " ".repeat(options.gap ?? 2);
  const indent = " ".repeat(options.indent ?? 0);
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r === "rule" ? 0 : visibleLength(r[i] ?? "")))),
  );
  const cell = (text: string, i: number) => {
    const pad = " ".repeat(Math.max(0, widths[i]! - visibleLength(text)));
    return columns[i]!.align === "right" ? pad + text : text + pad;
  };
  const line = (cells: readonly string[]) => (indent + cells.map(cell).join(gap)).trimEnd();
  const total = widths.reduce((s, w) => s + w, 0) + gap.length * (widths.length - 1);
  const head = line(columns.map((c) => c.header));
  const out = [options.header ? options.header(head) : head];
  for (const r of rows) out.push(r === "rule" ? indent + "-".repeat(total) : line(r));
  return out.join("\n") + "\n";
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** `6,291,456` */
export const int = (n: number): string => thousands(n);

/** Bytes as MiB with two decimals: `384.00`. */
export const mib = (bytes: number): string => thousandsFixed(bytes / MiB, 2);

/** A byte count for prose: `24.0 GiB`, `384.00 MiB`, `12.5 KiB`, `512 bytes`. */
export function size(bytes: number): string {
  const a = Math.abs(bytes);
  if (a >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (a >= MiB) return `${(bytes / MiB).toFixed(2)} MiB`;
  if (a >= 1024) return `${Number.isInteger(bytes / 1024) ? bytes / 1024 : (bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} byte${a === 1 ? "" : "s"}`;
}

/** Percent with two decimals: `1.56%`. */
export const percent = (p: number): string => `${p.toFixed(2)}%`;
