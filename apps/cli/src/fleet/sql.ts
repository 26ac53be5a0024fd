/*
 * The fleet questions as SQL over the `bills` table (one row per capture × memory use × design: the columns of
 * `survey --format parquet`). The text is standard SQL that DuckDB, Spark SQL and Trino all run unchanged
 * (no QUALIFY, no ordered-set aggregates, no engine-specific functions; percentiles by nearest rank with window
 * functions; divisions in DOUBLE), and docs/fleet.md prints the same statements: `memdesc fleet` runs them in
 * DuckDB, and a test runs the document's copies and compares.
 */

/** A grouping `memdesc fleet --by` offers: its name, the SQL expression, and the column it is output as. */
export interface Grouping {
  readonly name: string;
  readonly column: string;
  readonly expression: string;
}

/** RAM size classes: RAM rounded up to a power of two GiB (a 24 GiB host is in the 32 GiB class). */
export const ramClassExpression =
  "CAST(POWER(2, CEIL(LOG2(CAST(ram_bytes AS DOUBLE) / 1073741824))) AS DOUBLE)";

/** The groupings: kernel release, architecture, RAM class, or any label. */
export function grouping(name: string): Grouping | undefined {
  if (name === "kernel") return { name, column: "kernel_release", expression: "kernel_release" };
  if (name === "arch") return { name, column: "arch", expression: "arch" };
  if (name === "ram") return { name, column: "ram_class_gib", expression: "ram_class_gib" };
  if (/^[a-z][a-z0-9_]{0,63}$/.test(name))
    return { name, column: `label_${name}`, expression: `label_${name}` };
  return undefined;
}

/**
 * Each capture's bill per design (the sum of its rows), and each host once: its latest capture. A host is its
 * hostname, or where its bill came from when the input did not record one.
 */
export function hostsView(labelColumns: readonly string[]): string {
  const labels = labelColumns.map((c) => `${c}, `).join("");
  return `CREATE VIEW captures AS
SELECT COALESCE(hostname, source) AS host, source, captured_at, kernel_release, arch, ram_bytes, ${labels}design,
       SUM(total_bytes) AS total_bytes
FROM bills
GROUP BY COALESCE(hostname, source), source, captured_at, kernel_release, arch, ram_bytes, ${labels}design;

CREATE VIEW hosts AS
SELECT host, source, captured_at, kernel_release, arch, ram_bytes,
       ${ramClassExpression} AS ram_class_gib, ${labels}design, total_bytes
FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY host, design ORDER BY captured_at DESC, source DESC) AS latest
  FROM captures c
) t
WHERE latest = 1;`;
}

/** Each host's saving under each design against today's memmap: bytes, and percent of its RAM. */
export function savingsView(labelColumns: readonly string[]): string {
  const labels = labelColumns.map((c) => `h.${c}, `).join("");
  return `CREATE VIEW savings AS
SELECT h.host, h.source, h.captured_at, h.kernel_release, h.arch, h.ram_bytes, h.ram_class_gib, ${labels}h.design,
       h.total_bytes, t.total_bytes AS today_bytes,
       t.total_bytes - h.total_bytes AS saving_bytes,
       100 * CAST(t.total_bytes - h.total_bytes AS DOUBLE) / h.ram_bytes AS saving_percent
FROM hosts h
JOIN hosts t ON t.host = h.host AND t.design = 'today'
WHERE h.design <> 'today';`;
}

/** Total per-page metadata per design across the fleet, with the RAM it covers and the saving. */
export const totalsQuery = `SELECT design, COUNT(*) AS hosts, SUM(ram_bytes) AS ram_bytes, SUM(total_bytes) AS total_bytes,
       100 * CAST(SUM(total_bytes) AS DOUBLE) / SUM(ram_bytes) AS percent_of_ram
FROM hosts
GROUP BY design
ORDER BY design;`;

/**
 * The distribution of the saving per host, per group and design: min, p10, p50, p90 and max, in bytes and in
 * percent of RAM. A percentile is the nearest rank: the value at rank ⌈p·n⌉ of the n hosts in order.
 */
export function distributionQuery(groups: readonly Grouping[]): string {
  const cols = groups.map((g) => g.expression);
  const partition = ["design", ...cols].join(", ");
  const select = groups
    .map((g) => (g.expression === g.column ? `${g.column}, ` : `${g.expression} AS ${g.column}, `))
    .join("");
  const stat = (value: string, rank: string, suffix: string) =>
    [
      `MIN(${value}) AS min_${suffix}`,
      ...[10, 50, 90].map(
        (p) => `MAX(CASE WHEN ${rank} = CEIL(0.${p} * n) THEN ${value} END) AS p${p}_${suffix}`,
      ),
      `MAX(${value}) AS max_${suffix}`,
    ].join(",\n       ");
  return `WITH ranked AS (
  SELECT ${cols.map((c) => `${c}, `).join("")}design, saving_bytes, saving_percent, ram_bytes,
         ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY saving_bytes, host) AS by_bytes,
         ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY saving_percent, host) AS by_percent,
         COUNT(*) OVER (PARTITION BY ${partition}) AS n
  FROM savings
)
SELECT ${select}design, COUNT(*) AS hosts, SUM(ram_bytes) AS ram_bytes, SUM(saving_bytes) AS saving_bytes,
       ${stat("saving_bytes", "by_bytes", "bytes")},
       ${stat("saving_percent", "by_percent", "percent")}
FROM ranked
GROUP BY ${[...cols, "design"].join(", ")}
ORDER BY ${[...cols, "design"].join(", ")};`;
}

/** Every host's saving, for the per-host table (`--format parquet|json`, the explorer's Fleet view). */
export function hostsQuery(labelColumns: readonly string[]): string {
  const labels = labelColumns.map((c) => `${c}, `).join("");
  return `SELECT host, source, captured_at, kernel_release, arch, ram_bytes, ram_class_gib, ${labels}design,
       total_bytes, today_bytes, saving_bytes, saving_percent
FROM savings
ORDER BY design, saving_percent, host;`;
}
