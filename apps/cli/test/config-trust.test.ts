import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  asRoot,
  expectUserError,
  type Result,
  repoRoot,
  run,
  runAsNobody,
  tempDir,
  validJson,
} from "./helpers.js";

/*
 * Config discovery runs code: a .mjs/.ts config is imported, and a JSON config names packages that are. These
 * tests build the attacker's side for real (files owned by `nobody`, world-writable and sticky directories,
 * a planted node_modules) in temporary directories, and check that code runs only from places nobody but
 * root or the invoking user could have written.
 */

interface PluginsJson {
  config: string | null;
  configChoice: { how: string; why: string };
  design: string;
}

/** A config that leaves a mark when it runs, so a test can tell it was never imported. */
function markingConfig(dir: string, mark: string, design = "path-32"): string {
  const file = join(dir, "memdesc.config.mjs");
  writeFileSync(
    file,
    `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(mark)}, "ran");\nexport default { design: ${JSON.stringify(design)} };\n`,
  );
  return file;
}

const plugins = (args: string[], cwd: string): Result => run(["plugins", ...args], { cwd });
const pluginsJson = (args: string[], cwd: string) =>
  validJson("plugins", plugins(["--json", ...args], cwd)) as PluginsJson;

describe("config discovery trusts only what root or you could have written", () => {
  const root = tempDir("memdesc-trust-");

  asRoot.it("refuses a config another user owns, naming the file and its owner, without running it", () => {
    const dir = join(root, "owned");
    mkdirSync(dir);
    const mark = join(root, "owned.ran");
    const file = markingConfig(dir, mark);
    chownSync(file, 65534, 65534);
    expectUserError(
      plugins([], dir),
      /^memdesc: refusing to load config memdesc\.config\.mjs: it is owned by nobody \(uid 65534\), not by you or root$/,
    );
    expect(existsSync(mark)).toBe(false);
  });

  it("refuses a config below a directory anyone can write (no sticky bit), without running it", () => {
    const shared = join(root, "world");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const dir = join(shared, "analysis");
    mkdirSync(dir);
    const mark = join(root, "world.ran");
    markingConfig(dir, mark);
    expectUserError(
      plugins([], dir),
      new RegExp(
        `^memdesc: refusing to load config memdesc\\.config\\.mjs \\(owned by \\S+(?: \\(uid \\d+\\))?\\): it is below ${shared} \\(mode 0777, no sticky bit\\), where anyone could replace it$`,
      ),
    );
    expect(existsSync(mark)).toBe(false);
    // Group-writable is as unsafe.
    chmodSync(shared, 0o775);
    expectUserError(plugins([], dir), /\(mode 0775, no sticky bit\), where its group could replace it$/);
  });

  asRoot.it(
    "in a sticky shared directory like /tmp: root's own config is used, a planted one is refused",
    () => {
      const tmp = join(root, "tmp");
      mkdirSync(tmp);
      chmodSync(tmp, 0o1777);
      const dir = join(tmp, "work");
      mkdirSync(dir);
      // The attack: another user drops a config into the shared directory, above where root works.
      const mark = join(root, "planted.ran");
      const planted = markingConfig(tmp, mark);
      chownSync(planted, 65534, 65534);
      expectUserError(
        plugins(["--json"], dir),
        /^memdesc: refusing to load config .*tmp\/memdesc\.config\.mjs: it is owned by nobody \(uid 65534\), not by you or root$/,
      );
      expect(existsSync(mark)).toBe(false);
      // The same file owned by root is root's own choice.
      chownSync(planted, 0, 0);
      expect(pluginsJson([], dir)).toMatchObject({ config: planted, configChoice: { how: "found" } });
      expect(existsSync(mark)).toBe(true);
    },
  );

  it("stops the upward search at the project root (package.json or .git) and says so", () => {
    const above = join(root, "above");
    const project = join(above, "project");
    const sub = join(project, "src");
    mkdirSync(sub, { recursive: true });
    const mark = join(root, "above.ran");
    markingConfig(above, mark);
    writeFileSync(join(project, "package.json"), "{}");
    const j = pluginsJson([], sub);
    expect(j.config).toBeNull();
    expect(j.configChoice.how).toBe("none");
    expect(j.configChoice.why).toBe(
      `no memdesc.config.* from the working directory up to ${project} (the project root: it has package.json): the first-party set`,
    );
    const repo = join(above, "repo");
    mkdirSync(join(repo, ".git"), { recursive: true });
    expect(pluginsJson([], repo).configChoice.why).toBe(
      "no memdesc.config.* in the working directory (the repository root: it has .git): the first-party set",
    );
    expect(existsSync(mark)).toBe(false);
    // Without a project root on the way the search goes up and finds it.
    const loose = join(above, "loose");
    mkdirSync(loose);
    expect(pluginsJson([], loose)).toMatchObject({
      config: join(above, "memdesc.config.mjs"),
      design: "path-32",
    });
  });

  asRoot.it("--config FILE is trusted as given; --no-config uses the first-party set", () => {
    const dir = join(root, "explicit");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const mark = join(root, "explicit.ran");
    const file = markingConfig(dir, mark, "buddy-16");
    chownSync(file, 65534, 65534);
    expectUserError(plugins([], dir), /refusing to load config/);
    const j = pluginsJson(["--config", file], root);
    expect(j).toMatchObject({
      config: file,
      design: "buddy-16",
      configChoice: { how: "given", why: "given with --config, and trusted as given" },
    });
    expect(existsSync(mark)).toBe(true);
    const n = pluginsJson(["--no-config"], dir);
    expect(n).toMatchObject({
      config: null,
      design: "memdesc-8",
      configChoice: { how: "disabled", why: "--no-config: the first-party set" },
    });
    // Every command that composes takes --no-config.
    for (const c of ["survey", "layout", "check", "types", "bill", "plugins", "simulate"])
      expect(run([c, "--help"]).stdout).toContain("--no-config");
  });

  it("memdesc plugins says which config it used and why", () => {
    const dir = join(root, "says");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), "{}");
    writeFileSync(join(dir, "memdesc.config.json"), JSON.stringify({ design: "buddy-16" }));
    const text = plugins([], dir).stdout.split("\n");
    expect(text[0]).toBe("descriptor set: memdesc.config.json; design buddy-16, ABI lp64");
    expect(text[1]).toMatch(
      /^config: found upward from the working directory; owned by \S+(?: \(uid \d+\))?, and only trusted users can write where it is$/,
    );
    expect(plugins(["--no-config"], dir).stdout.split("\n").slice(0, 2)).toEqual([
      "descriptor set: no config file: the first-party set; design memdesc-8, ABI lp64",
      "config: --no-config: the first-party set",
    ]);
  });

  asRoot.it(
    "refuses a plugin package resolved from a node_modules another user planted above the project",
    () => {
      // The project has no node_modules; Node's resolution walks up and would find the planted package.
      const shared = join(root, "shared-nm");
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      const pkg = join(shared, "node_modules/memdesc-plugin-evil");
      mkdirSync(pkg, { recursive: true });
      const mark = join(root, "evil.ran");
      writeFileSync(
        join(pkg, "package.json"),
        JSON.stringify({
          name: "memdesc-plugin-evil",
          version: "6.6.6",
          type: "module",
          exports: "./index.js",
        }),
      );
      writeFileSync(
        join(pkg, "index.js"),
        `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(mark)}, "ran");\nexport default () => ({});\n`,
      );
      for (const p of [join(shared, "node_modules"), pkg, join(pkg, "package.json"), join(pkg, "index.js")])
        chownSync(p, 65534, 65534);
      const project = join(shared, "project");
      mkdirSync(project);
      writeFileSync(join(project, "package.json"), "{}");
      writeFileSync(
        join(project, "memdesc.config.json"),
        JSON.stringify({ plugins: ["memdesc-plugin-evil"] }),
      );
      expectUserError(
        plugins([], project),
        /^memdesc: refusing to load plugin "memdesc-plugin-evil" .*node_modules\/memdesc-plugin-evil\/index\.js: it is owned by nobody \(uid 65534\), not by you or root$/,
      );
      expect(existsSync(mark)).toBe(false);
    },
  );

  asRoot.it("under sudo, trusts the files of the user who ran sudo (SUDO_UID), as git does", () => {
    const dir = join(root, "sudo");
    mkdirSync(dir);
    const file = join(dir, "memdesc.config.json");
    writeFileSync(file, JSON.stringify({ design: "path-32" }));
    chownSync(file, 65534, 65534);
    expectUserError(run(["plugins"], { cwd: dir }), /owned by nobody/);
    const r = run(["plugins", "--json"], { cwd: dir, env: { SUDO_UID: "65534" } });
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as PluginsJson).design).toBe("path-32");
  });

  asRoot.it("follows a config link only if a trusted user owns the link and what it leads to", () => {
    const dir = join(root, "links");
    mkdirSync(dir);
    const real = join(dir, "real.json");
    writeFileSync(real, JSON.stringify({ design: "path-32" }));
    const project = join(dir, "p");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), "{}");
    const link = join(project, "memdesc.config.json");
    symlinkSync(real, link);
    expect(pluginsJson([], project).design).toBe("path-32");
    lchownSync(link, 65534, 65534);
    expectUserError(
      plugins([], project),
      /refusing to load config memdesc\.config\.json: it is owned by nobody/,
    );
    lchownSync(link, 0, 0);
    chownSync(real, 65534, 65534);
    expectUserError(
      plugins([], project),
      new RegExp(
        `refusing to load config memdesc\\.config\\.json: it is a link to ${real}, which is owned by nobody`,
      ),
    );
  });

  asRoot.it(
    "as a user who is not root: their own config and root's are trusted, a third user's is not",
    () => {
      const home = join(root, "nobody-home");
      mkdirSync(home);
      chmodSync(root, 0o711);
      chownSync(home, 65534, 65534);
      const file = join(home, "memdesc.config.json");
      writeFileSync(file, JSON.stringify({ design: "buddy-16" }));
      writeFileSync(join(home, "package.json"), "{}");
      chownSync(file, 65534, 65534);
      const mine = runAsNobody(["plugins", "--json"], { cwd: home });
      expect(mine.status, mine.stderr).toBe(0);
      expect((JSON.parse(mine.stdout) as PluginsJson).design).toBe("buddy-16");
      chownSync(file, 0, 0);
      expect(runAsNobody(["plugins", "--json"], { cwd: home }).status).toBe(0);
      chownSync(file, 12345, 12345);
      expectUserError(
        runAsNobody(["plugins"], { cwd: home }),
        /^memdesc: refusing to load config memdesc\.config\.json: it is owned by uid 12345, not by you or root$/,
      );
    },
  );
});

describe("a TypeScript config", () => {
  const root = tempDir("memdesc-ts-cache-");

  it("is compiled without jiti's disk cache (the shared temporary directory, or node_modules/.cache), where others could plant code", () => {
    const tmp = join(root, "tmp");
    mkdirSync(tmp);
    const dir = join(root, "project");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), "{}");
    writeFileSync(
      join(dir, "memdesc.config.ts"),
      'const design: string = "path-32";\nexport default { design };\n',
    );
    const r = run(["plugins", "--json"], { cwd: dir, env: { TMPDIR: tmp } });
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as PluginsJson).design).toBe("path-32");
    // jiti's cache would be $TMPDIR/jiti here (node_modules/.cache/jiti in a project that has node_modules).
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(["memdesc.config.ts", "package.json"]);
  });
});

describe("config and plugin errors say whose they are, in one line", () => {
  const root = tempDir("memdesc-config-errors-");
  /** A project whose node_modules links this repository's @memdesc/core and zod, for hand-made plugins. */
  const project = (name: string): string => {
    const dir = join(root, name);
    mkdirSync(join(dir, "node_modules/@memdesc"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
    symlinkSync(join(repoRoot, "packages/core"), join(dir, "node_modules/@memdesc/core"));
    symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
    return dir;
  };
  const plugin = (dir: string, name: string, source: string) => {
    const pkg = join(dir, "node_modules", name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name, version: "0.0.1", type: "module", exports: "./index.js" }),
    );
    writeFileSync(join(pkg, "index.js"), source);
  };

  it("a plugin that builds an invalid descriptor is blamed on the plugin, not on the options", () => {
    const dir = project("bad-manifest");
    plugin(
      dir,
      "memdesc-plugin-bad",
      `import { c, defineDescriptor } from "@memdesc/core";\nimport { z } from "zod";\n` +
        `export default (options) => defineDescriptor({ name: "memdesc-plugin-bad", kind: "Bad Kind", title: "bad", storage: "pointer", uses: ["kernel"],\n` +
        `  today: c.struct("bad", [["x", c.ulong]]), memdesc: c.struct("bad", [["x", c.ulong]]), schema: z.object({}) });\n`,
    );
    writeFileSync(
      join(dir, "memdesc.config.json"),
      JSON.stringify({ plugins: [{ package: "memdesc-plugin-bad", options: { size: 1 } }] }),
    );
    const r = plugins([], dir);
    expectUserError(
      r,
      /^memdesc: plugin "memdesc-plugin-bad" built an invalid descriptor: kind: must be lower-case letters, digits and dashes$/,
    );
    expect(r.stderr).toContain("hint: this is a bug in memdesc-plugin-bad, not in your config");
    expect(r.stderr).not.toContain("options");
  });

  it("a config module without a default export", () => {
    const dir = project("no-default");
    writeFileSync(
      join(dir, "memdesc.config.mjs"),
      'export const plugins = ["@memdesc/folio"];\nexport const design = "path-32";\n',
    );
    expectUserError(
      plugins([], dir),
      /^memdesc: memdesc\.config\.mjs: has no default export \(it exports design, plugins\)$/,
    );
  });

  it("a config or a plugin whose import never settles", () => {
    const dir = project("never");
    writeFileSync(join(dir, "memdesc.config.mjs"), "await new Promise(() => {});\nexport default {};\n");
    expectUserError(
      plugins([], dir),
      /^memdesc: memdesc\.config\.mjs: its import never finished: it waits for a promise that never settles$/,
    );
    const dir2 = project("never-plugin");
    plugin(dir2, "memdesc-plugin-stuck", "await new Promise(() => {});\nexport default () => ({});\n");
    writeFileSync(join(dir2, "memdesc.config.json"), JSON.stringify({ plugins: ["memdesc-plugin-stuck"] }));
    expectUserError(
      plugins([], dir2),
      /^memdesc: plugin "memdesc-plugin-stuck" \(plugins\[0\] in memdesc\.config\.json\): its import never finished: it waits for a promise that never settles$/,
    );
    const dir3 = project("never-factory");
    plugin(dir3, "memdesc-plugin-slow", "export default () => new Promise(() => {});\n");
    writeFileSync(join(dir3, "memdesc.config.json"), JSON.stringify({ plugins: ["memdesc-plugin-slow"] }));
    expectUserError(plugins([], dir3), /plugin "memdesc-plugin-slow" .*: default\(\) never finished/);
  });

  it("a syntax error in a .mjs or .ts config gives file, line and column without --debug", () => {
    const dir = project("syntax-mjs");
    writeFileSync(
      join(dir, "memdesc.config.mjs"),
      'export default {\n  plugins: [\n    "@memdesc/folio" "@memdesc/slab"\n  ],\n};\n',
    );
    expectUserError(
      plugins([], dir),
      /^memdesc: memdesc\.config\.mjs:3:22: syntax error: Unexpected string$/,
    );
    const dir2 = project("syntax-ts");
    writeFileSync(join(dir2, "memdesc.config.ts"), "const design: string = ;\nexport default { design };\n");
    expectUserError(plugins([], dir2), /^memdesc: memdesc\.config\.ts:1:24: syntax error: Unexpected token$/);
    const dir3 = project("syntax-import");
    writeFileSync(join(dir3, "helper.mjs"), "export const x = ;\n");
    writeFileSync(
      join(dir3, "memdesc.config.mjs"),
      'import { x } from "./helper.mjs";\nexport default {};\n',
    );
    expectUserError(
      plugins([], dir3),
      /^memdesc: memdesc\.config\.mjs: cannot be loaded: a module it imports has a syntax error: Unexpected token ';'$/,
    );
  });
});
