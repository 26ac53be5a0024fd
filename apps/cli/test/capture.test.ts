import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { asRoot, expectUserError, onLiveProc, run, runAsNobody, tempDir, validJson } from "./helpers.js";

describe("memdesc capture", () => {
  const dir = tempDir();

  onLiveProc.it("writes a snapshot of this machine that survey then reads", () => {
    const file = join(dir, "here.mdsnap");
    const r = run(["capture", "-o", file, "--note", "e2e test", "--json"]);
    expect(r.status).toBe(0);
    const j = validJson("capture", r) as {
      path: string;
      bytes: number;
      pages: number;
      header: { version: number; note?: string; files: object; tree: { entries: number } };
    };
    expect(j.path).toBe(file);
    expect(j.header.note).toBe("e2e test");
    // All three page-map files by default, and the counter files the survey reads.
    expect(j.header.version).toBe(2);
    expect(j.header.files).toEqual({ kpageflags: true, kpagecount: true, kpagecgroup: true });
    expect(j.header.tree.entries).toBeGreaterThan(5);
    expect(existsSync(file)).toBe(true);
    // Nothing but the snapshot is left behind (the temporary file was renamed).
    expect(readdirSync(dir)).toEqual(["here.mdsnap"]);
    const s = validJson("survey", run(["survey", "--snapshot", file, "--json"])) as {
      survey: { pfnCount: number };
    };
    expect(s.survey.pfnCount).toBe(j.pages);
    const text = run(["capture", "-o", join(dir, "again.mdsnap"), "--no-cgroups"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /^memdesc capture: wrote .*again\.mdsnap: [\d.]+ [KM]iB \([\d,]+ bytes\) in [\d.]+ s$/m,
    );
    expect(text.stdout).toMatch(/PFNs of kpageflags, kpagecount; Linux /);
    expect(text.stdout).toMatch(/^ {2}\d+ counter files/m);
  });

  asRoot.it("says it needs root, in one line, to a user who is not", () => {
    const r = runAsNobody(["capture", "-o", join(dir, "nobody.mdsnap")]);
    if (existsSync("/proc/kpageflags"))
      expectUserError(
        r,
        /^memdesc: capture needs root: \/proc\/kpageflags is readable by root only \(you are uid 65534\)$/,
      );
    expect(existsSync(join(dir, "nobody.mdsnap"))).toBe(false);
  });

  // As root only: for anyone else, capture stops first at "needs root".
  asRoot.it("fails at once, writing nothing, when the output cannot be written", () => {
    expectUserError(
      run(["capture", "-o", join(dir, "no/such/dir/x.mdsnap")]),
      /directory .*no\/such\/dir does not exist/,
    );
    expectUserError(run(["capture", "-o", dir]), /it is a directory/);
  });
});
