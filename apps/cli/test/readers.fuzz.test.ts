import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bill, createRegistry } from "@memdesc/core";
import { firstPartyPlugins, presets } from "@memdesc/first-party";
import { folio } from "@memdesc/folio";
import { parseWorkload, vocabularyOf } from "@memdesc/memmap";
import { slab } from "@memdesc/slab";
import { fuzzReader, mutatedText } from "@memdesc/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readJsonFile } from "../src/config/json-file.js";
import { jsonErrorOffset } from "../src/config/json-where.js";
import { loadConfig } from "../src/config/load.js";
import { UserError } from "../src/errors.js";
import { fixtures, tempDir } from "./helpers.js";

/*
 * The CLI's JSON readers, fuzzed from real files of each kind: a memory picture (test/fixtures/what-if.json), a
 * workload (the desktop preset, as a user would save it) and a config (the one `memdesc plugins --help` shows).
 * Each input is read through the same path the commands take (the input reader, JSON.parse and the error
 * scanner, then the kind's schema) and must be accepted or end in that reader's typed error: a UserError, or
 * the schema's ValidationError with its code. Seeded; bounded time and memory (fuzzReader).
 */

const dir = tempDir("memdesc-fuzz-");
let n = 0;
/** Writes the text to a file and reads it back as the commands do. */
function throughFile(text: string, name = `input-${n++}.json`): unknown {
  const path = join(dir, name);
  writeFileSync(path, text);
  try {
    return readJsonFile(path, name, { code: "BAD_INPUT", hint: "fuzz" });
  } finally {
    rmSync(path, { force: true });
  }
}

const coded = (code: string) => (e: unknown) =>
  e instanceof UserError || (e instanceof Error && (e as { code?: unknown }).code === code);

describe("fuzzing the JSON readers with inputs derived from real files (seeded)", () => {
  it("the error scanner agrees with JSON.parse about what is JSON (an independent oracle)", () => {
    const texts = fc.oneof(
      mutatedText(readFileSync(join(fixtures, "what-if.json"), "utf8")),
      fc.json().chain((j) => mutatedText(j, { maxMutations: 2 })),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const at = jsonErrorOffset(text);
        expect(at === undefined, `offset ${at} for ${JSON.stringify(text.slice(0, 200))}`).toBe(valid);
        if (at !== undefined) expect(at).toBeLessThanOrEqual(text.length);
      }),
      { seed: 17, numRuns: 3000 },
    );
  });

  it("memory pictures", async () => {
    const registry = createRegistry({ plugins: [folio(), slab()] });
    const { accepted, rejected } = await fuzzReader(
      mutatedText(readFileSync(join(fixtures, "what-if.json"), "utf8")),
      (text) => bill(registry, throughFile(text) as Parameters<typeof bill>[1]),
      { expected: coded("BAD_PICTURE"), seed: 17, numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);

  it("workloads", async () => {
    // Against the first-party set's vocabulary: its plugins' actions (pagetables, iommu) and uses.
    const vocabulary = vocabularyOf(createRegistry({ plugins: firstPartyPlugins() }));
    const { accepted, rejected } = await fuzzReader(
      mutatedText(JSON.stringify(presets.desktop, null, 2)),
      (text) => parseWorkload(throughFile(text), vocabulary, "fuzzed workload"),
      { expected: coded("BAD_WORKLOAD"), seed: 17, numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);

  it("configs", async () => {
    const config = JSON.stringify(
      {
        $schema: "./node_modules/memdesc/schemas/config.schema.json",
        design: "memdesc-8",
        abi: "lp64",
        plugins: ["@memdesc/slab", { package: "@memdesc/folio", options: { hugetlbFields: true } }],
      },
      null,
      2,
    );
    const { accepted, rejected } = await fuzzReader(
      mutatedText(config),
      async (text) => {
        const path = join(dir, "memdesc.config.json");
        writeFileSync(path, text);
        await loadConfig(path);
      },
      { expected: (e) => e instanceof UserError, seed: 17, numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);
});
