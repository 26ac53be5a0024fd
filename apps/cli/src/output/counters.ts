import type { Survey, SurveyReport } from "@memdesc/kpageflags";

type CrossCheckRow = SurveyReport["crossCheck"][number];

import type { Colors } from "./color.js";
import { int, mib, type Row, size, table } from "./table.js";

/** `−26 (−0.00%)`: a difference with its share of the kernel's figure. */
function difference(r: CrossCheckRow): string {
  const sign = r.difference > 0 ? "+" : r.difference < 0 ? "−" : "";
  const abs = Math.abs(r.difference);
  const v = r.unit === "bytes" ? size(abs) : int(abs);
  const pct = r.percent === null ? "" : ` (${r.percent >= 0 ? "" : "−"}${Math.abs(r.percent).toFixed(2)}%)`;
  return `${sign}${v}${pct}`;
}

const value = (r: CrossCheckRow, n: number) => (r.unit === "bytes" ? `${mib(n)} MiB` : int(n));

/**
 * The page map against the kernel's counters: one row per check with both figures, the difference, whether
 * they agree within 1 %, and under the table why the rows that do not cannot.
 */
export function formatCrossCheck(rows: readonly CrossCheckRow[], c: Colors): string {
  if (rows.length === 0) return "";
  const body: Row[] = rows.map((r) => [
    r.what,
    value(r, r.pageMap),
    value(r, r.kernel),
    difference(r),
    r.agrees ? "yes" : c.yellow("no"),
    `${r.counter} (${r.file})`,
  ]);
  let out = `${c.bold("cross-check")}: the page map against the kernel's own counters (they agree within 1% on a quiet machine)\n`;
  out += table(
    [
      { header: "what" },
      { header: "page map", align: "right" },
      { header: "kernel", align: "right" },
      { header: "difference", align: "right" },
      { header: "agree" },
      { header: "counter" },
    ],
    body,
    { indent: 2, header: c.bold },
  );
  for (const r of rows) if (r.reason) out += `  ${r.what}: ${r.reason}\n`;
  return out;
}

/** What the counters moved out of the page map's uses, one line each. */
export function formatAttributions(s: Survey, c: Colors): string {
  const lines: string[] = [];
  for (const a of s.attributions) {
    const from = a.taken.map((t) => `${int(t.pages)} from ${t.from}`).join(", ") || "none";
    const descs = a.taken.reduce((n, t) => n + t.descriptors, 0);
    const short = a.short > 0 ? `; ${int(a.short)} not found` : "";
    lines.push(
      `  ${a.use}: ${int(a.counted)} pages (${from}${descs > 0 ? `; ${int(descs)} descriptors` : ""}${short}) from ${a.counter} in ${a.file}`,
    );
  }
  const free = s.billed.free;
  if (free.descriptorsFrom)
    lines.push(
      `  free: ${int(free.descriptors)} free blocks by order from ${free.descriptorsFrom.file}: ${free.orders
        .map((n, k) => (n > 0 ? `${k}: ${int(n)}` : ""))
        .filter(Boolean)
        .join(", ")}`,
    );
  if (lines.length === 0) return "";
  return `${c.bold("attributed from the kernel's counters")} (kpageflags cannot tell these pages apart):\n${lines.join("\n")}\n`;
}

/** Each group's bill under today's design and the chosen one, with the saving. */
export function formatGroups(groups: NonNullable<SurveyReport["groups"]>, focus: string, c: Colors): string {
  const priced = groups.rows.map((g) => {
    const today = g.designs.find((d) => d.design === "today");
    const target = g.designs.find((d) => d.design === focus) ?? g.designs[g.designs.length - 1]!;
    return { g, today, target, saving: today ? today.total - target.total : 0 };
  });
  // Cgroups are listed by what they would gain; nodes and zones in the machine's order.
  if (groups.by === "cgroup") priced.sort((a, b) => b.saving - a.saving);
  const rows: Row[] = priced.map(({ g, today, target, saving }) => {
    return [
      g.label,
      int(g.ramPages),
      today ? mib(today.total) : "-",
      mib(target.total),
      mib(saving),
      today && today.total > 0 ? `${((saving / today.total) * 100).toFixed(1)}%` : "-",
    ];
  });
  return `${c.bold(`by ${groups.by}`)}:\n${table(
    [
      { header: groups.by === "cgroup" ? "memory cgroup" : groups.by },
      { header: "RAM pages", align: "right" },
      { header: "today MiB", align: "right" },
      { header: `${focus} MiB`, align: "right" },
      { header: "saving MiB", align: "right" },
      { header: "saving", align: "right" },
    ],
    rows,
    { indent: 2, header: c.bold },
  )}`;
}
