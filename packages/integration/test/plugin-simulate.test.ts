import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/*
 * A plugin from npm adds what memdesc knows nothing of, end to end: create-memdesc-plugin scaffolds one that
 * declares a memory use of its own and brings a workload action; it is built, installed in a project, named in
 * its memdesc.config.json; a workload file there calls the action; and `memdesc simulate` runs it, billing the
 * new use with the plugin's descriptors.
 */

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "package.json"));
const binOf = (pkg: string, rel: string) =>
  join(dirname(realpathSync(require.resolve(`${pkg}/package.json`))), rel);
const tsc = join(here, "..", "..", "..", "node_modules", ".bin", "tsc");

// Inside the repository, so the plugin and the project resolve @memdesc/core, zod and the first-party plugins
// from its node_modules as they would from their own after `npm install`.
const artifacts = join(here, "..", "test-artifacts");
mkdirSync(artifacts, { recursive: true });
const work = mkdtempSync(join(artifacts, "plugin-simulate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface SimulateJson {
  plugins: { package: string; kind: string }[];
  simulation: {
    actions: { phase: string; action: string; kind: string | null; pages: number; failures: number }[];
    samples: { phase: string; pages: Record<string, number> }[];
    bill: { designs: { design: string; uses: { use: string; kind?: string; arithmetic: string }[] }[] };
    behaviours: { by: string }[];
  };
}

describe("a scaffolded plugin's own use and workload action, run by memdesc simulate", () => {
  it("is scaffolded, built, composed from memdesc.config.json and simulated", {
    timeout: 120_000,
  }, async () => {
    await run(
      process.execPath,
      [binOf("create-memdesc-plugin", "index.js"), "widgets", "--uses", "widget-pages", "--yes"],
      {
        cwd: work,
      },
    );
    const plugin = join(work, "widgets");
    await run(tsc, ["-p", "tsconfig.build.json"], { cwd: plugin });

    const app = join(work, "app");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    symlinkSync(plugin, join(app, "node_modules", "memdesc-plugin-widgets"), "dir");
    writeFileSync(
      join(app, "memdesc.config.json"),
      JSON.stringify({ plugins: ["@memdesc/folio", "@memdesc/slab", "memdesc-plugin-widgets"] }),
    );
    writeFileSync(
      join(app, "workload.json"),
      JSON.stringify({
        name: "widgets",
        phases: [
          { name: "boot", actions: [{ action: "pagecache", share: 0.1 }] },
          { name: "widgets", actions: [{ action: "widgets", count: 1000, order: 1 }] },
          { name: "reclaim", actions: [{ action: "reclaim", use: "widget-pages", share: 0.5 }] },
        ],
      }),
    );
    const memdesc = binOf("memdesc", "bin/memdesc.cjs");
    const { stdout } = await run(
      process.execPath,
      [memdesc, "simulate", "workload.json", "--memory", "1G", "--json"],
      {
        cwd: app,
      },
    );
    const r = JSON.parse(stdout) as SimulateJson;
    expect(r.plugins.map((p) => p.kind)).toEqual(["folio", "slab", "widgets"]);
    expect(r.simulation.actions[1]).toEqual({
      phase: "widgets",
      action: "widgets",
      kind: "widgets",
      requestedPages: 2000,
      pages: 2000,
      failures: 0,
    });
    expect(r.simulation.samples.map((s) => s.pages["widget-pages"])).toEqual([undefined, 2000, 1000]);
    // The bill prices the new use with the plugin's memdesc-era descriptor (56 bytes, 64 in its cache).
    const use = r.simulation.bill.designs
      .find((d) => d.design === "memdesc-8")!
      .uses.find((u) => u.use === "widget-pages")!;
    expect(use).toMatchObject({ kind: "widgets", arithmetic: "1,000 × 8 + 500 × 64 = 40,000" });

    const text = await run(process.execPath, [memdesc, "simulate", "workload.json", "--memory", "1G"], {
      cwd: app,
    });
    expect(text.stdout).toMatch(
      /^plugins: .*memdesc-plugin-widgets 0\.0\.0 \(from \S*memdesc\.config\.json\)$/m,
    );
    expect(text.stdout).toMatch(/^ {2}widget-pages +1,000 × 8 \+ 500 × 64 = 40,000$/m);
    expect(JSON.parse(readFileSync(join(plugin, "package.json"), "utf8")).devDependencies).toHaveProperty(
      "@memdesc/memmap",
    );
  });
});
