import { z } from "zod";
import { LoadError } from "../survey/worker-client.js";

/*
 * A fleet file, as `memdesc fleet --format json|parquet` writes it: one row per host × design (the host's latest
 * capture; `today` is each row's baseline, not a row), with the saving against today's memmap in bytes and in
 * percent of the host's RAM. Every file is hostile: size-capped before it is read, its rows validated field by
 * field, and one message names the file and the first field that is wrong.
 */

/** One host under one design. `labels` holds the `label_<key>` columns by key. */
export interface FleetHost {
  readonly host: string;
  readonly source: string;
  readonly capturedAt: string | null;
  readonly kernelRelease: string | null;
  readonly arch: string | null;
  readonly ramBytes: number;
  readonly ramClassGib: number;
  readonly design: string;
  readonly totalBytes: number;
  readonly todayBytes: number;
  readonly savingBytes: number;
  readonly savingPercent: number;
  readonly labels: Readonly<Record<string, string | null>>;
}

export interface Fleet {
  readonly name: string;
  readonly format: "json" | "parquet";
  /** The design `memdesc fleet` showed (`--design`). */
  readonly design: string;
  /** The label keys the hosts carry. */
  readonly labels: readonly string[];
  readonly memdesc: string;
  readonly hosts: readonly FleetHost[];
}

/** The largest fleet file read: 10,000 hosts × 5 designs are about 5 MiB of JSON. */
export const maxFleetBytes = 256 << 20;
/** The most rows taken: a million hosts × designs, far above any fleet, well below what a tab holds. */
export const maxFleetRows = 1_000_000;

const hint =
  "load what `memdesc fleet … --format json` or `--format parquet -o fleet.parquet` writes, with the hosts' snapshots (.mdsnap) if you have them";

const labelKey = /^label_([a-z][a-z0-9_]{0,63})$/;
const int = z.number().int().refine(Number.isSafeInteger, "not a safe integer");
const text = z.string().max(4096);

/** A row as the CLI writes it (JSON keys, or Parquet columns: the same names). */
const rowSchema = z
  .object({
    host: text.min(1),
    source: text,
    captured_at: text.nullable(),
    kernel_release: text.nullable(),
    arch: text.nullable(),
    ram_bytes: int.positive(),
    ram_class_gib: z.number().positive(),
    design: text.min(1),
    total_bytes: int.nonnegative(),
    today_bytes: int.nonnegative(),
    saving_bytes: int,
    saving_percent: z.number().refine(Number.isFinite, "not a finite number"),
  })
  .catchall(text.nullable());

const fleetJsonSchema = z.object({
  schemaVersion: z.literal(1),
  memdesc: text,
  design: text,
  labels: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).max(1000),
  hosts: z.array(z.unknown()).max(maxFleetRows),
});

const where = (path: readonly PropertyKey[]) =>
  path.length ? `field ${path.map(String).join(".")}` : "the top level";

function issueMessage(name: string, prefix: readonly PropertyKey[], error: z.ZodError): string {
  const issue = error.issues[0]!;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : "";
  return `${name}: not a memdesc fleet: ${where([...prefix, ...issue.path])}: ${issue.message}${more}`;
}

/** Checks one row and gives it its typed shape; `at` names it in a message (`hosts.12`, `row 12`). */
function hostOf(raw: unknown, name: string, at: readonly PropertyKey[]): FleetHost {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) throw new LoadError("BAD_FLEET", issueMessage(name, at, parsed.error), hint);
  const r = parsed.data;
  const labels: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(r)) {
    const m = labelKey.exec(k);
    if (m) labels[m[1]!] = v as string | null;
  }
  return {
    host: r.host,
    source: r.source,
    capturedAt: r.captured_at,
    kernelRelease: r.kernel_release,
    arch: r.arch,
    ramBytes: r.ram_bytes,
    ramClassGib: r.ram_class_gib,
    design: r.design,
    totalBytes: r.total_bytes,
    todayBytes: r.today_bytes,
    savingBytes: r.saving_bytes,
    savingPercent: r.saving_percent,
    labels,
  };
}

/** The fleet in `memdesc fleet --json` output. */
export function fleetFromJson(textIn: string, name: string): Fleet {
  let json: unknown;
  try {
    json = JSON.parse(textIn);
  } catch (err) {
    throw new LoadError("BAD_JSON", `${name}: not JSON (${(err as Error).message})`, hint);
  }
  if (typeof json === "object" && json !== null && "survey" in json && "bill" in json)
    throw new LoadError(
      "NOT_FLEET",
      `${name}: one machine's survey (memdesc survey --json), not a fleet`,
      "open it in the Survey view, or make a fleet of many with `memdesc fleet FILES… --format json`",
    );
  const top = fleetJsonSchema.safeParse(json);
  if (!top.success) throw new LoadError("BAD_FLEET", issueMessage(name, [], top.error), hint);
  const hosts = top.data.hosts.map((h, i) => hostOf(h, name, ["hosts", i]));
  return {
    name,
    format: "json",
    design: top.data.design,
    labels: top.data.labels,
    memdesc: top.data.memdesc,
    hosts,
  };
}

/** Parquet column values as the rows want them: INT64 (bigint) as numbers, TIMESTAMP (Date) as ISO text. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "invalid date" : v.toISOString();
  return v === undefined ? null : v;
}

/** The fleet in `memdesc fleet --format parquet` output (its key-value metadata says so). */
export async function fleetFromParquet(bytes: ArrayBuffer, name: string): Promise<Fleet> {
  const { parquetMetadata, parquetReadObjects } = await import("hyparquet");
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(bytes);
  } catch (err) {
    throw new LoadError(
      "BAD_PARQUET",
      `${name}: not a Parquet file it can read (${(err as Error).message})`,
      hint,
    );
  }
  const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value ?? ""]));
  const version = kv["memdesc.fleet_schema_version"];
  if (version === undefined)
    throw new LoadError(
      "NOT_FLEET",
      kv["memdesc.schema_version"] !== undefined
        ? `${name}: one machine's survey rows (memdesc survey --format parquet), not a fleet`
        : `${name}: Parquet, but not a memdesc fleet (no memdesc.fleet_schema_version in its metadata)`,
      "make one with `memdesc fleet FILES… --format parquet -o fleet.parquet`",
    );
  if (version !== "1")
    throw new LoadError(
      "BAD_FLEET",
      `${name}: fleet schema version ${version}, where this explorer reads 1`,
      hint,
    );
  const shape = flatShape(meta, bytes.byteLength);
  if (shape) throw new LoadError("BAD_PARQUET", `${name}: not a fleet's Parquet layout (${shape})`, hint);
  const rows = Number(meta.num_rows);
  if (!(rows <= maxFleetRows))
    throw new LoadError(
      "TOO_BIG",
      `${name}: ${meta.num_rows} rows, more than the ${maxFleetRows} a fleet can have`,
      hint,
    );
  let summary: { design?: unknown; labels?: unknown } = {};
  try {
    summary = JSON.parse(kv["memdesc.fleet"] ?? "{}");
  } catch (err) {
    throw new LoadError(
      "BAD_FLEET",
      `${name}: its memdesc.fleet metadata is not JSON (${(err as Error).message})`,
      hint,
    );
  }
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({ file: bytes, metadata: meta });
  } catch (err) {
    throw new LoadError("BAD_PARQUET", `${name}: its rows cannot be read (${(err as Error).message})`, hint);
  }
  const hosts = objects.map((o, i) =>
    hostOf(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)])), name, ["row", i]),
  );
  const labels = meta.schema
    .map((s) => labelKey.exec(s.name)?.[1])
    .filter((k): k is string => k !== undefined)
    .sort();
  return {
    name,
    format: "parquet",
    design: typeof summary.design === "string" ? summary.design : (hosts[0]?.design ?? "memdesc-8"),
    labels,
    memdesc: kv["memdesc.version"] ?? "unknown",
    hosts,
  };
}

/**
 * Why a file's footer is not the flat layout the CLI writes (one leaf column per field, every row group holding
 * each column once, its bytes inside the file), or undefined. Checked before any page is decoded: the reader
 * reads each row group's chunks concurrently and observes only those its schema names, so a chunk the footer
 * lists twice, or under a name the schema lacks, would fail unobserved.
 */
function flatShape(meta: import("hyparquet").FileMetaData, fileBytes: number): string | undefined {
  const [root, ...leaves] = meta.schema;
  if (!root || leaves.length === 0) return "no columns";
  if (root.num_children !== leaves.length) return "nested columns";
  if (leaves.some((l) => (l.num_children ?? 0) !== 0)) return "nested columns";
  const names = new Set(leaves.map((l) => l.name));
  if (names.size !== leaves.length) return "a column named twice";
  for (const [g, group] of meta.row_groups.entries()) {
    const seen = new Set<string>();
    for (const chunk of group.columns) {
      const m = chunk.meta_data;
      const path = m?.path_in_schema ?? [];
      const col = path[0] ?? "";
      if (!m || path.length !== 1 || !names.has(col) || seen.has(col))
        return `row group ${g}: a column chunk ${path.join(".") || "without a path"} the schema does not have once`;
      seen.add(col);
      const start = Number(m.dictionary_page_offset ?? m.data_page_offset);
      const end = start + Number(m.total_compressed_size);
      if (!(start >= 4 && end <= fileBytes && end >= start))
        return `row group ${g}: column ${col}'s bytes ${start}–${end} are outside the file`;
    }
    if (seen.size !== names.size) return `row group ${g}: ${names.size - seen.size} columns missing`;
  }
  return undefined;
}

const startsWith = (bytes: Uint8Array, magic: string) =>
  bytes.length >= magic.length && [...magic].every((ch, i) => bytes[i] === ch.charCodeAt(0));

const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

/** Refuses, before it is read, a file larger than a fleet file can be. */
export function checkFleetSize(size: number, name: string): void {
  if (size > maxFleetBytes)
    throw new LoadError(
      "TOO_BIG",
      `${name}: ${mib(size)}, more than the ${mib(maxFleetBytes)} a fleet file can be`,
      hint,
    );
}

/** How long a Parquet decode may take: ten seconds, and one more per 16 MiB (256 MiB decode in about five). */
export const parquetTimeLimitMs = (bytes: number) => 10_000 + Math.ceil(bytes / (16 << 20)) * 1000;

/**
 * Decodes a fleet's Parquet in a Web Worker, stopped (and the load refused) past the time limit. Where there are
 * no workers (a test's DOM, node), on this thread.
 */
async function parquetInWorker(bytes: ArrayBuffer, name: string): Promise<Fleet> {
  if (typeof Worker === "undefined") return fleetFromParquet(bytes, name);
  const limit = parquetTimeLimitMs(bytes.byteLength);
  const worker = new Worker(new URL("./parquet.worker.ts", import.meta.url), { type: "module" });
  try {
    return await new Promise<Fleet>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new LoadError(
              "TIMEOUT",
              `${name}: its Parquet was still decoding after ${limit / 1000} s, far longer than a fleet file of its size takes; stopped`,
              "the file is damaged or not what `memdesc fleet --format parquet` writes: make it again",
            ),
          ),
        limit,
      );
      worker.onmessage = (
        e: MessageEvent<
          { ok: true; fleet: Fleet } | { ok: false; error: { code: string; message: string; hint?: string } }
        >,
      ) => {
        clearTimeout(timer);
        if (e.data.ok) resolve(e.data.fleet);
        else reject(new LoadError(e.data.error.code, e.data.error.message, e.data.error.hint));
      };
      worker.onerror = (e) => {
        clearTimeout(timer);
        reject(new LoadError("WORKER", `${name}: the Parquet worker failed: ${e.message}`, hint));
      };
      worker.postMessage({ bytes, name }, [bytes]);
    });
  } finally {
    worker.terminate();
  }
}

/** A fleet file by its content: Parquet (`PAR1`) or JSON. */
export async function loadFleetBytes(bytes: ArrayBuffer, name: string): Promise<Fleet> {
  checkFleetSize(bytes.byteLength, name);
  if (bytes.byteLength === 0) throw new LoadError("EMPTY", `${name}: the file is empty`, hint);
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 4));
  if (startsWith(head, "PAR1")) return parquetInWorker(bytes, name);
  let textIn: string;
  try {
    textIn = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    textIn = "";
  }
  if (!/^\s*\{/.test(textIn))
    throw new LoadError(
      "UNKNOWN_FORMAT",
      `${name}: neither Parquet (it does not start with "PAR1") nor a JSON object`,
      hint,
    );
  return fleetFromJson(textIn, name);
}
