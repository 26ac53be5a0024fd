import { relative } from "node:path";

/** How a file is named in messages: relative to the working directory when it is below it (and that is not /). */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (cwd === "/") return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !rel.startsWith("/") ? rel : path;
}
