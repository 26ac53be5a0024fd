import { spawnSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reservedLabelKeys } from "@memdesc/kpageflags";
import { afterAll, describe, expect, it } from "vitest";
import { canRunAsNobody, cliRoot, expectUserError, repoRoot, run, tempDir, validJson } from "./helpers.js";

/*
 * The capture script `memdesc capture-script` prints: a POSIX sh script for machines without memdesc. It is run
 * here with dash (Debian's /bin/sh) and busybox sh, on this machine's /proc when it is readable (root), and its
 * archive is surveyed with `--root`.
 */

const script = join(cliRoot, "capture/memdesc-capture.sh");
const dir = tempDir("memdesc-capture-");
const live = (() => {
  try {
    accessSync("/proc/kpageflags", constants.R_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();
const shells = [
  ["dash", ["dash"]],
  ["busybox sh", ["busybox", "sh"]],
] as const;
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

interface Bill {
  host: { hostname: string | null; labels: Record<string, string>; capturedAt: string | null };
  source: { kind: string };
  survey: { kernel: { vmstat: Record<string, number>; vmstatAfter: Record<string, number> } };
  bill: {
    source?: string;
    ramPages: number;
    designs: { design: string; total: number; uses: { use: string; pages: number; descriptors: number }[] }[];
  };
  groups?: { rows: { label: string }[] };
}

describe("memdesc capture-script", () => {
  it("prints the shipped script, which docs/capture.md quotes whole", () => {
    const r = run(["capture-script"]);
    expect(r.status).toBe(0);
    const shipped = readFileSync(script, "utf8");
    expect(r.stdout).toBe(shipped);
    const doc = readFileSync(join(repoRoot, "docs/capture.md"), "utf8");
    const block = /```sh\n(#!\/bin\/sh\n[\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(shipped);
  });

  it("refuses the label keys memdesc refuses, and no others of the allowed shape", () => {
    const text = readFileSync(script, "utf8");
    const listed = /\n\t\t(hostname \| [^)]*)\)/.exec(text)?.[1]?.split(" | ");
    expect(listed).toEqual([...reservedLabelKeys]);
  });

  for (const [name, cmd] of shells) {
    it(`says what is wrong in two lines, exit 1, under ${name}`, () => {
      if (!has(cmd[0])) return console.warn(`${cmd[0]} is not installed: skipped`);
      const sh = (...args: string[]) =>
        spawnSync(cmd[0], [...cmd.slice(1), script, ...args], { cwd: dir, encoding: "utf8" });
      const cases: [string[], RegExp][] = [
        [[], /^memdesc-capture: no output file\nhint: -o host\.tar\.gz\n$/],
        [["-o", "x.tar.gz", "--label", "Team=a"], /--label Team: a key is a-z, 0-9 and _/],
        [["-o", "x.tar.gz", "--label", "hostname=a"], /--label hostname: reserved/],
        [["-o", "x.tar.gz", "--label", "team"], /--label team: expected KEY=VALUE/],
        [["-o", "x.tar.gz", "--label", "team=a\tb"], /--label team: a value has no control characters/],
        [["-o", "x.tar.gz", "--label", "a=1", "--label", "a=2"], /--label a given twice/],
        [["-o", "nowhere/x.tar.gz"], /directory nowhere does not exist/],
        [
          ["--frobnicate"],
          /^memdesc-capture: unknown option --frobnicate\nhint: usage: sh memdesc-capture\.sh -o FILE/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = sh(...args);
        expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(message);
      }
      expect(readdirSync(dir).filter((f) => f.startsWith(".memdesc-capture"))).toEqual([]);
    });
  }

  it("says a non-root user cannot read the page map, and writes nothing", () => {
    if (!canRunAsNobody || !existsSync("/proc/kpageflags"))
      return console.warn("cannot run as nobody, or no /proc/kpageflags: skipped");
    // A directory nobody may write, on a path nobody may reach (the test's own directory is private).
    const out = mkdtempSync(join(tmpdir(), "memdesc-capture-nobody-"));
    chmodSync(out, 0o777);
    afterAll(() => rmSync(out, { recursive: true, force: true }));
    const r = spawnSync("dash", ["-s", "--", "-o", join(out, "x.tar.gz")], {
      input: readFileSync(script),
      cwd: "/",
      uid: 65534,
      gid: 65534,
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read \/proc\/kpageflags: it is readable by root only/);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("a capture archive of this machine, surveyed with --root", () => {
  const survey = (...args: string[]) => {
    const r = run(["survey", "--json", ...args]);
    if (r.status !== 0) throw new Error(r.stderr);
    return validJson("survey", r) as Bill;
  };

  it("bills as the live survey taken around it, within what the kernel's counters moved (dash)", () => {
    if (!live) return console.warn("/proc/kpageflags is not readable (not root): skipped");
    const archive = join(dir, "live.tar.gz");
    const before = survey();
    const made = spawnSync("dash", [script, "-o", archive, "--label", "team=storage"], { encoding: "utf8" });
    const after = survey();
    expect(made.status, made.stderr).toBe(0);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const got = survey("--root", archive);
    expect(got.source.kind).toBe("archive");
    expect(got.host.labels).toEqual({ team: "storage" });
    expect(got.host.hostname).toBe(readFileSync("/proc/sys/kernel/hostname", "utf8").trim());
    expect(got.bill.ramPages).toBe(before.bill.ramPages);
    // Today's memmap is RAM × 64 bytes (HVO aside): exactly the live figure.
    const total = (b: Bill, d: string) => b.bill.designs.find((x) => x.design === d)!.total;
    expect(total(got, "today")).toBe(total(before, "today"));
    // Each use's pages lie between the live surveys taken just before and just after, give or take what moved
    // while each was read (1% of RAM covers the machine's own churn: other work runs beside the tests).
    const slack = Math.ceil(before.bill.ramPages * 0.01);
    const report: string[] = [];
    for (const u of got.bill.designs[0]!.uses) {
      const b = before.bill.designs[0]!.uses.find((x) => x.use === u.use)?.pages ?? 0;
      const a = after.bill.designs[0]!.uses.find((x) => x.use === u.use)?.pages ?? 0;
      const lo = Math.min(a, b) - slack;
      const hi = Math.max(a, b) + slack;
      report.push(`${u.use} ${u.pages} (live ${b} → ${a})`);
      expect(u.pages, `${u.use}: ${u.pages} outside [${lo}, ${hi}]`).toBeGreaterThanOrEqual(lo);
      expect(u.pages, `${u.use}: ${u.pages} outside [${lo}, ${hi}]`).toBeLessThanOrEqual(hi);
    }
    for (const d of ["path-32", "buddy-16", "memdesc-8"]) {
      const diff = (total(got, d) - (total(before, d) + total(after, d)) / 2) / total(before, "today");
      report.push(`${d}: ${(diff * 100).toFixed(3)}% of today's memmap from the live mean`);
      expect(Math.abs(diff)).toBeLessThan(0.02);
    }
    console.info(`capture archive against live surveys around it:\n  ${report.join("\n  ")}`);
  });

  it("takes the memory cgroups with --cgroups, and the archive unpacked surveys the same (busybox sh)", () => {
    if (!live) return console.warn("/proc/kpageflags is not readable (not root): skipped");
    if (!has("busybox")) return console.warn("busybox is not installed: skipped");
    const archive = join(dir, "cgroups.tar.gz");
    const made = spawnSync("busybox", ["sh", script, "-o", archive, "--cgroups", "--no-counts"], {
      encoding: "utf8",
    });
    expect(made.status, made.stderr).toBe(0);
    const packed = survey("--root", archive, "--by", "cgroup");
    const unpacked = join(dir, "unpacked");
    mkdirSync(unpacked);
    expect(spawnSync("tar", ["-xzf", archive, "-C", unpacked]).status).toBe(0);
    const plain = survey("--root", unpacked, "--by", "cgroup");
    // The same bill (its `source` names what was read: the archive, or the directory).
    expect({ ...packed.bill, source: "" }).toEqual({ ...plain.bill, source: "" });
    expect(packed.groups).toEqual(plain.groups);
    // The cgroups are named by their paths (matched through the inode numbers the script recorded), as live.
    const liveGroups = survey("--by", "cgroup").groups!.rows.map((r) => r.label);
    for (const label of packed.groups!.rows.map((r) => r.label))
      if (!label.startsWith("(")) expect(liveGroups).toContain(label);
  });
});

describe("memdesc survey --root with a capture made elsewhere (fixture: files written here, tar and gzip)", () => {
  it("reads the archive as the directory it came from, with its labels and time", () => {
    const root = join(dir, "machine");
    const put = (p: string, data: string | Uint8Array) => {
      mkdirSync(join(root, p, ".."), { recursive: true });
      writeFileSync(join(root, p), data);
    };
    const words = new BigUint64Array(65536);
    words.fill(1n << 10n, 0, 20000);
    words.fill((1n << 5n) | (1n << 3n), 20000);
    put("proc/kpageflags", new Uint8Array(words.buffer));
    put("proc/iomem", "00000000-0fffffff : System RAM\n");
    put("proc/sys/kernel/osrelease", "6.18.0-fixture\n");
    put("proc/sys/kernel/hostname", "web-01\n");
    put("proc/vmstat", "nr_free_pages 20000\nnr_file_pages 45536\n");
    put("memdesc/capture", "format=1\nstarted=2026-12-07T10:00:00Z\nlabel.region=eu-west\n");
    const archive = join(dir, "machine.tar.gz");
    expect(spawnSync("sh", ["-c", `cd "${root}" && tar -cf - . | gzip > "${archive}"`]).status).toBe(0);
    const fromDir = validJson("survey", run(["survey", "--root", root, "--json"])) as Bill;
    const fromArchive = validJson(
      "survey",
      run(["survey", "--root", archive, "--json", "-l", "team=db"]),
    ) as Bill;
    expect({ ...fromArchive.bill, source: "" }).toEqual({ ...fromDir.bill, source: "" });
    expect(fromArchive.host).toMatchObject({
      hostname: "web-01",
      capturedAt: "2026-12-07T10:00:00.000Z",
      labels: { region: "eu-west", team: "db" },
    });
    expect(fromDir.host.capturedAt).toBe("2026-12-07T10:00:00.000Z");
    const text = run(["survey", "--root", archive]);
    expect(text.stdout).toMatch(
      /^memdesc survey: capture archive \S*machine\.tar\.gz \(Linux 6\.18\.0-fixture, captured 2026-12-07T10:00:00Z\)/m,
    );
    writeFileSync(join(dir, "junk.tar.gz"), "not an archive");
    expectUserError(
      run(["survey", "--root", join(dir, "junk.tar.gz")]),
      /junk\.tar\.gz: entry|junk\.tar\.gz: the archive ends/,
    );
  });
});
