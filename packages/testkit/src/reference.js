import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `packages/testkit/reference`: measured kernel outputs the tests compare with (see its README for provenance). */
export const referenceDir = join(dirname(fileURLToPath(import.meta.url)), "../reference");

/** A reference file's text, by its path under `packages/testkit/reference`. */
export function readReference(relative) {
  const path = join(referenceDir, relative);
  if (!existsSync(path))
    throw new Error(`reference file ${relative} is missing from packages/testkit/reference`);
  return readFileSync(path, "utf8");
}

/** The shipped `pahole -C NAME` output of Linux 6.18 x86-64: `paholeReference("pahole_page.txt")`. */
export function paholeReference(file) {
  return readReference(`pahole/${file}`);
}
