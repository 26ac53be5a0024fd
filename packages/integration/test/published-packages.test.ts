import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * The pre-publish gate (scripts/check-packages.mjs, `npm run check:packages`) over every public workspace
 * package, as built: publint, attw with the esm-only profile, and the tarball npm would publish against an
 * allow-list read from each package's `files`. `npm test` builds first, so this checks what would ship.
 */

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const script = join(root, "scripts", "check-packages.mjs");

interface Check {
  ok: boolean;
  problems: string[];
  files?: string[];
}
interface Result {
  name: string;
  dir: string;
  ok: boolean;
  checks: { pack: Check; publint: Check; attw: Check };
}

async function check(args: string[] = []): Promise<{ code: number; results: Result[] }> {
  try {
    const { stdout } = await run(process.execPath, [script, "--json", ...args], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, results: JSON.parse(stdout).results };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    if (typeof e.code === "number" && e.stdout)
      return { code: e.code, results: JSON.parse(e.stdout).results };
    throw err;
  }
}

const workspaces = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces as string[];
const publicPackages = workspaces
  .flatMap((w) => {
    const base = join(root, w.replace(/\/\*$/, ""));
    try {
      return readdirSync(base).map((d) => join(base, d));
    } catch {
      return [];
    }
  })
  .map((dir) => {
    try {
      return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name: string;
        private?: boolean;
      };
    } catch {
      return undefined;
    }
  })
  .filter((m): m is { name: string } => !!m && !m.private)
  .map((m) => m.name)
  .sort();

describe("every public package, as npm would publish it", () => {
  let results: Result[] = [];
  beforeAll(async () => {
    results = (await check()).results;
  }, 300_000);

  it("is checked: the gate finds every public workspace package", () => {
    expect(results.map((r) => r.name).sort()).toEqual(publicPackages);
    expect(publicPackages).toEqual(
      expect.arrayContaining(["@memdesc/core", "create-memdesc-plugin", "memdesc"]),
    );
  });

  it.each(publicPackages)("%s passes publint, attw (esm-only) and the tarball allow-list", (name) => {
    const r = results.find((x) => x.name === name)!;
    expect(r.checks.pack.problems, `${name}: tarball`).toEqual([]);
    expect(r.checks.publint.problems, `${name}: publint`).toEqual([]);
    expect(r.checks.attw.problems, `${name}: attw`).toEqual([]);
    expect(r.ok).toBe(true);
    const files = r.checks.pack.files ?? [];
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE"]));
    // Templates and data a package declares may hold anything; what tsc emits must not.
    expect(
      files.filter(
        (f) => /^src\//.test(f) || (/^dist\//.test(f) && /\.map$|\.tsbuildinfo$|\.test(-d)?\./.test(f)),
      ),
    ).toEqual([]);
    // The LICENSE shipped is the repository's.
    expect(readFileSync(join(root, r.dir, "LICENSE"), "utf8")).toBe(
      readFileSync(join(root, "LICENSE"), "utf8"),
    );
  });
});

describe("the gate fails a package that ships what it should not", () => {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-bad-package-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names each stray file, the missing LICENSE and a missing entry point", async () => {
    mkdirSync(join(dir, "dist"));
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "memdesc-bad-package",
        version: "1.0.0",
        type: "module",
        exports: {
          ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
          "./extra": "./dist/extra.js",
        },
        files: ["dist"],
      }),
    );
    writeFileSync(join(dir, "README.md"), "# bad\n");
    writeFileSync(join(dir, "dist", "index.js"), "export const x = 1;\n//# sourceMappingURL=index.js.map\n");
    writeFileSync(join(dir, "dist", "index.d.ts"), "export declare const x = 1;\n");
    writeFileSync(
      join(dir, "dist", "index.js.map"),
      JSON.stringify({ version: 3, file: "index.js", sources: ["../src/index.ts"], mappings: "AAAA" }),
    );
    writeFileSync(join(dir, "dist", "index.test.js"), "export {};\n");
    writeFileSync(join(dir, "dist", "helper.ts"), "export {};\n");
    writeFileSync(join(dir, "dist", "tsconfig.tsbuildinfo"), "{}");
    const { code, results } = await check(["--dir", dir]);
    expect(code).toBe(1);
    const problems = results[0]!.checks.pack.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        "LICENSE is missing from the tarball",
        "dist/index.test.js: a test file",
        "dist/helper.ts: a TypeScript source file",
        "dist/tsconfig.tsbuildinfo: a TypeScript build-info file",
        "dist/index.js.map: a source map pointing at src/index.ts, which the package does not ship",
        "dist/extra.js is named in package.json but is not in the tarball",
      ]),
    );
    expect(results[0]!.ok).toBe(false);
  }, 120_000);
});
