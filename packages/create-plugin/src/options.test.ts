import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "./args.js";
import {
  checkAnswers,
  defaultKind,
  defaultName,
  ScaffoldError,
  validateDirectory,
  validateKind,
  validateName,
  validateUses,
  withDefaults,
} from "./options.js";

describe("defaults", () => {
  it("derive the package name, kind and struct from the directory", () => {
    expect(withDefaults({ directory: "my-desc" })).toEqual({
      directory: "my-desc",
      name: "memdesc-plugin-my-desc",
      kind: "my-desc",
      struct: "my_desc",
      description: "struct my_desc as a memdesc descriptor plugin",
      storage: "pointer",
      uses: [],
      today: true,
      author: "",
    });
    expect(defaultName("/x/memdesc-plugin-pt-lite")).toBe("memdesc-plugin-pt-lite");
    expect(defaultName("My Desc")).toBe("memdesc-plugin-my-desc");
  });

  it("derive the kind from a package name the way the memdesc CLI finds its export", () => {
    expect(defaultKind("@you/memdesc-zswap-desc")).toBe("zswap-desc");
    expect(defaultKind("memdesc-plugin-my-desc")).toBe("my-desc");
  });
});

describe("validation names the option, the value and what is accepted", () => {
  it("rejects bad npm names", () => {
    expect(validateName("memdesc-plugin-ok")).toBeUndefined();
    expect(validateName("@you/memdesc-ok")).toBeUndefined();
    expect(validateName("My Plugin")).toMatch(/"My Plugin" is not a valid npm package name/);
    expect(validateName("x".repeat(215))).toMatch(/longer than npm's 214/);
  });

  it("rejects bad kinds, core's built-in kinds and kinds that make reserved words", () => {
    expect(validateKind("my-desc")).toBeUndefined();
    expect(validateKind("My_Desc")).toMatch(/kind "My_Desc" must be lower-case/);
    expect(validateKind("my--desc")).toMatch(/single dashes/);
    expect(validateKind("buddy")).toMatch(/built into @memdesc\/core \(buddy, misc\)/);
    expect(validateKind("delete")).toMatch(/reserved word/);
  });

  it("takes core's uses and new ones the plugin declares; refuses bad names, holes and repeats", () => {
    expect(validateUses(["pagetable", "hugetlb"])).toBeUndefined();
    expect(validateUses(["my-pages", "pagetable"])).toBeUndefined();
    expect(validateUses(["Pagetables", "9p"])).toMatch(
      /^"Pagetables", "9p" are not use names: lower-case letters first, then letters, digits and dashes \(core's uses are: free, pcp, file, anon/,
    );
    expect(validateUses(["hole"])).toMatch(/"hole" is PFNs with no RAM behind them/);
    expect(validateUses(["file", "file"])).toBe('"file" named twice');
  });

  it("refuses an existing non-empty directory but takes an empty one", () => {
    const cwd = mkdtempSync(join(tmpdir(), "create-memdesc-"));
    mkdirSync(join(cwd, "empty"));
    mkdirSync(join(cwd, "full"));
    writeFileSync(join(cwd, "full", "package.json"), "{}");
    expect(validateDirectory("empty", cwd)).toBeUndefined();
    expect(validateDirectory("new", cwd)).toBeUndefined();
    expect(validateDirectory("full", cwd)).toBe(
      "directory full already exists and is not empty (1 entry: package.json); choose another directory or empty it",
    );
  });

  it("reports every bad answer at once, each under its flag", () => {
    const cwd = mkdtempSync(join(tmpdir(), "create-memdesc-"));
    const bad = { ...withDefaults({ directory: "d" }), name: "Bad Name", kind: "9lives", today: false };
    let error: unknown;
    try {
      checkAnswers(bad, cwd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScaffoldError);
    const { code, issues } = error as ScaffoldError;
    expect(code).toBe("BAD_OPTION");
    expect(issues.map((i) => i.option)).toEqual(["--name", "--kind", "--no-today"]);
    expect(issues[2]!.message).toMatch(/a pointer descriptor needs today's layout/);
  });
});

describe("the command line", () => {
  it("has a flag for every prompt", () => {
    const args = parseCommandLine([
      "my-desc",
      "--name",
      "@you/memdesc-my-desc",
      "--kind",
      "my-desc",
      "--struct",
      "my_desc",
      "--description",
      "A descriptor",
      "--storage",
      "inline",
      "--uses",
      "pagetable,hugetlb",
      "--no-today",
      "--author",
      "Ada",
      "--yes",
    ]);
    expect(args).toEqual({
      given: {
        directory: "my-desc",
        name: "@you/memdesc-my-desc",
        kind: "my-desc",
        struct: "my_desc",
        description: "A descriptor",
        storage: "inline",
        uses: ["pagetable", "hugetlb"],
        today: false,
        author: "Ada",
      },
      yes: true,
      help: false,
      version: false,
    });
    expect(parseCommandLine(["d", "--no-interactive", "--uses", ""]).given.uses).toEqual([]);
    expect(parseCommandLine(["d", "--no-interactive"]).yes).toBe(true);
  });

  it("rejects unknown flags, bad storage and contradictions", () => {
    expect(() => parseCommandLine(["d", "--kinds", "x"])).toThrow(/Unknown option '--kinds'.*see --help/);
    expect(() => parseCommandLine(["d", "--storage", "heap"])).toThrow(
      '--storage: "heap" must be one of: pointer, inline',
    );
    expect(() => parseCommandLine(["d", "--today", "--no-today"])).toThrow(/contradict/);
    expect(() => parseCommandLine(["a", "b"])).toThrow(/one directory only/);
  });
});
