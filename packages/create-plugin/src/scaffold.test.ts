import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type AnyDescriptor, createRegistry } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { slab } from "@memdesc/slab";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseCommandLine } from "./args.js";
import { main } from "./main.js";
import { type PluginAnswers, withDefaults } from "./options.js";
import { applyConditions, renderFiles, replaceAll, replacements, scaffold } from "./scaffold.js";
import { readStamp } from "./stamp.js";

const run = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoBin = (name: string) => join(packageDir, "..", "..", "node_modules", ".bin", name);

// Generated projects go inside the repository, so they resolve @memdesc/core, zod and vitest from its
// node_modules as they would from their own after `npm install`.
const artifacts = join(packageDir, "test-artifacts");
mkdirSync(artifacts, { recursive: true });
const workDir = mkdtempSync(join(artifacts, "scaffold-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const variants: Record<string, Partial<PluginAnswers>> = {
  pointer: { uses: ["pagetable"] },
  // A use of its own: the plugin declares it, and its workload action allocates for it.
  "pointer with a use of its own": { uses: ["widget-pages"] },
  "inline with today": { storage: "inline", uses: ["zsmalloc", "netmem"] },
  "inline without today": { storage: "inline", today: false },
};

describe("templating", () => {
  it("keeps and drops #if blocks, nested, and reports broken markers", () => {
    const text = "a\n// #if x\nb\n<!-- #if y -->\nc\n<!-- #endif -->\n// #endif\n# #if !x\nd\n# #endif\ne";
    expect(applyConditions(text, { x: true, y: false, "!x": false })).toBe("a\nb\ne");
    expect(applyConditions(text, { x: true, y: true, "!x": false })).toBe("a\nb\nc\ne");
    expect(() => applyConditions("// #if z\n", { x: true }, "f.ts")).toThrow('f.ts:1: unknown condition "z"');
    expect(() => applyConditions("// #endif\n", {}, "f.ts")).toThrow("f.ts:1: #endif without #if");
    expect(() => applyConditions("// #if x\n", { x: true }, "f.ts")).toThrow("f.ts: 1 #if without #endif");
  });

  it("replaces every spelling of the sample identity once, longest first", () => {
    const a = withDefaults({ directory: "my-desc" });
    const map = replacements(a, 2031);
    expect(replaceAll("TMPL_DESC_MATCH tmplDescToday TmplDescValue tmpl_desc tmpl-desc __YEAR__", map)).toBe(
      "MY_DESC_MATCH myDescToday MyDescValue my_desc my-desc 2031",
    );
    // A description that happens to contain a token is not replaced again.
    const tricky = replacements({ ...a, description: 'says "tmpl-desc" and __YEAR__' }, 2031);
    expect(replaceAll('x = "__DESCRIPTION__";', tricky)).toBe('x = "says \\"tmpl-desc\\" and __YEAR__";');
  });

  for (const [label, given] of Object.entries(variants))
    it(`leaves no template markers or sample names behind (${label})`, () => {
      const files = renderFiles(withDefaults({ directory: "my-desc", ...given }), { year: 2031 });
      for (const [path, text] of files) {
        expect(text, path).not.toMatch(/tmpl|TMPL|Tmpl|__[A-Z_]+__|#if|#endif/);
        expect(path, path).not.toMatch(/^_|\/_/);
      }
    });
});

describe("the generated package", () => {
  const files = renderFiles(withDefaults({ directory: "my-desc", uses: ["pagetable"], author: "Ada" }), {
    year: 2031,
  });
  const pkg = JSON.parse(files.get("package.json")!);

  it("is an ESM package with types-first exports, the memdesc-plugin keyword and only dist in files", () => {
    expect(pkg).toMatchObject({
      name: "memdesc-plugin-my-desc",
      type: "module",
      exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
      files: ["dist"],
      publishConfig: { access: "public" },
      author: "Ada",
      license: "MIT",
    });
    expect(Object.keys(pkg.exports["."])).toEqual(["types", "default"]);
    expect(pkg.keywords).toContain("memdesc-plugin");
  });

  it("peer-depends on core and zod with the stamped ranges, and dev-depends on both", () => {
    const stamp = readStamp();
    const core = JSON.parse(readFileSync(join(packageDir, "..", "core", "package.json"), "utf8"));
    expect(stamp.core).toBe(core.version);
    expect(pkg.peerDependencies).toEqual({ "@memdesc/core": stamp.corePeer, zod: core.peerDependencies.zod });
    expect(pkg.devDependencies["@memdesc/core"]).toBe(`^${core.version}`);
    expect(Object.keys(pkg.devDependencies).sort()).toEqual([
      "@changesets/cli",
      "@memdesc/core",
      "@memdesc/memmap", // a pointer kind with a use tests its workload action on the simulator
      "@types/node",
      "typescript",
      "vitest",
      "zod",
    ]);
    expect(pkg.dependencies).toBeUndefined();
  });

  it("is set up for changesets, with a first-release changeset", () => {
    expect(JSON.parse(files.get(".changeset/config.json")!)).toMatchObject({
      access: "public",
      baseBranch: "main",
    });
    expect(files.get(".changeset/initial-release.md")).toMatch(/^---\n"memdesc-plugin-my-desc": minor\n---/);
    expect(pkg.scripts["version-packages"]).toBe("changeset version && npm install --package-lock-only");
    expect(files.get(".gitignore")).toMatch(/node_modules/);
    expect(files.get("LICENSE")).toMatch(/Copyright \(c\) 2031 Ada/);
  });
});

// The sample identity, rendered: the generated project must compile, pass its own tests and compose.
for (const [label, given] of Object.entries(variants))
  describe(`a scaffolded project (${label})`, () => {
    const dir = `p-${label.replace(/\W+/g, "-")}`;
    const answers = withDefaults({ directory: dir, ...given });

    it("is written by the command line, non-interactively", async () => {
      const log = vi.fn();
      const flags = [dir, "--storage", answers.storage, "--uses", answers.uses.join(","), "--yes"];
      if (!answers.today) flags.push("--no-today");
      expect(await main(flags, { cwd: workDir, log })).toBe(0);
      expect(log.mock.calls[0]![0]).toMatch(`Created memdesc-plugin-${dir}`);
      expect(readdirSync(join(workDir, dir)).sort()).toEqual([
        ".changeset",
        ".gitignore",
        "LICENSE",
        "README.md",
        "package.json",
        "src",
        "tsconfig.build.json",
        "tsconfig.json",
        "vitest.config.ts",
      ]);
    });

    it("type-checks, and its own test suite passes", async () => {
      const cwd = join(workDir, dir);
      await run(repoBin("tsc"), ["--noEmit", "-p", "tsconfig.json"], { cwd });
      // A nested vitest must not think it is a worker of this one.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST")));
      const { stdout } = await run(repoBin("vitest"), ["run", "--typecheck", "--reporter=dot"], {
        cwd,
        env: { ...env, NO_COLOR: "1", CI: "1" },
      });
      expect(stdout).toMatch(/Test Files\s+2 passed \(2\)/);
      expect(stdout).toMatch(/Type Errors\s+no errors/);
    });

    it("composes with @memdesc/folio and @memdesc/slab, and owns its memory uses", async () => {
      const mod = (await import(pathToFileURL(join(workDir, dir, "src", "index.ts")).href)) as {
        default: () => AnyDescriptor;
      };
      const plugin = mod.default();
      expect(plugin).toMatchObject({
        name: `memdesc-plugin-${dir}`,
        kind: answers.kind,
        storage: answers.storage,
      });
      const registry = createRegistry({ design: "memdesc-8", plugins: [folio(), slab(), plugin] });
      expect(registry.kinds).toEqual(["buddy", "misc", "folio", "slab", plugin.kind]);
      const tags = registry.kinds.map((k) => registry.tagOf(k));
      expect(new Set(tags).size).toBe(tags.length);
      for (const use of answers.uses) expect(registry.ownerOf(use as never)).toBe(plugin.kind);
      if (answers.today)
        expect(
          registry
            .checkOverlays()
            .find((r) => r.kind === plugin.kind)!
            .results.every((r) => r.status !== "fail"),
        ).toBe(true);
    });
  });

describe("the command line's errors", () => {
  it("writes nothing when an answer is bad, and says which", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(await main(["bad", "--kind", "Bad Kind", "--yes"], { cwd: workDir, log: () => {} })).toBe(1);
      expect(error.mock.calls[0]![0]).toMatch(/^create-memdesc-plugin: --kind: kind "Bad Kind" must be/);
      expect(existsSync(join(workDir, "bad"))).toBe(false);
      expect(await main(["--yes"], { cwd: workDir, log: () => {} })).toBe(1);
      expect(error.mock.calls[1]![0]).toMatch(/give the directory to create/);
    } finally {
      error.mockRestore();
    }
  });

  it("prints its usage with every flag", async () => {
    const log = vi.fn();
    expect(await main(["--help"], { log })).toBe(0);
    for (const flag of [
      "--name",
      "--kind",
      "--struct",
      "--description",
      "--storage",
      "--uses",
      "--no-today",
      "--yes",
    ])
      expect(log.mock.calls[0]![0]).toContain(flag);
  });
});

describe("the published tarball", () => {
  it("ships the template with _gitignore and _changeset (npm pack drops .gitignore), and the stamp", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: packageDir,
    });
    const paths = (JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path);
    for (const f of [
      "index.js",
      "stamp.json",
      "template/_gitignore",
      "template/_changeset/config.json",
      "template/src/index.ts",
    ])
      expect(paths).toContain(f);
    expect(paths.filter((f) => f.startsWith("src/") || f.includes("test-artifacts"))).toEqual([]);
  });
});

it("scaffold() refuses a non-empty directory", () => {
  expect(() => scaffold(withDefaults({ directory: "p-pointer" }), { cwd: workDir })).toThrow(
    /directory p-pointer already exists and is not empty/,
  );
});

describe("docs/plugins.md", () => {
  const docs = readFileSync(join(packageDir, "..", "..", "docs", "plugins.md"), "utf8");
  const m =
    /<!-- generated: npm init memdesc-plugin (.+) -->\n\n````ts\n([\s\S]*?)````\n\n<!-- end generated -->/.exec(
      docs,
    );

  it("shows exactly the src/index.ts its scaffold command generates", () => {
    expect(m, "the generated block in docs/plugins.md").not.toBeNull();
    const words = [...m![1]!.matchAll(/"([^"]*)"|(\S+)/g)]
      .map((w) => w[1] ?? w[2]!)
      .filter((w) => w !== "--");
    const args = parseCommandLine(words);
    const files = renderFiles(withDefaults({ ...args.given, directory: args.given.directory! }));
    expect(m![2]).toBe(files.get("src/index.ts"));
    // The command the page tells readers to run is the one whose output it shows.
    expect(docs).toContain(`\`\`\`sh\nnpm init memdesc-plugin ${m![1]}\n`);
  });
});
