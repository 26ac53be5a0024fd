/** Prints one JSON document to stdout: what `--json` gives, the shape its published schema describes. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
