import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";

/*
 * What `memdesc fleet` is given: files, or directories of them. Each file is told by its content (magic bytes),
 * not its name: a snapshot (MEMDSNAP), a capture archive (gzip or tar), survey Parquet (PAR1), survey JSON
 * (an object) or NDJSON rows (an object a line). In a directory, only files whose names say they are one of
 * these are taken; the others are counted as ignored, never read.
 */

export type InputKind = "snapshot" | "archive" | "parquet" | "json" | "ndjson";

export interface Input {
  readonly path: string;
  readonly kind: InputKind;
  readonly bytes: number;
}

export interface Problem {
  readonly file: string;
  readonly problem: string;
}

export interface Found {
  readonly inputs: Input[];
  readonly bad: Problem[];
  /** Files in directories whose names are not an input's. */
  readonly ignored: number;
}

const inputNames = /\.(mdsnap|tar\.gz|tgz|tar|parquet|json|ndjson|jsonl)$/i;
/** Directory levels walked, and files looked at: a fleet is a few hundred thousand files at most. */
const maxDepth = 16;
const maxFiles = 1_000_000;

/** Reads a file's first bytes (non-blocking, regular files only). */
function head(path: string): { bytes: number; head: Uint8Array } | string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EACCES"
      ? "permission denied"
      : (err as NodeJS.ErrnoException).code === "ENOENT"
        ? "does not exist"
        : (err as Error).message;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return "not a regular file";
    const buf = new Uint8Array(Math.min(512, st.size));
    const n = st.size === 0 ? 0 : readSync(fd, buf, 0, buf.length, 0);
    if (st.size >= 4) {
      const tail = new Uint8Array(4);
      readSync(fd, tail, 0, 4, st.size - 4);
      if (String.fromCharCode(...tail) !== "PAR1" && String.fromCharCode(...buf.subarray(0, 4)) === "PAR1")
        return "a Parquet file cut short (no footer)";
    }
    return { bytes: st.size, head: buf.subarray(0, n) };
  } catch (err) {
    return (err as Error).message;
  } finally {
    closeSync(fd);
  }
}

const ascii = (b: Uint8Array, at: number, text: string) =>
  b.length >= at + text.length && [...text].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/** What a file is, by its first bytes. */
export function classify(path: string): Input | Problem {
  const h = head(path);
  if (typeof h === "string") return { file: path, problem: h };
  const b = h.head;
  if (h.bytes === 0) return { file: path, problem: "empty" };
  if (ascii(b, 0, "MEMDSNAP")) return { path, kind: "snapshot", bytes: h.bytes };
  if (b[0] === 0x1f && b[1] === 0x8b) return { path, kind: "archive", bytes: h.bytes };
  if (ascii(b, 257, "ustar")) return { path, kind: "archive", bytes: h.bytes };
  if (ascii(b, 0, "PAR1")) return { path, kind: "parquet", bytes: h.bytes };
  const text = new TextDecoder().decode(b).trimStart();
  if (text.startsWith("{")) {
    // A survey document is pretty-printed (a newline after the brace); NDJSON is an object a line.
    const line = text.slice(0, text.indexOf("\n") >= 0 ? text.indexOf("\n") : undefined).trim();
    const isRow = line.endsWith("}") && /^\{"schema_version"/.test(line);
    return { path, kind: isRow || /\.(ndjson|jsonl)$/i.test(path) ? "ndjson" : "json", bytes: h.bytes };
  }
  return {
    file: path,
    problem: "not a snapshot, capture archive, survey Parquet, JSON or NDJSON (by its first bytes)",
  };
}

/** Expands the inputs: files as given, directories walked for files named as inputs. */
export function findInputs(args: readonly string[], cwd: string): Found {
  if (args.length === 0)
    throw new UserError(
      "no inputs",
      "give snapshots, capture archives, survey JSON/NDJSON/Parquet files, or directories of them",
    );
  const inputs: Input[] = [];
  const bad: Problem[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  let looked = 0;
  const take = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const c = classify(path);
    if ("kind" in c) inputs.push(c);
    else bad.push(c);
  };
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      bad.push({ file: dir, problem: `cannot list: ${(err as Error).message}` });
      return;
    }
    for (const name of names) {
      if (++looked > maxFiles)
        throw new UserError(
          `more than ${maxFiles} files under the inputs`,
          "give fewer, or a directory per part of the fleet",
        );
      const path = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path, { throwIfNoEntry: false }) ?? statSync(path);
      } catch (err) {
        bad.push({ file: path, problem: (err as Error).message });
        continue;
      }
      if (st.isDirectory()) {
        if (depth >= maxDepth)
          bad.push({ file: path, problem: `deeper than ${maxDepth} directories: not walked` });
        else if (!name.startsWith(".")) walk(path, depth + 1);
        else ignored++;
      } else if (st.isFile() && inputNames.test(name) && !name.startsWith(".")) take(path);
      else ignored++;
    }
  };
  for (const arg of args) {
    const path = resolve(cwd, arg);
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(path);
    } catch {
      bad.push({ file: path, problem: "does not exist" });
      continue;
    }
    if (st.isDirectory()) walk(path, 0);
    else take(path);
  }
  return { inputs, bad, ignored };
}
