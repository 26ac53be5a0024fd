#!/usr/bin/env node
// `npm run test:mutation [-- MODULE…] [--report]`: mutation testing (StrykerJS, vitest runner) of the modules
// that compute answers (scripts/mutation/modules.mjs), one after another, then the score of each. Runs are
// incremental (reports/mutation/MODULE/incremental.json): only mutants whose code or tests changed are
// re-tested. `--report` prints the table from the last runs without running anything.
//
// The score is Stryker's: killed (or timed out) mutants over all valid ones, survivors included. A surviving
// mutant must be killed by a test or listed in docs/mutation.md as equivalent, with why; the table shows how
// many survivors are listed and the run fails if one is not, or if a module scores under 85%.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { moduleNamed, modules } from "./modules.mjs";
import { cellText, readEquivalents, readReport, score } from "./report.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const goal = 85;

const args = process.argv.slice(2);
const reportOnly = args.includes("--report");
const names = args.filter((a) => !a.startsWith("--"));
let chosen;
try {
  chosen = names.length ? names.map(moduleNamed) : modules;
} catch (err) {
  console.error(`test:mutation: ${err.message}`);
  process.exit(2);
}

const failed = [];
if (!reportOnly) {
  // The package's `bin` (its `exports` do not list it).
  const core = dirname(
    createRequire(join(root, "package.json")).resolve("@stryker-mutator/core/package.json"),
  );
  const stryker = join(core, "bin/stryker.js");
  for (const m of chosen) {
    console.log(`\ntest:mutation: ${m.title} (${m.files.join(", ")})`);
    const r = spawnSync(process.execPath, [stryker, "run", "stryker.config.mjs"], {
      cwd: root,
      stdio: "inherit",
      // The gcc + pahole oracle runs for every layout mutant it covers: fewer structs per run keep a survivor's
      // cost down (a killed mutant stops at its first failing struct).
      env: { MEMDESC_ORACLE_RUNS: "15", ...process.env, MEMDESC_MUTATION_MODULE: m.name },
    });
    if (r.status !== 0) {
      console.error(`test:mutation: Stryker failed on ${m.title} (exit ${r.status ?? r.signal})`);
      failed.push(m.title);
    }
  }
}

const equivalents = readEquivalents(join(root, "docs/mutation.md"));
const rows = [];
const unexplained = [];
for (const m of modules) {
  const mutants = readReport(join(root, "reports/mutation", m.name, "mutation.json"));
  if (!mutants) {
    rows.push([
      m.title,
      m.files.map((f) => f.replace(/^packages\//, "")).join(", "),
      "not run",
      "",
      "",
      "",
      "",
      "",
    ]);
    continue;
  }
  const s = score(mutants, equivalents);
  unexplained.push(...s.unexplained.map((u) => ({ module: m, ...u })));
  rows.push([
    m.title,
    m.files.map((f) => f.replace(/^packages\//, "")).join(", "),
    String(s.valid),
    String(s.killed + s.timeout),
    String(s.survived + s.noCoverage),
    String(s.equivalent),
    `${s.score.toFixed(1)}%`,
    s.score >= goal ? "✓" : "✗",
  ]);
}

const head = ["module", "file", "mutants", "killed", "survived", "equivalent", "score", `≥ ${goal}%`];
const row = (cells) => `| ${cells.join(" | ")} |`;
console.log(`\n${[row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n")}`);
if (unexplained.length) {
  console.log(
    `\n${unexplained.length} surviving mutants neither killed nor listed as equivalent in docs/mutation.md:`,
  );
  for (const u of unexplained)
    console.log(
      `| ${u.file} | ${u.line} | ${u.mutator} | \`${cellText(u.replacement)}\` | (replaces \`${cellText(u.original)}\`) |`,
    );
}
const low = rows.filter((r) => r[7] === "✗");
if (failed.length) console.log(`\nStryker did not finish on: ${failed.join(", ")}`);
process.exit(low.length || unexplained.length || failed.length ? 1 : 0);
