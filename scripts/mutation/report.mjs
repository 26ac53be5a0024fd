// Scores of a StrykerJS run, read from its JSON report (mutation-testing-report-schema), and the surviving mutants
// checked against the equivalent mutants listed, with why, in docs/mutation.md.
import { existsSync, readFileSync } from "node:fs";

/** Mutants that count: Stryker's "valid" mutants (compile and runtime errors and ignored ones do not). */
const detected = new Set(["Killed", "Timeout"]);
const undetected = new Set(["Survived", "NoCoverage"]);

/** The mutants of a module's report, with the source line each changes. */
export function readReport(path) {
  if (!existsSync(path)) return undefined;
  const report = JSON.parse(readFileSync(path, "utf8"));
  return Object.entries(report.files).flatMap(([file, f]) => {
    const lines = f.source.split("\n");
    return f.mutants.map((m) => ({
      file,
      line: m.location.start.line,
      column: m.location.start.column,
      mutator: m.mutatorName,
      replacement: m.replacement ?? "",
      original: original(lines, m.location),
      status: m.status,
      killedBy: m.killedBy ?? [],
      testsCompleted: m.testsCompleted,
    }));
  });
}

/** The text a mutant replaces (its first line when it spans several). */
function original(lines, { start, end }) {
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return `${lines[start.line - 1].slice(start.column - 1)} …`;
}

/**
 * The equivalent mutants listed in docs/mutation.md: rows of its "Equivalent mutants" table,
 * `| file | line | mutator | replacement | why |`.
 */
export function readEquivalents(docPath) {
  if (!existsSync(docPath)) return [];
  const text = readFileSync(docPath, "utf8");
  const start = text.indexOf("<!-- equivalent -->");
  const end = text.indexOf("<!-- /equivalent -->");
  if (start < 0 || end < 0) return [];
  return text
    .slice(start, end)
    .split("\n")
    .filter((l) => l.startsWith("|") && !/^\|\s*(file|-+)\s*\|/.test(l))
    .map((l) => {
      const cells = l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, "|"));
      const [file, line, mutator, replacement, why] = cells;
      return { file: unquote(file), line: Number(line), mutator, replacement: unquote(replacement), why };
    });
}

const unquote = (s) => s.replace(/^`+\s?|\s?`+$/g, "");

/** A mutant's replacement as a table cell shows it: on one line, pipes escaped. */
export const cellText = (s) => s.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");

/** Whether an equivalent-mutant row names this mutant (the row's cells are read with their pipes unescaped). */
export const lists = (e, m) =>
  e.file === m.file &&
  e.line === m.line &&
  e.mutator === m.mutator &&
  // readEquivalents unescapes a cell's pipes, so compare with the replacement unescaped too.
  e.replacement === cellText(m.replacement).replace(/\\\|/g, "|");

/** Counts and scores of a module's mutants; `equivalent` are the survivors docs/mutation.md explains. */
export function score(mutants, equivalents) {
  const count = (s) => mutants.filter((m) => m.status === s).length;
  const killed = count("Killed");
  const timeout = count("Timeout");
  const survivors = mutants.filter((m) => undetected.has(m.status));
  const equivalent = survivors.filter((m) => equivalents.some((e) => lists(e, m)));
  const valid = mutants.filter((m) => detected.has(m.status) || undetected.has(m.status)).length;
  return {
    mutants: mutants.length,
    valid,
    killed,
    timeout,
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
    errors: count("CompileError") + count("RuntimeError"),
    score: valid ? (100 * (killed + timeout)) / valid : 100,
    equivalent: equivalent.length,
    unexplained: survivors.filter((m) => !equivalent.includes(m)),
  };
}
