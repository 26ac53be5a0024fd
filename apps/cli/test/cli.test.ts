import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bin, cliRoot, expectUserError, fixtures, run } from "./helpers.js";

/** Where a colour escape starts. */
const ESC = "\u001b[";

const commands = ["survey", "capture", "layout", "check", "types", "bill", "plugins", "simulate", "explore"];
const { version } = JSON.parse(readFileSync(join(cliRoot, "package.json"), "utf8")) as { version: string };

describe("memdesc (the program)", () => {
  it("prints its version with --version and -V", () => {
    for (const flag of ["--version", "-V"]) {
      const r = run([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
    // Alone, the flag is answered by bin/memdesc.cjs; with another option, by the CLI's own parser.
    const full = run(["--version", "--no-color"]);
    expect(full.status, full.stderr).toBe(0);
    expect(full.stdout).toBe(`${version}\n`);
  });

  it("lists every command in --help, with examples and the exit statuses", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    for (const c of commands) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("Exit status: 0 success, 1 user error or failed check, 2 internal error");
  });

  it.each(commands)("`%s --help` says what it does and gives an example", (command) => {
    const r = run([command, "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: memdesc ${command}`));
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toMatch(new RegExp(`\\$ (sudo )?memdesc ${command}`));
    expect(r.stderr).toBe("");
  });

  it("offers --json on every command that prints data", () => {
    for (const c of ["survey", "capture", "layout", "check", "types", "bill", "plugins", "simulate"])
      expect(run([c, "--help"]).stdout).toContain("--json");
  });

  it("turns argument errors into one line and a hint naming the command's help", () => {
    expectUserError(run(["frobnicate"]), /unknown command 'frobnicate'/);
    expectUserError(run(["types", "--frob"]), /unknown option '--frob'/);
    expectUserError(run(["bill"]), /missing required argument 'picture'/);
    expectUserError(run(["layout"]), /missing required argument 'name'/);
    expectUserError(run(["capture"]), /required option '-o, --output <file>' not specified/);
    const r = run(["types", "--design", "memdesc-9"]);
    expectUserError(r, /argument 'memdesc-9' is invalid/);
    expect(r.stderr).toContain("hint: see `memdesc types --help`");
    expect(run(["survey", "--snapshot"]).stderr).toMatch(
      /^memdesc: option '-s, --snapshot <file>' argument missing\nhint: /,
    );
  });

  it("suggests the command meant", () => {
    expect(run(["servey"]).stderr).toContain("(Did you mean survey?)");
  });

  it("with --debug, adds the stack trace to a user error", () => {
    const r = run(["bill", "no-such-picture.json", "--debug"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^memdesc: no-such-picture\.json does not exist\nhint: .*\n\nUserError: /);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it("shows no help on stdout when run with no command, and exits 1", () => {
    const r = run([]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: memdesc");
  });
});

describe("colour", () => {
  /** Runs the CLI under a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
  function onTty(args: string, env: NodeJS.ProcessEnv = {}): string {
    const r = spawnSync("script", ["-qec", `${process.execPath} ${bin} ${args}`, "/dev/null"], {
      cwd: fixtures,
      encoding: "utf8",
      env: { ...process.env, TERM: "xterm", NO_COLOR: "", ...env },
    });
    return String(r.stdout);
  }
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  if (!hasScript) console.warn("cli: util-linux `script` is not installed; the TTY colour tests are skipped");

  it("never colours output that is not a terminal", () => {
    for (const args of [["types"], ["bill", "what-if.json"], ["plugins"]]) {
      const r = run(args);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain(ESC);
    }
  });

  it.skipIf(!hasScript)("colours a terminal, unless NO_COLOR is set or --no-color is given", () => {
    expect(onTty("types")).toContain(`${ESC}1m`);
    expect(onTty("types", { NO_COLOR: "1" })).not.toContain(ESC);
    expect(onTty("types --no-color")).not.toContain(ESC);
    expect(onTty("types", { TERM: "dumb" })).not.toContain(ESC);
  });

  it.skipIf(!hasScript)("never colours --json, even on a terminal", () => {
    const out = onTty("types --json");
    expect(out).not.toContain(ESC);
    expect(JSON.parse(out.replace(/\r\n/g, "\n"))).toHaveProperty("design.name", "memdesc-8");
  });
});
