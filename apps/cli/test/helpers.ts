import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  canSwitchUser,
  copyForUnprivilegedUser,
  needs,
  nobody,
  type UnprivilegedCopy,
} from "@memdesc/testkit";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll } from "vitest";

export const cliRoot = fileURLToPath(new URL("..", import.meta.url));
export const repoRoot = join(cliRoot, "../..");
export const bin = join(cliRoot, "bin/memdesc.cjs");
export const fixtures = join(cliRoot, "test/fixtures");
/** The sample snapshot @memdesc/kpageflags ships, and its raw-dump fixture with the /proc/iomem it came with. */
export const sampleSnapshot = join(repoRoot, "packages/kpageflags/fixtures/sample.mdsnap");
export const rawDump = join(repoRoot, "packages/kpageflags/fixtures/kpageflags-0x158000-0x1a8000.bin");
export const rawIomem = join(repoRoot, "packages/kpageflags/fixtures/iomem.txt");
/** The BTF fixture @memdesc/btf ships: Linux 6.18's struct page and the descriptors, from a real kernel. */
export const btfFixture = join(repoRoot, "packages/btf/fixtures/linux-6.18-memdesc.btf");

export interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `memdesc` with node, as `npx memdesc` would, without a terminal and without colour settings. */
export function run(
  args: readonly string[],
  options: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {},
): Result {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (!options.env || !("NO_COLOR" in options.env)) delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? fixtures,
    encoding: "utf8",
    timeout: 60_000,
    ...options,
    env,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Whether tests can run the CLI as `nobody` (they must run as root to switch user). */
export const canRunAsNobody = canSwitchUser();

/** Tests that need root: to chown files, or to run the CLI as `nobody`. */
export const asRoot = needs("root", canRunAsNobody ? undefined : "the tests do not run as root");

/** Tests that read this machine's page map: as root, from /proc/kpageflags. */
export const onLiveProc = needs({
  root: canRunAsNobody ? undefined : "the tests do not run as root",
  "/proc/kpageflags": existsSync("/proc/kpageflags") ? undefined : "/proc/kpageflags does not exist",
});

let nobodyCopy: UnprivilegedCopy | undefined;
/**
 * The CLI's entry in a world-readable copy of it and its dependencies, for running it as `nobody` wherever
 * the checkout is (a clone in a 0700 directory cannot be entered by that user). The copy is made once per test
 * file and removed after it.
 */
function nobodyBin(): string {
  if (!nobodyCopy) {
    const copy = copyForUnprivilegedUser(cliRoot);
    nobodyCopy = copy;
    afterAll(() => copy.remove());
  }
  return join(nobodyCopy.dir, "bin/memdesc.cjs");
}

/** Runs the built CLI as `nobody` (see nobodyBin), from / unless a cwd is given. */
export function runAsNobody(args: readonly string[], options: SpawnSyncOptions = {}): Result {
  const r = spawnSync(process.execPath, [nobodyBin(), ...args], {
    cwd: "/",
    encoding: "utf8",
    timeout: 60_000,
    ...options,
    ...nobody,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Parses stdout as JSON and validates it against the schema shipped in `schemas/<name>.schema.json`. */
export function validJson(name: string, r: Result): unknown {
  const value = JSON.parse(r.stdout) as unknown;
  const schema = JSON.parse(readFileSync(join(cliRoot, "schemas", `${name}.schema.json`), "utf8")) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (!validate(value))
    throw new Error(`${name} --json does not match its schema: ${ajv.errorsText(validate.errors)}`);
  return value;
}

/**
 * A user error as the CLI must print it: exit status 1, stdout empty, stderr exactly `memdesc: <one line>` and
 * `hint: <one line>`, no stack trace.
 */
export function expectUserError(r: Result, message: RegExp): void {
  const lines = r.stderr.trimEnd().split("\n");
  const problems: string[] = [];
  if (r.status !== 1) problems.push(`exit status ${r.status}, not 1`);
  if (r.stdout !== "") problems.push(`stdout not empty: ${r.stdout.slice(0, 200)}`);
  if (lines.length !== 2) problems.push(`stderr has ${lines.length} lines, not 2`);
  if (!lines[0]?.startsWith("memdesc: ")) problems.push("first line does not start with `memdesc: `");
  if (!lines[1]?.startsWith("hint: ")) problems.push("second line is not a hint");
  if (/\n\s+at /.test(r.stderr)) problems.push("stack trace printed");
  if (!message.test(lines[0] ?? "")) problems.push(`message does not match ${message}`);
  if (problems.length > 0) throw new Error(`${problems.join("; ")}\nstderr:\n${r.stderr}`);
}

/** Whether util-linux `script` is here, to give the CLI a terminal. */
export const hasScript = spawnSync("script", ["--version"]).status === 0;

/** Quotes an argument for sh. */
const sh = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI on a pseudo-terminal (util-linux `script`), so stdout and stderr are a TTY. `columns`
 * sets the terminal's width first (`stty cols N`; 0 is a terminal that reports no width, as a serial console);
 * `asNobody` runs it as `nobody`. CI is unset, as for a person at a terminal (the bar is never drawn under CI);
 * `env` may set it again. Returns everything the terminal received, as bytes in a latin1 string.
 */
export function runOnTty(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; columns?: number; asNobody?: boolean; cwd?: string } = {},
): { status: number | null; output: string } {
  const cli = options.asNobody ? nobodyBin() : bin;
  const stty = options.columns === undefined ? "" : `stty cols ${options.columns} rows 24; `;
  const command = `${stty}exec ${[process.execPath, cli, ...args].map(sh).join(" ")}`;
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd: options.cwd ?? (options.asNobody ? "/" : fixtures),
    encoding: "latin1",
    timeout: 60_000,
    env: { ...process.env, CI: undefined, TERM: "xterm", NO_COLOR: "", ...options.env },
    ...(options.asNobody ? nobody : {}),
  });
  if (r.error) throw r.error;
  return { status: r.status, output: String(r.stdout) };
}

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix = "memdesc-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
