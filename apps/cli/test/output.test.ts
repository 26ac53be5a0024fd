import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  createReadStream,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  asRoot,
  bin,
  expectUserError,
  fixtures,
  onLiveProc,
  type Result,
  run,
  runAsNobody,
  sampleSnapshot,
  tempDir,
} from "./helpers.js";

/*
 * Every file memdesc writes goes through one writer (src/io/output.ts). These tests drive it through the
 * commands, on real files, FIFOs, device nodes, sockets and symbolic links in temporary directories, as root
 * (the CI runs as root) and as `nobody`.
 */

const isRoot = process.getuid?.() === 0;

/** What `memdesc types` prints to standard output: the report the -o tests expect in their files. */
const typesReport = () => run(["types"]).stdout;

/** Nothing but `names` in `dir`: no partial file, no staging directory left behind. */
function expectOnly(dir: string, names: string[]): void {
  expect(readdirSync(dir).sort()).toEqual([...names].sort());
}

const modeOf = (path: string) => statSync(path).mode & 0o7777;

/**
 * A character device to write to. As root, a node made with mknod in `dir`, the same device as /dev/null or
 * /dev/full: a regression that replaced a device with a file would then replace that node, never the
 * machine's own /dev/null (as root, memdesc could). As another user, the real one, which that user cannot
 * replace.
 */
function device(dir: string, name: "null" | "full"): string {
  if (!isRoot) return `/dev/${name}`;
  const node = join(dir, name);
  execFileSync("mknod", ["-m", "0666", node, "c", "1", name === "null" ? "3" : "7"]);
  return node;
}

/**
 * Whether device nodes made with mknod can be used here: as root on a file system mounted nodev they cannot,
 * and the tests that need them skip rather than touch the machine's own devices.
 */
const canUseDevices = (() => {
  if (!isRoot) return true;
  const probe = mkdtempSync(join(tmpdir(), "memdesc-devprobe-"));
  try {
    closeSync(openSync(device(probe, "null"), "w"));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();
if (!canUseDevices)
  console.warn(
    "cli: device nodes cannot be opened in the temporary directory (nodev?): the device tests are skipped",
  );

/** Runs the CLI with a umask, through sh (a child inherits its umask from the shell that starts it). */
function runWithUmask(umask: string, args: string[], cwd: string): Result {
  const r = spawnSync("sh", ["-c", `umask ${umask} && exec "$0" "$@"`, process.execPath, bin, ...args], {
    cwd,
    encoding: "utf8",
  });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe("output files: -o on every command that writes", () => {
  const dir = tempDir("memdesc-output-");

  it("writes the same report to -o FILE as to standard output, for every report command, in any format", () => {
    const cases: string[][] = [
      ["types"],
      ["types", "--json"],
      ["plugins", "--json"],
      ["bill", join(fixtures, "what-if.json")],
      ["layout", "folio"],
      ["survey", "--snapshot", sampleSnapshot, "--json"],
      ["simulate", "desktop", "--memory", "256M", "--json"],
    ];
    for (const [i, args] of cases.entries()) {
      const file = join(dir, `report-${i}.out`);
      const direct = run(args);
      expect(direct.status).toBe(0);
      const r = run([...args, "-o", file]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe("");
      const written = readFileSync(file, "utf8");
      // simulate's JSON carries its own run time; everything else is byte for byte the same.
      if (args[0] === "simulate")
        expect(written.replace(/"seconds": [\d.]+/, "")).toBe(direct.stdout.replace(/"seconds": [\d.]+/, ""));
      else expect(written).toBe(direct.stdout);
    }
  });

  it("takes - as standard output, and creates no file named -", () => {
    const r = run(["types", "-o", "-"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(typesReport());
    expect(existsSync(join(dir, "-"))).toBe(false);
  });

  it("writes a descriptor named by path where the shell opened it: /dev/stdout, /dev/stderr, /dev/fd/N", () => {
    const sub = join(dir, "fds");
    mkdirSync(sub);
    const report = typesReport();
    // Appending redirections stay appending: nothing the file held is overwritten.
    const log = join(sub, "log.txt");
    writeFileSync(log, "kept\n");
    const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { cwd: fixtures, encoding: "utf8" });
    sh(`"${process.execPath}" "${bin}" types -o /dev/stdout >> "${log}"`);
    sh(`"${process.execPath}" "${bin}" types -o /dev/stderr 2>> "${log}"`);
    expect(readFileSync(log, "utf8")).toBe(`kept\n${report}${report}`);
    // A shell's >(…): a pipe on a descriptor of its own.
    const bash = spawnSync("bash", ["--version"]).status === 0;
    if (bash)
      expect(
        execFileSync("bash", ["-c", `"${process.execPath}" "${bin}" types -o >(cat) | cat; wait`], {
          cwd: fixtures,
          encoding: "utf8",
        }),
      ).toBe(report);
    else console.warn("cli: no bash here; the >(…) case is skipped");
    // A socket on descriptor 3 (what Node passes a child for "pipe"), which cannot be opened again by name.
    const r = spawnSync(process.execPath, [bin, "types", "-o", "/dev/fd/3"], {
      cwd: fixtures,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      encoding: "utf8",
    });
    expect(r.status, String(r.stderr)).toBe(0);
    expect(String(r.output[3])).toBe(report);
    expect(String(r.stdout)).toBe("");
    expectUserError(
      run(["types", "-o", "/dev/fd/19"]),
      /^memdesc: cannot write \/dev\/fd\/19: no open file descriptor 19: /,
    );
    expectOnly(sub, ["log.txt"]);
  });

  it("gives a new file 0666 less the umask", () => {
    const sub = join(dir, "umask");
    mkdirSync(sub);
    for (const [umask, mode] of [
      ["022", 0o644],
      ["027", 0o640],
      ["077", 0o600],
      ["002", 0o664],
    ] as const) {
      const file = join(sub, `u${umask}.txt`);
      const r = runWithUmask(umask, ["types", "-o", file], sub);
      expect(r.status, r.stderr).toBe(0);
      expect(modeOf(file)).toBe(mode);
    }
    expectOnly(
      sub,
      ["022", "027", "077", "002"].map((u) => `u${u}.txt`),
    );
  });

  it("replaces an existing file only when complete, keeping its mode", () => {
    const file = join(dir, "keep-mode.txt");
    writeFileSync(file, "old\n");
    chmodSync(file, 0o640);
    expect(run(["types", "-o", file]).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(typesReport());
    expect(modeOf(file)).toBe(0o640);
  });

  it("leaves an existing file untouched, and nothing else behind, when the command fails", () => {
    const sub = join(dir, "fails");
    mkdirSync(sub);
    const file = join(sub, "bill.txt");
    writeFileSync(file, "the previous bill\n");
    const junk = join(sub, "junk.json");
    writeFileSync(junk, "{ not json");
    expectUserError(run(["bill", junk, "-o", file]), /junk\.json: not valid JSON/);
    expect(readFileSync(file, "utf8")).toBe("the previous bill\n");
    expectUserError(run(["bill", junk, "-o", join(sub, "new.txt")]), /not valid JSON/);
    expectOnly(sub, ["bill.txt", "junk.json"]);
  });

  it.skipIf(!canUseDevices)("writes a device node through instead of replacing it", () => {
    const sub = join(dir, "dev");
    mkdirSync(sub);
    const node = device(sub, "null");
    for (const args of [["types"], ["types", "--json"]]) {
      const r = run([...args, "-o", node]);
      expect(r.status, r.stderr).toBe(0);
      const st = lstatSync(node);
      expect(st.isCharacterDevice()).toBe(true);
      expect(st.rdev).toBe(statSync("/dev/null").rdev);
    }
    if (isRoot) expectOnly(sub, ["null"]);
  });

  it("writes a FIFO through: the reader gets the report, the FIFO stays a FIFO", async () => {
    const sub = join(dir, "fifo");
    mkdirSync(sub);
    const fifo = join(sub, "pipe");
    execFileSync("mkfifo", [fifo]);
    const child = spawn(process.execPath, [bin, "types", "-o", fifo], { cwd: fixtures, stdio: "ignore" });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const chunks: Buffer[] = [];
    await new Promise<void>((done, fail) => {
      const s = createReadStream(fifo);
      s.on("data", (b) => chunks.push(b as Buffer));
      s.on("end", () => done());
      s.on("error", fail);
    });
    expect(await exited).toBe(0);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(typesReport());
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expectOnly(sub, ["pipe"]);
  });

  it("refuses a socket and a directory, naming the path", async () => {
    const sub = join(dir, "sock");
    mkdirSync(sub);
    const path = join(sub, "s");
    const server = createServer();
    await new Promise<void>((done) => server.listen(path, () => done()));
    afterAll(() => server.close());
    expectUserError(run(["types", "-o", path]), /^memdesc: cannot write .*\/s: it is a socket/);
    expect(lstatSync(path).isSocket()).toBe(true);
    expectUserError(run(["types", "-o", sub]), /^memdesc: cannot write .*sock: it is a directory$/);
  });

  it("says what is wrong with the output path itself, before doing any work", () => {
    const r = run(["types", "-o", "/proc/x"]);
    expectUserError(r, /^memdesc: cannot write \/proc\/x: directory \/proc does not accept new files$/);
    expect(r.stderr).not.toMatch(/not Linux/);
    expectUserError(
      run(["types", "-o", join(dir, "no/such/dir/x.txt")]),
      /^memdesc: cannot write .*no\/such\/dir\/x\.txt: directory .*no\/such\/dir does not exist$/,
    );
    writeFileSync(join(dir, "plain"), "");
    expectUserError(
      run(["types", "-o", join(dir, "plain/x.txt")]),
      /cannot write .*plain\/x\.txt: a component of the path is not a directory \(ENOTDIR\)/,
    );
  });

  asRoot.it("replacing another user's file keeps its owner, group and mode", () => {
    const file = join(dir, "theirs.txt");
    writeFileSync(file, "nobody's\n");
    chownSync(file, 65534, 65534);
    chmodSync(file, 0o600);
    const r = run(["types", "-o", file]);
    expect(r.status, r.stderr).toBe(0);
    const st = statSync(file);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([65534, 65534, 0o600]);
    expect(readFileSync(file, "utf8")).toBe(typesReport());
  });

  asRoot.it(
    "follows a symbolic link owned by root or the invoking user, and refuses one owned by another user",
    () => {
      const sub = join(dir, "links");
      mkdirSync(sub);
      const target = join(sub, "target.txt");
      writeFileSync(target, "target\n");
      const mine = join(sub, "mine");
      symlinkSync("target.txt", mine);
      expect(run(["types", "-o", mine]).status).toBe(0);
      expect(lstatSync(mine).isSymbolicLink()).toBe(true);
      expect(readFileSync(target, "utf8")).toBe(typesReport());

      const victim = join(sub, "victim.txt");
      writeFileSync(victim, "precious\n");
      const theirs = join(sub, "theirs");
      symlinkSync(victim, theirs);
      lchownSync(theirs, 65534, 65534);
      expectUserError(
        run(["types", "-o", theirs]),
        /^memdesc: cannot write .*theirs: it is a symbolic link owned by nobody \(uid 65534\), and memdesc follows only links owned by you or root$/,
      );
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(readlinkSync(theirs)).toBe(victim);
      // A chain is checked link by link: a trusted link to an untrusted one is refused too.
      const chain = join(sub, "chain");
      symlinkSync("theirs", chain);
      expectUserError(
        run(["types", "-o", chain]),
        new RegExp(`${theirs} is a symbolic link owned by nobody`),
      );
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
    },
  );

  asRoot.it(
    "refuses another user's file in a sticky directory others can write (as protected_regular)",
    () => {
      const shared = join(dir, "shared");
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      const planted = join(shared, "host.mdsnap");
      writeFileSync(planted, "planted\n");
      chownSync(planted, 65534, 65534);
      expectUserError(
        run(["types", "-o", planted]),
        /belongs to nobody \(uid 65534\) in .*shared, a sticky directory others can write/,
      );
      expect(readFileSync(planted, "utf8")).toBe("planted\n");
      const fifo = join(shared, "fifo");
      execFileSync("mkfifo", [fifo]);
      chownSync(fifo, 65534, 65534);
      expectUserError(run(["types", "-o", fifo]), /belongs to nobody/);
      // A new file there is fine, and root's own file is replaced.
      expect(run(["types", "-o", join(shared, "new.txt")]).status).toBe(0);
      expect(run(["types", "-o", join(shared, "new.txt")]).status).toBe(0);
      expectOnly(shared, ["fifo", "host.mdsnap", "new.txt"]);
    },
  );

  asRoot.it(
    "as a user who is not root: permission errors name the path, and links root owns are followed",
    () => {
      const open = join(dir, "open");
      mkdirSync(open);
      chmodSync(open, 0o1777);
      // `dir` itself (mkdtemp) is 0700: let nobody through to `open`.
      chmodSync(dir, 0o711);
      const rootFile = join(open, "roots.txt");
      writeFileSync(rootFile, "root's\n");
      chmodSync(rootFile, 0o644);
      expectUserError(
        runAsNobody(["types", "-o", rootFile]),
        /^memdesc: cannot write .*roots\.txt: permission denied \(EACCES\): it is a file with mode 0644, owned by root$/,
      );
      expect(readFileSync(rootFile, "utf8")).toBe("root's\n");
      const mine = join(open, "nobody.txt");
      const r = runAsNobody(["types", "-o", mine]);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(mine).uid).toBe(65534);
      // A link root made in a shared directory, pointing at a file nobody may write: followed, then refused by
      // the file's own permissions.
      const link = join(open, "link");
      symlinkSync(rootFile, link);
      expectUserError(
        runAsNobody(["types", "-o", link]),
        /link: permission denied \(EACCES\): .*\/roots\.txt is a file with mode 0644, owned by root$/,
      );
      expectUserError(
        runAsNobody(["types", "-o", "/etc/memdesc-test"]),
        /cannot create a file in \/etc: permission denied/,
      );
    },
  );

  it.skipIf(!canUseDevices)("a full device on standard output or as -o is one line, exit 1", () => {
    const full = openSync("/dev/full", "w");
    try {
      const r = spawnSync(process.execPath, [bin, "types"], {
        stdio: ["ignore", full, "pipe"],
        encoding: "utf8",
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        "memdesc: cannot write to standard output: no space left on device (ENOSPC)\nhint: free some space where the output goes, or write it elsewhere\n",
      );
      const h = spawnSync(process.execPath, [bin, "--help"], {
        stdio: ["ignore", full, "pipe"],
        encoding: "utf8",
      });
      expect(h.status).toBe(1);
      expect(h.stderr).toMatch(
        /^memdesc: cannot write to standard output: no space left on device \(ENOSPC\)\n/,
      );
    } finally {
      closeSync(full);
    }
    const sub = join(dir, "full");
    mkdirSync(sub);
    const node = device(sub, "full");
    expectUserError(
      run(["types", "-o", node]),
      /^memdesc: cannot write \S*full: no space left on device \(ENOSPC\)$/,
    );
    expect(lstatSync(node).isCharacterDevice()).toBe(true);
  });

  const canMount = (() => {
    if (!isRoot) return false;
    const probe = join(dir, "mount-probe");
    mkdirSync(probe);
    const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", probe]).status === 0;
    if (ok) spawnSync("umount", [probe]);
    return ok;
  })();
  if (!canMount)
    console.warn(
      "cli: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN): the full-disk test is skipped",
    );

  it.skipIf(!canMount)("a full file system leaves no partial file and no staging directory", () => {
    const small = join(dir, "small");
    mkdirSync(small);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8k", "tmpfs", small]);
    try {
      writeFileSync(join(small, "old.json"), "{}\n");
      const r = run(["survey", "--snapshot", sampleSnapshot, "--json", "-o", join(small, "survey.json")]);
      expectUserError(
        r,
        /^memdesc: cannot write .*survey\.json: no space left on device \(ENOSPC\); nothing was written$/,
      );
      const s = run(["survey", "--snapshot", sampleSnapshot, "--json", "-o", join(small, "old.json")]);
      expectUserError(s, /old\.json: no space left on device/);
      expect(readFileSync(join(small, "old.json"), "utf8")).toBe("{}\n");
      expectOnly(small, ["old.json"]);
    } finally {
      execFileSync("umount", [small]);
    }
  });
});

describe("output files: capture", () => {
  const dir = tempDir("memdesc-capture-out-");

  onLiveProc.it("-o - writes the snapshot to standard output and the report to stderr", () => {
    const file = join(dir, "piped.mdsnap");
    const fd = openSync(file, "w");
    try {
      const r = spawnSync(process.execPath, [bin, "capture", "-o", "-"], {
        cwd: dir,
        stdio: ["ignore", fd, "pipe"],
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^memdesc capture: wrote standard output: /);
    } finally {
      closeSync(fd);
    }
    expect(existsSync(join(dir, "-"))).toBe(false);
    const s = run(["survey", "--snapshot", file, "--json"]);
    expect(s.status, s.stderr).toBe(0);
  });

  (canUseDevices ? onLiveProc.it : it.skip)(
    "writes a snapshot through a null device, and into another user's file keeping owner and mode",
    () => {
      const null_ = device(dir, "null");
      const r = run(["capture", "-o", null_]);
      expect(r.status, r.stderr).toBe(0);
      expect(lstatSync(null_).isCharacterDevice()).toBe(true);
      const file = join(dir, "theirs.mdsnap");
      writeFileSync(file, "");
      chownSync(file, 65534, 65534);
      chmodSync(file, 0o600);
      expect(run(["capture", "-o", file]).status).toBe(0);
      const st = statSync(file);
      expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([65534, 65534, 0o600]);
      expect(run(["survey", "--snapshot", file]).status).toBe(0);
    },
  );

  // As root only: for anyone else, capture stops first at "needs root".
  asRoot.it("checks the output path before reading the page map", () => {
    const r = run(["capture", "-o", "/proc/x"]);
    expectUserError(r, /^memdesc: cannot write \/proc\/x: directory \/proc does not accept new files$/);
  });

  onLiveProc.it("Ctrl-C during a capture leaves nothing behind", async () => {
    const sub = join(dir, "interrupted");
    mkdirSync(sub);
    const child = spawn(process.execPath, [bin, "capture", "-o", join(sub, "x.mdsnap")], { stdio: "ignore" });
    // The staging directory appears at once; interrupt while the page map is being read.
    for (let i = 0; i < 200 && readdirSync(sub).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(readdirSync(sub).length).toBe(1);
    child.kill("SIGINT");
    const signal = await new Promise<NodeJS.Signals | null>((done) => child.on("exit", (_c, s) => done(s)));
    expect(signal).toBe("SIGINT");
    expectOnly(sub, []);
  });
});
