import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * The end-to-end tests run the built binary. `npm test` builds everything first (turbo); when the tests are
 * run on their own after an edit, this rebuilds the CLI (and, through tsc's project references, what it
 * imports) if dist/ is older than the sources.
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
  const dist = join(root, "dist");
  const schemas = join(root, "schemas");
  const info = join(root, "tsconfig.tsbuildinfo");
  const built = () => Math.max(newest(dist), existsSync(info) ? statSync(info).mtimeMs : 0);
  const stale =
    !existsSync(join(dist, "main.js")) ||
    !existsSync(join(schemas, "survey.schema.json")) ||
    built() < newest(join(root, "src")) ||
    newest(schemas) < newest(dist);
  if (stale) {
    console.warn("cli: dist/ is missing or older than src/, building it (npm run build in apps/cli)");
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  }
}
