import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * The end-to-end tests run the built binary. `npm test` builds everything first (turbo); when the tests are
 * run on their own after an edit, this rebuilds the CLI (and, through tsc's project references, what it
 * imports) if its bundle is older than the sources.
 */
const root = fileURLToPath(new URL("..", import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  // The bundle (dist/memdesc.cjs, what bin/memdesc.cjs loads) is written after tsc's output, then its code
  // caches, the schemas last.
  const bundle = join(root, "dist", "memdesc.cjs");
  const schemas = join(root, "schemas");
  const stale =
    !existsSync(bundle) ||
    !existsSync(join(schemas, "survey.schema.json")) ||
    statSync(bundle).mtimeMs < newest(join(root, "src")) ||
    newest(schemas) < statSync(bundle).mtimeMs;
  if (stale) {
    console.warn(
      "cli: dist/memdesc.cjs is missing or older than src/, building it (npm run build in apps/cli)",
    );
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  }
}
