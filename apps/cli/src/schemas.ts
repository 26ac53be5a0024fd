import {
  billSchema,
  builtinDesignNames,
  createRegistry,
  pictureSchema,
  provenanceSchema,
} from "@memdesc/core";
import { firstPartyPlugins } from "@memdesc/first-party";
import {
  crossCheckRowSchema,
  groupBillsSchema,
  snapshotHeaderSchema,
  surveySchema,
} from "@memdesc/kpageflags";
import { simulationResultSchema, vocabularyOf, workloadJsonSchemaFor } from "@memdesc/memmap";
import { z } from "zod";
import { configJsonSchema } from "./config/schema.js";

/*
 * The shape of every command's `--json` output. `scripts/gen-schemas.js` writes each as JSON Schema to
 * `schemas/<name>.schema.json`, which ships in the package; a test checks the shipped files are what these
 * generate and that every command's output validates against them.
 */

const count = z.number().int().nonnegative();
const designName = z.string().describe(`A design name: ${builtinDesignNames.join(", ")} or a config's own`);
/** Where a fact comes from; null where a user's design or plugin does not say. */
const source = provenanceSchema
  .nullable()
  .describe(
    "kernel (file, release), plan (page, revision), inferred (reasoning) or proposal; null: undeclared",
  );

/** A plugin of the composed set, as bill and survey name it. */
const pluginRef = z.object({
  package: z.string(),
  version: z.string().nullable(),
  kind: z.string(),
});

export const billOutputSchema = z
  .object({
    picture: z.string().describe("The picture file billed"),
    design: designName.describe("The design whose saving the table shows"),
    plugins: z.array(pluginRef),
    bill: billSchema,
  })
  .strict();

/** Which machine a bill is of: what machine-readable outputs carry so a fleet's files can be told apart. */
export const hostIdentitySchema = z
  .object({
    hostname: z
      .string()
      .nullable()
      .describe("/proc/sys/kernel/hostname; null where the input did not record it"),
    kernelRelease: z.string().nullable().describe("uname -r"),
    arch: z.string().nullable().describe("uname -m"),
    pageSize: z.number().int().positive(),
    ramPages: count.describe("Pages with a struct page (System RAM)"),
    ramBytes: count,
    capturedAt: z.iso.datetime().nullable().describe("When the page map was read (UTC)"),
    labels: z.record(z.string(), z.string()).describe("Labels given at capture or with --label"),
  })
  .strict();

export const surveyOutputSchema = z
  .object({
    schemaVersion: z.literal(1).describe("The output's layout version; memdesc fleet refuses others"),
    memdesc: z.string().describe("The memdesc version that made it"),
    host: hostIdentitySchema,
    source: z
      .object({
        kind: z.enum(["proc", "raw", "snapshot", "archive"]),
        path: z.string(),
        root: z
          .string()
          .optional()
          .describe("The tree the counters were read from: /, a --root directory, a snapshot"),
        sample: z.boolean().describe("A sample snapshot shipped with memdesc was surveyed"),
        sampleName: z
          .string()
          .optional()
          .describe("Which sample (`--sample NAME`), when a sample was surveyed"),
        reason: z.string().optional().describe("Why the sample was surveyed instead of this machine"),
      })
      .strict(),
    design: designName,
    plugins: z.array(pluginRef),
    survey: surveySchema,
    picture: pictureSchema,
    bill: billSchema,
    crossCheck: z.array(crossCheckRowSchema).describe("The page map against the kernel's counters"),
    groups: groupBillsSchema.optional().describe("With --by: each node's, zone's or memory cgroup's bill"),
  })
  .strict();

const descriptorSize = z.object({ variant: z.string(), size: count, rounded: count });

export const pluginsOutputSchema = z
  .object({
    config: z.string().nullable().describe("The config file used, or null for the first-party set"),
    configChoice: z
      .object({
        how: z
          .enum(["given", "found", "none", "disabled"])
          .describe(
            "given with --config; found upward from the working directory (and trusted); none found up to the project root; disabled with --no-config",
          ),
        why: z.string().describe("The reason in one line, as the text output says it"),
      })
      .strict(),
    design: designName,
    abi: z.enum(["lp64", "ilp32", "ilp32-arm"]),
    plugins: z.array(
      z
        .object({
          package: z.string(),
          version: z.string().nullable(),
          kind: z.string(),
          title: z.string(),
          storage: z.enum(["pointer", "inline"]),
          from: z.enum(["builtin", "first-party", "config", "object"]),
          key: z.string().nullable().describe("Where the config lists it: plugins[2]"),
          tag: z.number().int().nullable().describe("Its type tag in the design (null: no memdesc word)"),
          todaySize: count.nullable().describe("sizeof today's layout (overlaying struct page)"),
          descriptor: z
            .record(z.string(), z.array(descriptorSize))
            .describe("Per design: the separately allocated descriptor's variants, sizes and rounded sizes"),
        })
        .strict(),
    ),
  })
  .strict();

const payloadField = z.object({
  name: z.string(),
  word: count.describe("Which 64-bit word of the page entry holds it (0: the memdesc word)"),
  bit: count,
  width: z.number().int().positive(),
  meaning: z.string().nullable(),
  provenance: source.describe("The field's own source, where it differs from its row's"),
});

export const typesOutputSchema = z
  .object({
    design: z
      .object({
        name: z.string(),
        title: z.string(),
        description: z.string(),
        provenance: source,
        entryBytes: count,
        wordBits: z.union([z.literal(32), z.literal(64)]),
        wordBitsReason: z
          .string()
          .nullable()
          .describe("Why the word is not a u64, for a design that says so"),
        typeBits: count,
        descriptorAlign: count,
        overlay: z.boolean(),
        tagDecoding: z.enum(["exact", "buddy-low2"]),
        outsideMemmap: z
          .array(z.object({ what: z.string(), bytesPerPage: count, provenance: provenanceSchema }).strict())
          .describe("Memory the design needs outside the memmap, per page of RAM"),
      })
      .strict(),
    word: z
      .array(z.object({ high: count, low: count, field: z.string() }).strict())
      .describe("The word's bit fields, high bits first, for pointer types"),
    types: z.array(
      z
        .object({
          tag: count,
          kind: z.string(),
          storage: z.enum(["pointer", "inline"]),
          plugin: z.string(),
          meaning: z.string(),
          provenance: source.describe(
            "The row's source: the design's table, or this project's proposal for a kind the table does not name",
          ),
          payload: z.array(payloadField),
        })
        .strict(),
    ),
    unassigned: z
      .array(
        z
          .object({
            tag: count,
            kind: z.string().nullable(),
            meaning: z.string(),
            storage: z.enum(["pointer", "inline"]),
            provenance: source,
          })
          .strict(),
      )
      .describe("Tags the design's table sets aside that no plugin of the set takes"),
  })
  .strict();

const fieldSchema = z
  .object({
    path: z.string(),
    offset: count,
    size: count,
    bitOffset: count.optional(),
    bitSize: count.optional(),
    type: z.string(),
    provenance: provenanceSchema
      .optional()
      .describe("The field's own source, where it differs from its layout's"),
  })
  .strict();

const layoutSchema = z
  .object({
    kind: z.enum(["struct", "union"]),
    name: z.string().nullable(),
    abi: z.string(),
    size: count,
    align: count,
    fields: z.array(fieldSchema),
    holes: z.array(
      z
        .object({ in: z.string(), after: z.string(), offset: count, size: count, bits: count.optional() })
        .strict(),
    ),
    padding: count,
  })
  .strict();

const fieldPlace = fieldSchema.omit({ path: true });
const diffSide = z.object({ label: z.string(), size: count, align: count, abi: z.string() }).strict();
const fieldChange = z.enum(["moved", "resized", "retyped", "added", "removed"]);
const fieldDiff = z
  .object({
    path: z.string(),
    a: fieldPlace.nullable().describe("In the first layout (null: added)"),
    b: fieldPlace.nullable().describe("In the second layout (null: removed)"),
    changes: z.array(fieldChange).readonly().describe("Empty: the same in both"),
  })
  .strict();
const layoutDiffSchema = z
  .object({
    a: diffSide,
    b: diffSide,
    fields: z.array(fieldDiff).readonly(),
    changed: z.array(fieldDiff).readonly(),
    counts: z.record(z.enum(["moved", "resized", "retyped", "added", "removed", "unchanged"]), count),
    same: z.boolean(),
  })
  .strict();

export const layoutOutputSchema = z
  .object({
    name: z.string(),
    source: z
      .enum(["plugin", "btf", "core"])
      .describe("plugin: a descriptor's layout; btf: a BTF file's; core: core's struct page"),
    btf: z.string().nullable(),
    vs: z.string().nullable().optional().describe("With --vs: the second kernel's BTF"),
    design: designName.nullable(),
    layouts: z.array(
      z
        .object({
          role: z.enum(["today", "memdesc", "btf", "page"]),
          title: z.string(),
          variant: z.string().nullable(),
          orders: z.array(count).nullable().describe("Allocation orders that use this variant"),
          rounded: count.nullable().describe("Size rounded to the design's descriptor alignment"),
          provenance: source.describe("Where this layout's field list comes from"),
          wayBack: z
            .union([
              z.object({ field: z.string(), offset: count, size: count }).strict(),
              z.object({ how: z.string(), provenance: provenanceSchema }).strict(),
            ])
            .nullable()
            .describe(
              "How a separately allocated descriptor gets back to its memory: the field holding its PFN, or what the plugin says instead (null: today's overlay, where the address gives it, or undeclared)",
            ),
          layout: layoutSchema,
        })
        .strict(),
    ),
    diff: layoutDiffSchema
      .optional()
      .describe("With --vs: the second layout against the first, field by field"),
  })
  .strict();

const side = z.object({ offset: count, size: count, type: z.string() }).strict();

const checkedBtf = z
  .object({
    file: z.string(),
    arch: z.string().nullable().describe("The architecture an ELF file names; null for raw BTF"),
    abi: z.string(),
    types: count,
  })
  .strict();

const fieldCheck = z
  .object({
    path: z.string(),
    status: z.enum(["ok", "wrong-offset", "wrong-size", "kernel-only", "plugin-only"]),
    plugin: side.nullable(),
    kernel: side.nullable(),
  })
  .strict();

const ruleCheck = z
  .object({
    macro: z.string(),
    label: z.string(),
    status: z.enum(["pass", "fail", "missing", "skipped"]),
    actual: count.nullable(),
    expected: count.nullable(),
    message: z.string(),
  })
  .strict();

/** One kernel's check: what `memdesc check --btf FILE --json` prints. */
const pluginCheckSchema = z
  .object({
    btf: checkedBtf,
    ok: z.boolean(),
    failures: count,
    plugins: z.array(
      z
        .object({
          package: z.string(),
          kind: z.string(),
          struct: z
            .string()
            .nullable()
            .describe("The kernel struct compared (null: the plugin has no today layout)"),
          found: z.boolean().describe("The kernel's BTF has the struct"),
          size: z.object({ plugin: count, kernel: count.nullable() }).strict().nullable(),
          fields: z.array(fieldCheck),
          overlay: z.array(ruleCheck),
          failures: count,
        })
        .strict(),
    ),
  })
  .strict();

const matrixStatus = z
  .enum(["pass", "drift", "fail", "absent", "none"])
  .describe(
    "pass: as the plugin has it; drift: fields moved, resized or gone; fail: an overlay rule fails; absent: no such struct; none: an inline kind",
  );

/** Several kernels' checks: what `memdesc check --btf A --btf B --json` prints. */
const matrixOutputSchema = z
  .object({
    kernels: z.array(pluginCheckSchema).describe("Each kernel's own check, in the order given"),
    matrix: z
      .object({
        kernels: z.array(checkedBtf),
        plugins: z.array(
          z
            .object({
              package: z.string(),
              kind: z.string(),
              struct: z.string().nullable(),
              cells: z.array(
                z
                  .object({
                    status: matrixStatus,
                    size: z.object({ plugin: count, kernel: count.nullable() }).strict().nullable(),
                    drifted: z.array(fieldCheck),
                    kernelOnly: z.array(fieldCheck),
                    rules: z.array(ruleCheck),
                  })
                  .strict(),
              ),
            })
            .strict(),
        ),
        counts: z.record(matrixStatus, count),
        ok: z.boolean(),
      })
      .strict(),
  })
  .strict();

export const checkOutputSchema = z.union([pluginCheckSchema, matrixOutputSchema]);

export const captureOutputSchema = z
  .object({
    path: z.string(),
    bytes: count,
    pages: count.describe("PFNs captured"),
    seconds: z.number().nonnegative(),
    header: snapshotHeaderSchema,
  })
  .strict();

export const simulateOutputSchema = z
  .object({
    workload: z
      .object({
        preset: z.string().nullable().describe("The preset run, or null for a workload file"),
        path: z.string().nullable().describe("The workload file, or null for a preset"),
      })
      .strict(),
    design: designName.describe("The design the memmap was simulated in"),
    plugins: z.array(pluginRef),
    seconds: z.number().nonnegative().describe("Wall-clock time of the run"),
    simulation: simulationResultSchema,
  })
  .strict();

/** A row DuckDB answered: its columns as `docs/fleet.md` names them; a group's column is there when grouped. */
const sqlNumber = z.number();
const fleetTotal = z
  .object({
    design: z.string(),
    hosts: count,
    ram_bytes: count,
    total_bytes: count,
    percent_of_ram: sqlNumber,
  })
  .strict();
const stats = (suffix: string) =>
  Object.fromEntries(["min", "p10", "p50", "p90", "max"].map((s) => [`${s}_${suffix}`, sqlNumber]));
const groupValue = z.union([z.string(), z.number(), z.null()]);
const fleetDistribution = z
  .object({
    design: z.string(),
    hosts: count,
    ram_bytes: count,
    saving_bytes: sqlNumber,
    ...stats("bytes"),
    ...stats("percent"),
  })
  .catchall(groupValue)
  .describe(
    "One group under one design; the grouping columns (kernel_release, arch, ram_class_gib, label_<key>) as `by` names them",
  );
const fleetHost = z
  .object({
    host: z.string(),
    source: z.string(),
    captured_at: z.string().nullable(),
    kernel_release: z.string().nullable(),
    arch: z.string().nullable(),
    ram_bytes: count,
    ram_class_gib: sqlNumber,
    design: z.string(),
    total_bytes: count,
    today_bytes: count,
    saving_bytes: sqlNumber,
    saving_percent: sqlNumber,
  })
  .catchall(z.string().nullable())
  .describe("One host (its latest capture) under one design; its labels as label_<key>");

export const fleetOutputSchema = z
  .object({
    schemaVersion: z.literal(1).describe("The output's layout version"),
    memdesc: z.string().describe("The memdesc that answered"),
    design: z.string().describe("The design the table shows (--design)"),
    by: z.array(z.object({ name: z.string(), column: z.string() }).strict()).describe("The groupings (--by)"),
    labels: z.array(z.string()).describe("The label keys the inputs carry"),
    inputs: z
      .object({
        files: count,
        used: count,
        ignored: count.describe("Files in the directories given that are not inputs"),
        skipped: z.array(z.object({ file: z.string(), problem: z.string() }).strict()),
      })
      .strict(),
    captures: count,
    firstCapture: z.string().nullable(),
    lastCapture: z.string().nullable(),
    descriptorSets: z.array(z.string()).describe("The descriptor sets the bills were made with"),
    totals: z.array(fleetTotal).describe("Per design: the hosts, their RAM and the total per-page metadata"),
    distribution: z.array(fleetDistribution),
    hosts: z.array(fleetHost),
  })
  .strict();

/** Every published schema, by file name (`<name>.schema.json`). */
export const outputSchemas = {
  survey: surveyOutputSchema,
  bill: billOutputSchema,
  capture: captureOutputSchema,
  layout: layoutOutputSchema,
  check: checkOutputSchema,
  types: typesOutputSchema,
  plugins: pluginsOutputSchema,
  simulate: simulateOutputSchema,
  fleet: fleetOutputSchema,
} as const;

export type SurveyOutput = z.input<typeof surveyOutputSchema>;
export type BillOutput = z.input<typeof billOutputSchema>;
export type CaptureOutput = z.input<typeof captureOutputSchema>;
export type LayoutOutput = z.input<typeof layoutOutputSchema>;
export type CheckOutput = z.input<typeof checkOutputSchema>;
export type TypesOutput = z.input<typeof typesOutputSchema>;
export type PluginsOutput = z.input<typeof pluginsOutputSchema>;
export type SimulateOutput = z.input<typeof simulateOutputSchema>;
export type FleetOutput = z.input<typeof fleetOutputSchema>;

/**
 * Where a shipped schema can be fetched: the file in the published package, as any npm CDN serves it (the
 * `$id` of each document, so validators and editors can tell them apart and resolve them).
 */
export const schemaId = (name: string): string => `https://unpkg.com/memdesc/schemas/${name}.schema.json`;

/** The JSON Schema documents shipped in `schemas/`: each command's output, and the config file. */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  // $schema, $id and title first, as a reader looks for them.
  const withId = (name: string, title: string, schema: Record<string, unknown>) => ({
    $schema: schema.$schema,
    $id: schemaId(name),
    title,
    ...schema,
  });
  for (const [name, schema] of Object.entries(outputSchemas))
    out[name] = withId(
      name,
      `memdesc ${name} --json`,
      z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }),
    );
  out.config = withId(
    "config",
    "memdesc.config.json",
    z.toJSONSchema(configJsonSchema, { io: "input", unrepresentable: "any" }),
  );
  // A workload may use the actions of the plugins it is run with; this is the first-party set's.
  const vocabulary = vocabularyOf(createRegistry({ plugins: firstPartyPlugins() }));
  out.workload = {
    ...withId(
      "workload",
      "memdesc simulate workload file (the first-party set's actions)",
      z.toJSONSchema(workloadJsonSchemaFor(vocabulary), { io: "input", unrepresentable: "any" }),
    ),
  };
  return out;
}
