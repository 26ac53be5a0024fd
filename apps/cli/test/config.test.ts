import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  btfFixture,
  cliRoot,
  expectUserError,
  fixtures,
  repoRoot,
  run,
  tempDir,
  validJson,
} from "./helpers.js";

interface PluginsJson {
  config: string | null;
  design: string;
  plugins: {
    package: string;
    version: string | null;
    kind: string;
    from: string;
    key: string | null;
    tag: number | null;
    descriptor: Record<string, { size: number; rounded: number }[]>;
  }[];
}

/**
 * A user's project with a third-party plugin installed the way npm installs one: the toy plugin is packed
 * with `npm pack` and the tarball installed with `npm install --offline`, next to @memdesc/core and zod from
 * this repository (local paths, so nothing is fetched).
 */
function makeProject(root: string): string {
  const project = join(root, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "my-analysis", private: true, type: "module" }),
  );
  const pack = join(root, "pack");
  mkdirSync(pack);
  cpSync(join(fixtures, "toy-plugin"), join(pack, "toy-plugin"), { recursive: true });
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", pack], {
    cwd: join(pack, "toy-plugin"),
    encoding: "utf8",
  }).trim();
  execFileSync(
    "npm",
    [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--loglevel=error",
      join(pack, tarball),
      join(repoRoot, "packages/core"),
      join(repoRoot, "node_modules/zod"),
    ],
    { cwd: project, encoding: "utf8" },
  );
  return project;
}

describe("config files", () => {
  const root = tempDir();
  let project = "";
  beforeAll(() => {
    project = makeProject(root);
  });
  const write = (name: string, text: string, dir = project) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const plugins = (args: string[], cwd = project) =>
    validJson("plugins", run(["plugins", "--json", ...args], { cwd })) as PluginsJson;

  it("composes a third-party package installed in the user's project, with options, from memdesc.config.json", () => {
    const dir = join(project, "json");
    mkdirSync(dir);
    write(
      "memdesc.config.json",
      JSON.stringify({
        design: "buddy-16",
        plugins: ["@memdesc/folio", { package: "memdesc-plugin-toy", options: { extraBytes: 40 } }],
      }),
      dir,
    );
    // Found upward from a subdirectory of the project.
    const sub = join(dir, "deeper/still");
    mkdirSync(sub, { recursive: true });
    const j = plugins([], sub);
    expect(j.config).toBe(join(dir, "memdesc.config.json"));
    expect(j.design).toBe("buddy-16");
    const toy = j.plugins.find((p) => p.kind === "toy")!;
    expect(toy).toMatchObject({
      package: "memdesc-plugin-toy",
      version: "1.2.3",
      from: "config",
      key: "plugins[1]",
    });
    expect(toy.tag).toBeTypeOf("number");
    // flags + pool + handle = 24 bytes, + 40 extra = 64.
    expect(toy.descriptor["memdesc-8"]).toEqual([{ variant: "default", size: 64, rounded: 64 }]);
    expect(j.plugins.find((p) => p.kind === "folio")!.from).toBe("config");
    const text = run(["plugins"], { cwd: sub });
    expect(text.stdout).toMatch(/^descriptor set: .*memdesc\.config\.json; design buddy-16, ABI lp64$/m);
    expect(text.stdout).toMatch(/^memdesc-plugin-toy\s+1\.2\.3\s+toy\s+\d+\s+24\s+64\s+64\s+64$/m);
  });

  it("bills the third-party plugin's uses with its descriptor size", () => {
    const dir = join(project, "bill");
    mkdirSync(dir);
    write(
      "memdesc.config.json",
      JSON.stringify({ plugins: [{ package: "memdesc-plugin-toy", options: { extraBytes: 8 } }] }),
      dir,
    );
    const j = validJson(
      "bill",
      run(["bill", join(fixtures, "zsmalloc-picture.json"), "--json"], { cwd: dir }),
    ) as {
      bill: {
        designs: {
          design: string;
          uses: { use: string; kind?: string; total: number; arithmetic: string }[];
        }[];
      };
    };
    const zs = j.bill.designs.find((d) => d.design === "memdesc-8")!.uses.find((u) => u.use === "zsmalloc")!;
    expect(zs.kind).toBe("toy");
    expect(zs.arithmetic).toBe("4,096 × 8 + 4,096 × 32 = 163,840");
  });

  it("loads a .mjs config that lists plugin objects and a package by name", () => {
    const dir = join(project, "mjs");
    mkdirSync(dir);
    write(
      "memdesc.config.mjs",
      `import toy from "memdesc-plugin-toy";\nexport default { design: "path-32", plugins: [toy({ extraBytes: 16 }), "@memdesc/ptdesc"] };\n`,
      dir,
    );
    const j = plugins([], dir);
    expect(j.design).toBe("path-32");
    expect(j.plugins.find((p) => p.kind === "toy")).toMatchObject({
      from: "object",
      key: "plugins[0]",
      version: "1.2.3",
    });
    expect(j.plugins.find((p) => p.kind === "ptdesc")).toMatchObject({ from: "config", key: "plugins[1]" });
  });

  it("loads a .ts config through jiti, given with --config, typed with memdesc/config's defineConfig", () => {
    // The project has memdesc installed, as a project with a typed config would.
    const cliLink = join(project, "node_modules", "memdesc");
    if (!existsSync(cliLink)) symlinkSync(cliRoot, cliLink, "dir");
    const file = write(
      "analysis.config.ts",
      `import { defineConfig } from "memdesc/config";\n` +
        `const extraBytes: number = 104;\n` +
        `export default defineConfig({ design: "memdesc-8", plugins: [{ package: "memdesc-plugin-toy", options: { extraBytes } }] });\n`,
    );
    const renamed = join(project, "ts");
    mkdirSync(renamed);
    const ts = join(renamed, "memdesc.config.ts");
    cpSync(file, ts);
    for (const j of [plugins(["--config", file], root), plugins([], renamed)]) {
      expect(j.plugins.find((p) => p.kind === "toy")!.descriptor["memdesc-8"]).toEqual([
        { variant: "default", size: 128, rounded: 128 },
      ]);
    }
  });

  it("uses the first-party set and no config outside a project", () => {
    const j = plugins([], root);
    expect(j.config).toBeNull();
    expect(j.plugins.filter((p) => p.from === "first-party").length).toBe(7);
  });

  describe("errors name the file and the key", () => {
    const bad = (name: string, config: unknown) => {
      const dir = join(project, `bad-${name}`);
      mkdirSync(dir);
      write("memdesc.config.json", JSON.stringify(config), dir);
      return run(["plugins"], { cwd: dir });
    };

    it("an unknown package", () => {
      expectUserError(
        bad("unknown", { plugins: ["@memdesc/folio", "@memdesc/slab", "memdesc-plugin-nope"] }),
        /^memdesc: memdesc\.config\.json: plugins\[2\]: cannot find package "memdesc-plugin-nope" from \/.*\/project\/bad-unknown$/,
      );
    });

    it("a bad option (the plugin's own zod schema)", () => {
      const r = bad("option", { plugins: [{ package: "memdesc-plugin-toy", options: { extraBytes: -3 } }] });
      expectUserError(
        r,
        /^memdesc: memdesc\.config\.json: plugins\[0\]\.options\.extraBytes: Too small: expected number to be >=0$/,
      );
      const s = bad("option2", { plugins: [{ package: "memdesc-plugin-toy", options: { extraByte: 3 } }] });
      expectUserError(s, /plugins\[0\]\.options: Unrecognized key: "extraByte"/);
      const f = bad("folio", {
        plugins: [{ package: "@memdesc/folio", options: { extraFields: [["1bad", "u64"]] } }],
      });
      // The factory's own error is data: each issue at its key under the plugin's options.
      expectUserError(
        f,
        /^memdesc: memdesc\.config\.json: plugins\[0\]\.options\.extraFields\[0\]: member name "1bad" is not a C identifier$/,
      );
    });

    it("a package that is not a descriptor plugin", () => {
      expectUserError(
        bad("notplugin", { plugins: ["zod"] }),
        /plugins\[0\] \("zod"\): exports no descriptor plugin: no default export and no export named "zod" \(exports: /,
      );
    });

    it("a malformed entry, an unknown key, a bad design", () => {
      expectUserError(bad("entry", { plugins: [42] }), /plugins\[0\]: expected one of: a package name/);
      expectUserError(
        bad("pkgkey", { plugins: [{ package: "memdesc-plugin-toy", option: {} }] }),
        /plugins\[0\]: Unrecognized key: "option"/,
      );
      expectUserError(bad("key", { plugin: [] }), /memdesc\.config\.json: Unrecognized key: "plugin"/);
      expectUserError(
        bad("design", { design: "memdesc-9" }),
        /memdesc\.config\.json: design: unknown design "memdesc-9"/,
      );
      expectUserError(
        bad("design-obj", {
          design: { name: "mine", title: "Mine", entryBytes: 8, typeBits: 4, descriptorAlign: 8 },
        }),
        /memdesc\.config\.json: design\.descriptorAlign: descriptors aligned to 8 leave fewer than 4 low bits free/,
      );
      expectUserError(bad("abi", { abi: "lp32" }), /memdesc\.config\.json: abi: /);
    });

    it("two plugins of one kind", () => {
      expectUserError(
        bad("dup", {
          plugins: ["memdesc-plugin-toy", { package: "memdesc-plugin-toy", options: { extraBytes: 8 } }],
        }),
        /^memdesc: memdesc\.config\.json: plugin "memdesc-plugin-toy" and plugin "memdesc-plugin-toy" both define kind "toy"/,
      );
    });

    it("broken JSON, a config that throws, a missing --config file, two configs in one directory", () => {
      const dir = join(project, "broken");
      mkdirSync(dir);
      write("memdesc.config.json", '{\n  "plugins": [\n    "@memdesc/folio",\n  ]\n}\n', dir);
      expectUserError(
        run(["plugins"], { cwd: dir }),
        /^memdesc: memdesc\.config\.json: not valid JSON: line 4, column 3: unexpected "]"$/,
      );
      const dir2 = join(project, "throws");
      mkdirSync(dir2);
      write("memdesc.config.mjs", 'throw new Error("config exploded");\n', dir2);
      expectUserError(
        run(["plugins"], { cwd: dir2 }),
        /^memdesc: memdesc\.config\.mjs: cannot be loaded: config exploded$/,
      );
      expectUserError(
        run(["plugins", "--config", "nope.json"], { cwd: project }),
        /config file nope\.json does not exist/,
      );
      const dir3 = join(project, "two");
      mkdirSync(dir3);
      write("memdesc.config.json", "{}", dir3);
      write("memdesc.config.mjs", "export default {};", dir3);
      expectUserError(
        run(["plugins"], { cwd: dir3 }),
        /has 2 config files \(memdesc\.config\.mjs, memdesc\.config\.json\)/,
      );
    });
  });

  it("check fails, exit 1, when a plugin's overlay rule does not hold against the kernel's struct page", () => {
    const dir = join(project, "check");
    mkdirSync(dir);
    write(
      "memdesc.config.json",
      JSON.stringify({
        plugins: ["@memdesc/ptdesc", { package: "memdesc-plugin-toy", options: { misplaced: true } }],
      }),
      dir,
    );
    const r = run(["check", "--btf", btfFixture], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^memdesc-plugin-toy \(kind toy\): struct toydesc$/m);
    expect(r.stdout).toContain("  layout: not checked: the kernel has no struct toydesc");
    expect(r.stdout).toMatch(
      /^ {4}FAIL {2}TOY_MATCH\(flags, __page_flags\): struct toydesc\.__page_flags is at 8, but struct page\.flags puts it at 0$/m,
    );
    expect(r.stdout).toMatch(/^FAILED: 1 failure in 2 plugins/m);
    const j = validJson("check", run(["check", "--btf", btfFixture, "--json"], { cwd: dir })) as {
      ok: boolean;
      failures: number;
    };
    expect(j).toMatchObject({ ok: false, failures: 1 });
  });

  it("reports a bug in a plugin as an internal error: exit 2, and the stack with --debug", () => {
    const dir = join(project, "buggy");
    mkdirSync(dir);
    write(
      "memdesc.config.mjs",
      `import toy from "memdesc-plugin-toy";\nconst p = toy();\n` +
        `export default { plugins: [{ ...p, memdesc: { variants: { a: p.memdesc }, select() { throw new TypeError("select exploded"); } } }] };\n`,
      dir,
    );
    const picture = join(fixtures, "zsmalloc-picture.json");
    const r = run(["bill", picture], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "memdesc: internal error: select exploded\nhint: this is a bug in memdesc or a plugin; run again with --debug and report the output\n",
    );
    const d = run(["bill", picture, "--debug"], { cwd: dir });
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/\n\nTypeError: select exploded\n\s+at Object\.select /);
  });
});
