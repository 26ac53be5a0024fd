/** A Markdown table: a header row, the `---` rule and a row per entry. */
export declare function markdownTable(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string;
/**
 * The README at `path` as it is and with every block regenerated, both with table padding ignored. With
 * `UPDATE_README=1` in the environment the regenerated text is written first (then `npx biome check --write`
 * aligns the tables). Throws if the README lacks one of the blocks.
 */
export declare function generatedReadme(
  path: string,
  blocks: Readonly<Record<string, () => string>>,
): { current: string; generated: string };
