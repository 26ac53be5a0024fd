import { readSnapshot, survey as surveyOf, surveyReport } from "@memdesc/kpageflags";
import { fuzzReader, mutatedText } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../../vite.config.js";
import { firstPartyRegistry } from "../../lib/registry.js";
import { surveyFromJson } from "./load.js";
import { LoadError } from "./worker-client.js";

/*
 * The explorer's survey JSON reader, fuzzed from a real file of its kind: what `memdesc survey --json` says
 * about the shipped sample. Every input is read or refused with a LoadError, in bounded time and memory.
 */

describe("fuzzing the survey JSON reader (seeded)", () => {
  it("reads or refuses with a LoadError naming the file", async () => {
    const s = await surveyOf(readSnapshot(sampleSnapshot).source);
    const json = JSON.stringify(surveyReport(s, firstPartyRegistry("memdesc-8")), null, 2);
    const { accepted, rejected } = await fuzzReader(
      mutatedText(json),
      (text) => surveyFromJson(text, "fuzzed.json"),
      {
        expected: (e) => e instanceof LoadError && e.message.startsWith("fuzzed.json: "),
        seed: 17,
        numRuns: 1000,
      },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);
});
