import { accessSync, constants, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Bill } from "@memdesc/core";
import { defaultSampleName, sampleSnapshotPath, samples } from "@memdesc/kpageflags";
import { describe, expect, it } from "vitest";
import {
  canRunAsNobody,
  expectUserError,
  hasScript,
  rawDump,
  rawIomem,
  run,
  runAsNobody,
  runOnTty,
  sampleSnapshot,
  tempDir,
  validJson,
} from "./helpers.js";

interface SurveyJson {
  source: {
    kind: string;
    path: string;
    root?: string;
    sample: boolean;
    sampleName?: string;
    reason?: string;
  };
  crossCheck: { what: string; pageMap: number; kernel: number; difference: number; agrees: boolean }[];
  survey: { pfnCount: number; uses: Record<string, { pages: number; descriptors: number }> };
  picture: { uses: Record<string, { pages: number; descriptors: number }> };
  bill: Bill;
}

const canReadProc = (() => {
  try {
    accessSync("/proc/kpageflags", constants.R_OK);
    return true;
  } catch {
    return false;
  }
})();

describe("memdesc survey", () => {
  const dir = tempDir();

  it("bills a snapshot: source line, table per use, totals, arithmetic, warnings and kpageflags' notes", () => {
    const r = run(["survey", "--snapshot", sampleSnapshot]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.stdout;
    expect(out).toMatch(
      /^memdesc survey: snapshot .*sample\.mdsnap \(Linux 6\.18\.\d+\S* x86_64, captured \S+\): [\d.]+ GiB of RAM \([\d,]+ pages of 4 KiB in [\d,]+ PFNs\)$/m,
    );
    expect(out).toMatch(
      /^use\s+kind\s+counted from\s+pages\s+descriptors\s+today MiB\s+path-32 MiB\s+buddy-16 MiB\s+memdesc-8 MiB\s+saving MiB$/m,
    );
    for (const use of ["free", "file", "anon", "slab", "pagetable"])
      expect(out).toMatch(
        new RegExp(`^${use}\\s+\\S+\\s+page map( \\+ buddyinfo)?\\s+[\\d,]+\\s+[\\d,]+\\s`, "m"),
      );
    expect(out).toMatch(/^total\s+[\d,]+\s+[\d,]+\s+[\d.,]+\s/m);
    expect(out).toMatch(/^today: [\d,]+ bytes = [\d.,]+ MiB, 1\.56% of RAM$/m);
    expect(out).toMatch(/^memdesc-8: [\d,]+ bytes .* against today$/m);
    // Counted from the page map or attributed from a counter, and which.
    expect(out).toMatch(/^use\s+kind\s+counted from\s+pages\s+descriptors\s/m);
    expect(out).toMatch(/^pcp\s+buddy\s+zoneinfo pagesets\s+[\d,]+\s+0\s/m);
    expect(out).toMatch(/^largeKmalloc\s+misc\s+nr_slab_\* − slab pages\s/m);
    expect(out).toMatch(/^free\s+buddy\s+page map \+ buddyinfo\s/m);
    expect(out).toContain(
      "attributed from the kernel's counters (kpageflags cannot tell these pages apart):",
    );
    // The cross-check, today's memmap against the kernel's own count to the byte.
    expect(out).toMatch(/^cross-check: the page map against the kernel's own counters/m);
    expect(out).toMatch(/^ {2}today's memmap\s+384\.00 MiB\s+384\.00 MiB\s+0 bytes \(0\.00%\)\s+yes\s/m);
    expect(out).toMatch(/^ {2}file pages\s+[\d,]+\s+[\d,]+\s/m);
    expect(out).toContain("cannot be seen:");
    expect(out).toMatch(/^ {2}netmem: .*; counted in kernel or compound or file$/m);
  });

  it("--json validates against schemas/survey.schema.json, and the bill agrees with the survey", () => {
    const j = validJson("survey", run(["survey", "--snapshot", sampleSnapshot, "--json"])) as SurveyJson;
    expect(j.source).toEqual({
      kind: "snapshot",
      path: sampleSnapshot,
      root: `snapshot ${sampleSnapshot}`,
      sample: false,
    });
    const today = j.bill.designs.find((d) => d.design === "today")!;
    expect(today.total).toBe(j.bill.ramPages * 64);
    const ram = Object.entries(j.survey.uses)
      .filter(([u]) => u !== "hole")
      .reduce((s, [, t]) => s + t.pages, 0);
    expect(j.bill.ramPages).toBe(ram);
    expect(j.picture.uses.file!.descriptors).toBe(j.survey.uses.file!.descriptors);
    const m8 = j.bill.designs.find((d) => d.design === "memdesc-8")!;
    expect(m8.entries).toBe(j.bill.ramPages * 8);
    expect(m8.total).toBeLessThan(today.total);
    const memmap = j.crossCheck.find((r) => r.what === "today's memmap")!;
    expect(memmap).toMatchObject({ pageMap: today.total, kernel: today.total, difference: 0, agrees: true });
  });

  it("--sample surveys the shipped snapshot and says so; --sample NAME picks one of the samples", () => {
    const j = validJson("survey", run(["survey", "--sample", "--json"])) as SurveyJson;
    expect(j.source.sample).toBe(true);
    expect(j.source.sampleName).toBe(defaultSampleName);
    expect(j.source.path).toBe(sampleSnapshotPath());
    expect(run(["survey", "--sample"]).stdout).toMatch(
      new RegExp(`^memdesc survey: sample snapshot ${defaultSampleName}, `),
    );
    for (const s of samples) {
      const named = validJson("survey", run(["survey", "--sample", s.name, "--json"])) as SurveyJson;
      expect(named.source).toMatchObject({
        kind: "snapshot",
        path: sampleSnapshotPath(s.name),
        sample: true,
        sampleName: s.name,
      });
      // The same numbers as surveying the file itself.
      const file = validJson("survey", run(["survey", "--snapshot", sampleSnapshotPath(s.name), "--json"]));
      expect(named.bill).toEqual((file as SurveyJson).bill);
    }
    expectUserError(run(["survey", "--sample", "nope"]), /--sample nope: there is no sample of that name/);
    expect(run(["survey", "--help"]).stdout).toContain(samples.map((s) => s.name).join(", "));
  });

  it("surveys a raw dump of a PFN range with its /proc/iomem", () => {
    const r = run(["survey", "--raw", rawDump, "--start-pfn", "0x158000", "--iomem", rawIomem]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^memdesc survey: raw dump .*kpageflags-0x158000-0x1a8000\.bin/m);
    expect(r.stdout).toMatch(/ in 327,680 PFNs\)$/m);
    const j = validJson(
      "survey",
      run(["survey", "--raw", rawDump, "--start-pfn", "1409024", "--iomem", rawIomem, "--json"]),
    ) as SurveyJson;
    expect(j.source.kind).toBe("raw");
    expect(j.survey.pfnCount).toBe(0x1a8000 - 0x158000);
  });

  it.skipIf(!canRunAsNobody)(
    "without /proc/kpageflags, surveys the sample only when asked or on a terminal, and is an error for scripts",
    () => {
      const note = "cannot read /proc/kpageflags (permission denied: it is readable by root only)";
      const asError = new RegExp(`^memdesc: ${note.replace(/[()/]/g, "\\$&")}$`);
      // A script (stdout not a terminal), --json, or -o FILE must not record the sample machine as this one.
      expectUserError(runAsNobody(["survey"]), asError);
      expectUserError(runAsNobody(["survey", "--json"]), asError);
      expectUserError(runAsNobody(["survey", "-o", "/tmp/never-written.txt"]), asError);
      // Asked for: the sample, and the JSON says so.
      const j = validJson("survey", runAsNobody(["survey", "--sample", "--json"])) as SurveyJson;
      expect(j.source).toMatchObject({ sample: true });
      expect(j.source.reason).toBeUndefined();
      if (!hasScript)
        return console.warn("cli: util-linux `script` is missing; the terminal half is skipped");
      // A person at a terminal gets the sample with its one-line note first.
      const tty = runOnTty(["survey"], { asNobody: true, env: { NO_COLOR: "1" } });
      expect(tty.status).toBe(0);
      expect(tty.output.split("\r\n")[0]).toBe(
        `note: ${note}; surveying the sample snapshot shipped with memdesc`,
      );
      // --json is for machines even on a terminal.
      const ttyJson = runOnTty(["survey", "--json"], { asNobody: true });
      expect(ttyJson.status).toBe(1);
      expect(ttyJson.output).toContain(`memdesc: ${note}`);
    },
  );
  if (!canRunAsNobody) console.warn("cli: the sample fallback test needs root (to run as nobody); skipped");

  it.skipIf(!canReadProc)("surveys this machine's /proc/kpageflags when it can read it", () => {
    const j = validJson("survey", run(["survey", "--json"])) as SurveyJson;
    expect(j.source).toEqual({ kind: "proc", path: "/proc/kpageflags", root: "/", sample: false });
    expect(j.bill.ramPages).toBeGreaterThan(0);
    expect(run(["survey"]).stdout).toMatch(
      new RegExp(`^memdesc survey: /proc/kpageflags on ${hostname()} \\(Linux .*\\): [\\d.]+ GiB of RAM \\(`),
    );
  });
  if (!canReadProc)
    console.warn("cli: /proc/kpageflags is not readable here (not root?); the live survey test is skipped");

  it("rejects bad page maps and option mixes in one line with a hint", () => {
    const junk = join(dir, "junk.mdsnap");
    writeFileSync(junk, "this is not a snapshot at all, just text");
    expectUserError(
      run(["survey", "--snapshot", junk]),
      /junk\.mdsnap: offset 0: magic is "this is ", not "MEMDSNAP"/,
    );
    expectUserError(run(["survey", "--snapshot", join(dir, "none.mdsnap")]), /none\.mdsnap does not exist/);
    const odd = join(dir, "odd.bin");
    writeFileSync(odd, Buffer.alloc(13));
    expectUserError(
      run(["survey", "--raw", odd]),
      /odd\.bin: 13 bytes is not a whole number of 8-byte page-map words/,
    );
    expectUserError(
      run(["survey", "--snapshot", sampleSnapshot, "--raw", rawDump]),
      /cannot be used with option '-r, --raw/,
    );
    expectUserError(
      run(["survey", "--sample", "--snapshot", sampleSnapshot]),
      /--snapshot and --sample both name a machine/,
    );
    expectUserError(run(["survey", "--iomem", rawIomem]), /--iomem goes with --raw/);
    expectUserError(
      run(["survey", "--raw", rawDump, "--start-pfn", "12abc"]),
      /--start-pfn 12abc is not a PFN/,
    );
  });

  it("draws no progress bar when stderr is not a terminal", () => {
    const r = run(["survey", "--snapshot", sampleSnapshot]);
    expect(r.stderr).toBe("");
  });
});
