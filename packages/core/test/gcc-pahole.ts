import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why each tool of the gcc + pahole oracle cannot run here (undefined where it can): 64-bit needs gcc and
 * pahole, i386 also `gcc -m32` (no headers or libraries: the sources include nothing and are only compiled). */
export function oracleTools(): { gcc?: string; pahole?: string; "gcc -m32"?: string } {
  const missing = (tool: string) => {
    const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
    return r.error || r.status !== 0 ? `${tool} is not installed` : undefined;
  };
  const gcc = missing("gcc");
  const pahole = missing("pahole") && "pahole is not installed (Debian: dwarves)";
  let m32: string | undefined = gcc;
  if (!gcc) {
    const built = compile("struct t { long x; }; struct t v;\n", true);
    if (built.ok) rmSync(built.dir, { recursive: true, force: true });
    else m32 = `gcc cannot build -m32 objects: ${built.error.trim()}`;
  }
  return { gcc, pahole, "gcc -m32": m32 };
}

export interface PaholeOutputs {
  /** `pahole -C names` of the object's DWARF. */
  readonly dwarf: string;
  /** The same after `pahole -J` encoded the DWARF as BTF: what pahole prints for a kernel's BTF. */
  readonly btf: string;
}

function compile(source: string, m32: boolean): { ok: true; dir: string } | { ok: false; error: string } {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-oracle-"));
  writeFileSync(join(dir, "t.c"), source);
  const r = spawnSync("gcc", [...(m32 ? ["-m32"] : []), "-g", "-c", "t.c", "-o", "t.o"], {
    cwd: dir,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, error: r.stderr };
  }
  return { ok: true, dir };
}

/**
 * Compiles C source with `gcc -g -c` (`-m32` for i386) and runs `pahole -C` on its DWARF (for every name)
 * and its BTF (for the first).
 */
export function gccPahole(source: string, names: readonly string[], m32: boolean): PaholeOutputs {
  const built = compile(source, m32);
  if (!built.ok) throw new Error(`gcc failed:\n${built.error}\n${source}`);
  const { dir } = built;
  try {
    const dwarf = execFileSync("pahole", ["-C", names.join(","), "t.o"], { cwd: dir, encoding: "utf8" });
    copyFileSync(join(dir, "t.o"), join(dir, "b.o"));
    execFileSync("pahole", ["-J", "b.o"], { cwd: dir, stdio: "ignore" });
    const btf = execFileSync("pahole", ["-F", "btf", "-C", names[0]!, "b.o"], { cwd: dir, encoding: "utf8" });
    return { dwarf, btf };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
