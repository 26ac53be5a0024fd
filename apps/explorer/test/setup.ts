import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The end-to-end tests open the built app (`app/`). `npm test` builds it first (turbo's build task); when the
 * tests run on their own without a build, build it here once.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  if (existsSync(join(root, "app", "index.html"))) return;
  console.warn("explorer: app/ is not built; running vite build for the end-to-end tests");
  execFileSync(
    process.execPath,
    [join(root, "../../node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
}
