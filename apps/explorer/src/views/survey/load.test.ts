import { readFileSync } from "node:fs";
import { readSnapshot, samples, survey as surveyOf, surveyReport } from "@memdesc/kpageflags";
import { describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../../vite.config.js";
import { firstPartyRegistry } from "../../lib/registry.js";
import { loadBytes, surveyFromJson } from "./load.js";
import { LoadError } from "./worker-client.js";

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

async function fails(p: Promise<unknown> | (() => unknown)): Promise<LoadError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(LoadError);
    return err as LoadError;
  }
  throw new Error("no error");
}

describe("loading a file into the Survey view", () => {
  it("takes `memdesc survey --json` output and a bare survey", async () => {
    const snap = readSnapshot(sampleSnapshot);
    const s = await surveyOf(snap.source, { root: snap.root() });
    const report = JSON.parse(JSON.stringify(surveyReport(s, firstPartyRegistry())));
    const fromReport = surveyFromJson(
      JSON.stringify({ source: {}, design: "memdesc-8", ...report }),
      "out.json",
    );
    expect(fromReport.survey.uses.file.pages).toBe(s.uses.file.pages);
    expect(fromReport.survey.billed.pcp.pages).toBe(s.billed.pcp.pages);
    expect(fromReport.from).toContain("memdesc survey --json");
    expect(fromReport.plugins).toBeUndefined();
    const listed = surveyFromJson(
      JSON.stringify({
        ...report,
        plugins: [{ package: "@memdesc/folio", version: "0.1.0", kind: "folio" }],
      }),
      "p.json",
    );
    expect(listed.plugins).toEqual(["@memdesc/folio"]);
    expect(surveyFromJson(JSON.stringify(report.survey), "s.json").survey).toEqual(report.survey);
  });

  it("names the file and the first wrong field of a bad survey, in one line", async () => {
    expect((await fails(() => surveyFromJson("{nope", "a.json"))).message).toMatch(/^a\.json: not JSON \(/);
    const wrong = await fails(() => surveyFromJson(JSON.stringify({ survey: { pageSize: "4k" } }), "b.json"));
    expect(wrong.code).toBe("BAD_SURVEY");
    expect(wrong.message).toMatch(
      /^b\.json: not a memdesc survey: field survey\.\w+: .+ \(and \d+ more problems\)$/,
    );
    expect(wrong.hint).toContain("memdesc survey --json");
    expect((await fails(() => surveyFromJson("[1, 2]", "c.json"))).message).toMatch(
      /^c\.json: not a memdesc survey: the top level/,
    );
    expect((await fails(loadBytes(bytes(""), "empty.mdsnap"))).code).toBe("EMPTY");
    const text = await fails(loadBytes(bytes("hello"), "notes.txt"));
    expect(text.message).toBe(
      'notes.txt: neither a memdesc snapshot (it does not start with "MEMDSNAP") nor JSON',
    );
    const binary = await fails(loadBytes(Uint8Array.from([0xff, 0xfe, 0x00, 0x80]).buffer, "x.bin"));
    expect(binary.code).toBe("UNKNOWN_FORMAT");
  });

  it("decodes and surveys a snapshot (here without a worker), and rejects a damaged one with the reader's message", async () => {
    const data = readFileSync(sampleSnapshot);
    const loaded = await loadBytes(
      data.buffer.slice(data.byteOffset, data.byteOffset + data.length),
      "sample.mdsnap",
      samples[0],
    );
    expect(loaded.kind).toBe("snapshot");
    if (loaded.kind !== "snapshot") return;
    expect(loaded.sample).toBe(samples[0]);
    expect(loaded.analysis.uses.pfnCount).toBe(6_553_600);
    const snap = readSnapshot(sampleSnapshot);
    const expected = await surveyOf(snap.source, { root: snap.root() });
    expect(loaded.survey.uses.anon.descriptors).toBe(expected.uses.anon.descriptors);
    expect(loaded.survey.billed).toEqual(expected.billed);
    const broken = new Uint8Array(data);
    broken[15] = 0x7f;
    const err = await fails(loadBytes(broken.buffer, "broken.mdsnap"));
    expect(err.code).toBe("BAD_SNAPSHOT");
    expect(err.message).toMatch(
      /^broken\.mdsnap: offset 12: header length \d+ runs past the end of the file/,
    );
    expect(err.hint).toContain("capture the snapshot again");
  });
});
