// A package README's generated blocks: tables the tests compute from the code, so the README states what the
// package computes. A block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` lines.
import { readFileSync, writeFileSync } from "node:fs";

const row = (cells) => `| ${cells.join(" | ")} |`;

/** A Markdown table: a header row, the `---` rule and a row per entry. */
export function markdownTable(head, rows) {
  return [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
}

/** Biome pads table cells to align columns; compare tables cell by cell, not by their padding. */
const tableSpacing = (text) =>
  text
    .split("\n")
    .map((l) => (l.startsWith("|") ? l.replace(/\s*\|\s*/g, "|").replace(/-{3,}/g, "---") : l))
    .join("\n");

/**
 * The README at `path` as it is and with every block regenerated, both with table padding ignored. With
 * `UPDATE_README=1` in the environment the regenerated text is written first (then `npx biome check --write`
 * aligns the tables). Throws if the README lacks one of the blocks.
 */
export function generatedReadme(path, blocks) {
  let readme = readFileSync(path, "utf8");
  for (const [name, make] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(readme)) throw new Error(`${path} has no generated:${name} block`);
    readme = readme.replace(re, (_m, open, close) => `${open}${make()}\n${close}`);
  }
  if (process.env.UPDATE_README === "1") writeFileSync(path, readme);
  return { current: tableSpacing(readFileSync(path, "utf8")), generated: tableSpacing(readme) };
}
