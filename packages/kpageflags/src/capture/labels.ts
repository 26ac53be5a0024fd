// Browser-safe: no node: imports.

/**
 * Labels a capture carries (`--label team=storage`): what a fleet groups by beside kernel and RAM. A key is
 * what Prometheus allows in a label name and every SQL engine in a column name without quoting, in lower case
 * (Spark and Trino fold identifiers): a letter, then letters, digits and `_`, at most 64 characters. A value
 * is at most 256 characters without control characters, so it fits one line of a capture's metadata and one
 * label of an OpenMetrics sample.
 */
export type Labels = Readonly<Record<string, string>>;

export const labelKeyPattern = /^[a-z][a-z0-9_]{0,63}$/;
export const maxLabelValue = 256;
export const maxLabels = 64;

/**
 * Keys a label may not take: the labels memdesc's own OpenMetrics samples and info metric carry, and the ones
 * Prometheus attaches to every scraped series.
 */
export const reservedLabelKeys: readonly string[] = [
  "hostname",
  "kernel_release",
  "arch",
  "memdesc_version",
  "schema_version",
  "design",
  "use",
  "what",
  "instance",
  "job",
];

// Control characters (C0, DEL, C1): a value must stay on one line of text and in one quoted label value.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const control = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a label is not acceptable, or undefined when it is. */
export function labelProblem(key: string, value: string): string | undefined {
  if (!labelKeyPattern.test(key))
    return `label key ${JSON.stringify(key)}: a key is a-z, 0-9 and _, starting with a letter, at most 64 characters`;
  if (reservedLabelKeys.includes(key))
    return `label key ${key} is reserved (memdesc's own metrics carry it); pick another name`;
  if (value.length > maxLabelValue) return `label ${key}: a value has at most ${maxLabelValue} characters`;
  if (control.test(value)) return `label ${key}: a value has no control characters (tab, newline, …)`;
  return undefined;
}

/**
 * Parses `KEY=VALUE` strings (as `--label` takes them) into labels; the first problem is returned instead,
 * naming the label.
 */
export function parseLabels(
  pairs: readonly string[],
): { ok: true; labels: Labels } | { ok: false; problem: string } {
  const labels: Record<string, string> = {};
  if (pairs.length > maxLabels) return { ok: false, problem: `at most ${maxLabels} labels` };
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) return { ok: false, problem: `label ${JSON.stringify(pair)}: expected KEY=VALUE` };
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const problem = labelProblem(key, value);
    if (problem) return { ok: false, problem };
    if (Object.hasOwn(labels, key)) return { ok: false, problem: `label ${key} given twice` };
    labels[key] = value;
  }
  return { ok: true, labels: sortLabels(labels) };
}

/** Labels with their keys in order, so the same labels always print and hash the same. */
export function sortLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
