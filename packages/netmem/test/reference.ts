import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `../shared/reference` beside the repository, where CI and developers keep the kernel facts. */
export const referenceDir = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/reference");

export function readReference(relative: string): string {
  const path = join(referenceDir, relative);
  if (!existsSync(path))
    throw new Error(`reference file ${path} is missing: check out ../shared beside the repo`);
  return readFileSync(path, "utf8");
}
