import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `../shared/reference` beside the repository, where the kernel facts (pahole outputs, tables) are kept. */
export const referenceDir = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/reference");

/** A reference file's text, by its path under `shared/reference`. */
export function readReference(relative) {
  const path = join(referenceDir, relative);
  if (!existsSync(path))
    throw new Error(`reference file ${path} is missing: check out ../shared beside the repo`);
  return readFileSync(path, "utf8");
}

/** The shipped `pahole -C NAME` output of Linux 6.18 x86-64: `paholeReference("pahole_page.txt")`. */
export function paholeReference(file) {
  return readReference(`pahole/${file}`);
}
