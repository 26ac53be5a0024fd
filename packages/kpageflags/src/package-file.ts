import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

let root: URL | undefined;

/**
 * A file shipped in this package (`dist/read/worker.js`, `fixtures/sample.mdsnap`), found from the package's own
 * name rather than from this module's place: the same from src/ (tests), from dist/, and from a bundle that
 * inlines this module (the memdesc CLI's), whose chunks sit elsewhere.
 */
export function packageFileUrl(path: string): URL {
  root ??= pathToFileURL(createRequire(import.meta.url).resolve("@memdesc/kpageflags/package.json"));
  return new URL(path, root);
}
