import { type Bill, type DesignBill, type MemoryUse, provenanceLabel, unbackedUses } from "@memdesc/core";
import type { Colors } from "./color.js";
import { type Column, int, mib, percent, type Row, size, table } from "./table.js";

/**
 * A bill as a kernel developer would paste it into a mail: one row per memory use with its pages, descriptors
 * and MiB under each design, what a design needs outside the memmap, the saving of the chosen design, the
 * totals, and under them each design's arithmetic (core's per-use `pages × entry + descriptors × size` strings).
 * A survey's bill also says how each use was counted: PFN by PFN from the page map, or attributed from a kernel
 * counter.
 */
export function formatBill(
  bill: Bill,
  focus: string,
  c: Colors,
  counted?: Readonly<Record<string, string>>,
): string {
  const designs = bill.designs;
  const today = designs.find((d) => d.design === "today");
  const target = designs.find((d) => d.design === focus) ?? designs[designs.length - 1]!;
  const columns: Column[] = [
    { header: "use" },
    { header: "kind" },
    ...(counted ? [{ header: "counted from" }] : []),
    { header: "pages", align: "right" },
    { header: "descriptors", align: "right" },
    ...designs.map((d) => ({ header: `${d.design} MiB`, align: "right" as const })),
    ...(today ? [{ header: "saving MiB", align: "right" as const }] : []),
  ];
  const first = designs[0]!;
  const rows: Row[] = first.uses.map((u, i) => {
    // Holes have no struct page in any design: a dash says "not billed" rather than "0.00".
    const unbacked = unbackedUses.has(u.use as MemoryUse);
    const cost = (d: DesignBill) => (unbacked ? "-" : mib(d.uses[i]!.total));
    const saving = today ? [unbacked ? "-" : mib(today.uses[i]!.total - target.uses[i]!.total)] : [];
    const from = counted ? [counted[u.use] ?? "page map"] : [];
    return [u.use, u.kind ?? "-", ...from, int(u.pages), int(u.descriptors), ...designs.map(cost), ...saving];
  });
  const descriptors = first.uses.reduce((s, u) => s + u.descriptors, 0);
  if (designs.some((d) => d.outsideBytes > 0))
    rows.push([
      "outside",
      "-",
      ...(counted ? [""] : []),
      "",
      "",
      ...designs.map((d) => (d.outsideBytes > 0 ? mib(d.outsideBytes) : "-")),
      ...(today ? [mib(today.outsideBytes - target.outsideBytes)] : []),
    ]);
  rows.push("rule", [
    "total",
    "",
    ...(counted ? [""] : []),
    int(bill.ramPages),
    int(descriptors),
    ...designs.map((d) => mib(d.total)),
    ...(today ? [mib(target.savingVsToday)] : []),
  ]);
  let out = table(columns, rows, { header: c.bold });
  out += `\nsaving = today − ${target.design}. The pages total counts RAM only: holes have no struct page.\n`;
  if (designs.some((d) => d.outsideBytes > 0))
    out += "outside = memory a design needs beside the memmap (see its arithmetic).\n";
  if (bill.hvo)
    out +=
      "today is billed with the HugeTLB vmemmap optimisation: each hugetlb folio keeps one page of struct pages.\n";
  const w = Math.max(...designs.map((d) => d.design.length));
  for (const d of designs) out += `  ${d.design.padEnd(w)}  ${d.title}, ${d.entryBytes} bytes per page\n`;
  for (const d of designs) out += `\n${formatArithmetic(d, c)}`;
  return out;
}

/** One design's total and how it is reached. */
export function formatArithmetic(d: DesignBill, c: Colors): string {
  const saving =
    d.design === "today"
      ? ""
      : d.savingVsToday >= 0
        ? `, saves ${int(d.savingVsToday)} bytes (${size(d.savingVsToday)}) against today`
        : `, costs ${int(-d.savingVsToday)} bytes (${size(-d.savingVsToday)}) more than today`;
  const head = `${d.design}: ${int(d.total)} bytes = ${mib(d.total)} MiB, ${percent(d.percentOfRam)} of RAM${saving}`;
  const lines = [c.bold(head)];
  // A use whose bill is more than its page entries (descriptors, or HVO's struct pages) shows its own arithmetic.
  const withDescriptors = d.uses.filter(
    (u) =>
      u.terms.length > 1 ||
      (u.terms.length === 1 && (u.entryBytes === 0 || u.terms[0]!.what !== "page entries")),
  );
  const entriesOnly = d.uses.filter((u) => !withDescriptors.includes(u) && u.entryBytes > 0);
  const rows: string[][] = withDescriptors.map((u) => [u.use, u.arithmetic]);
  if (entriesOnly.length > 0) {
    const pages = entriesOnly.reduce((s, u) => s + u.pages, 0);
    const bytes = entriesOnly.reduce((s, u) => s + u.entryBytes, 0);
    const label = withDescriptors.length === 0 ? "all uses" : "other uses";
    const which = withDescriptors.length === 0 ? "" : ` (${entriesOnly.map((u) => u.use).join(", ")})`;
    rows.push([label, `${int(pages)} × ${int(d.entryBytes)} = ${int(bytes)}${which}`]);
  }
  // Inline kinds need no descriptor, which the arithmetic already shows; the other notes explain a zero.
  const noted = d.uses.filter(
    (u) =>
      u.note &&
      u.pages > 0 &&
      !unbackedUses.has(u.use as MemoryUse) &&
      !u.note.endsWith("inline in the word"),
  );
  // A note every use shares (today's "descriptors overlay struct page") is said once.
  const notes =
    noted.length > 1 && noted.every((u) => u.note === noted[0]!.note)
      ? [noted[0]!.note!]
      : noted.map((u) => `${u.use}: ${u.note}`);
  for (const o of d.outside)
    rows.push([
      "outside",
      `${int(o.count)} × ${int(o.size)} = ${int(o.bytes)} (${o.what}; ${provenanceLabel(o.provenance)})`,
    ]);
  for (const r of rows) lines.push(`  ${r[0]!.padEnd(width(rows))}  ${r[1]}`);
  if (rows.length > 1)
    lines.push(
      `  ${"".padEnd(width(rows))}  ${int(d.entries)} (entries) + ${int(d.descriptors)} (descriptors)${d.outsideBytes > 0 ? ` + ${int(d.outsideBytes)} (outside)` : ""} = ${int(d.total)}`,
    );
  for (const n of notes) lines.push(`  (${n})`);
  return `${lines.join("\n")}\n`;
}

const width = (rows: string[][]) => Math.max(...rows.map((r) => r[0]!.length));

/** Warning lines (from core's bill and the survey), each on its own line. */
export function formatWarnings(warnings: readonly string[], c: Colors): string {
  return warnings.map((w) => `${c.yellow("warning:")} ${w}\n`).join("");
}
