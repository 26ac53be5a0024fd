import { resolve } from "node:path";
import { formatProvenance, isMemdescError } from "@memdesc/core";
import { presets } from "@memdesc/first-party";
import {
  createSimulation,
  type DescriptorFree,
  formatSize,
  parseSize,
  parseWorkload,
  type Simulation,
  type SimulationResult,
  vocabularyOf,
  type Workload,
} from "@memdesc/memmap";
import { readJsonFile } from "../config/json-file.js";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { displayPath } from "../io/path.js";
import { formatBill, formatWarnings } from "../output/bill.js";
import { printJson } from "../output/json.js";
import { startProgress } from "../output/progress.js";
import { int, mib, percent, size, table } from "../output/table.js";
import type { SimulateOutput } from "../schemas.js";
import { type AnyRegistry, composeFrom, describeSet, hvoOption, pluginRefs } from "./shared.js";

const hint = `a workload is a preset (${Object.keys(presets).join(", ")}) or a JSON file; see \`memdesc simulate --help\``;

/** `memdesc simulate WORKLOAD|PRESET`: runs a workload on a simulated memmap and bills it over time. */
export default async function simulateCommand(
  ctx: Context,
  opts: Record<string, unknown>,
  arg: string,
): Promise<void> {
  const { input, source, shown } = readWorkload(ctx, arg);
  const comp = await composeFrom(ctx.cwd, opts);
  const workload = checkWorkload(input, comp.registry, shown);
  if (comp.design.typeBits === 0)
    throw new UserError(
      `design ${comp.design.name} has no memdesc word to simulate`,
      "simulate a design with a word (memdesc-8, buddy-16, path-32); the bill prices today anyway",
      { code: "NO_WORD" },
    );
  let memory: number;
  try {
    memory = parseSize((opts.memory as string | undefined) ?? workload.memory, "--memory");
  } catch (err) {
    if (!isMemdescError(err)) throw err;
    throw new UserError(err, "give a size like 1G, 64G or 1T", {
      cause: err,
      code: "BAD_SIZE",
    });
  }
  const nodes = opts.nodes === undefined ? undefined : Number(opts.nodes);
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 1))
    throw new UserError(
      `--nodes ${String(opts.nodes)} is not a whole number ≥ 1`,
      "give the NUMA node count, e.g. --nodes 2",
      {
        code: "BAD_OPTION",
      },
    );
  const started = performance.now();
  let sim: Simulation;
  try {
    sim = createSimulation(comp.registry, workload, {
      memory,
      ...(nodes !== undefined ? { nodes } : {}),
      ...(opts.descriptorFree !== undefined ? { descriptorFree: opts.descriptorFree as DescriptorFree } : {}),
      ...(opts.thp !== undefined ? { thp: opts.thp === "on" } : {}),
      ...hvoOption(opts),
    });
  } catch (err) {
    if (isMemdescError(err) && err.code === "BAD_OPTIONS")
      throw new UserError(
        err,
        "the simulator models up to 1 TiB (2^28 pages), each node at least 4 MiB: pick another --memory or --nodes",
        { cause: err, code: "BAD_OPTIONS" },
      );
    throw err;
  }
  await run(sim, ctx, `simulating ${workload.name} on ${formatSize(memory)}`);
  const result = sim.result();
  const output: SimulateOutput = {
    workload: source,
    design: comp.design.name,
    plugins: pluginRefs(comp),
    seconds: Math.round(performance.now() - started) / 1000,
    simulation: result,
  };
  if (ctx.json) return printJson(ctx, output);
  ctx.out(formatSimulation(result, output, describeSet(comp), ctx));
}

/** The workload as written: a preset's, or a JSON file's (read now, so a missing file fails before composing). */
function readWorkload(
  ctx: Context,
  arg: string,
): { input: unknown; source: SimulateOutput["workload"]; shown: string } {
  if (Object.hasOwn(presets, arg))
    return { input: presets[arg], source: { preset: arg, path: null }, shown: `preset ${arg}` };
  const path = resolve(ctx.cwd, arg);
  const shown = displayPath(path, ctx.cwd);
  const input = readJsonFile(path, shown, {
    code: "BAD_WORKLOAD",
    what: "workload",
    hint,
    missing: `${shown} is neither a preset nor a file (presets: ${Object.keys(presets).join(", ")})`,
  });
  return { input, source: { preset: null, path }, shown };
}

/** The workload checked against what the composed set's plugins let it name: their actions and uses. */
function checkWorkload(input: unknown, registry: AnyRegistry, shown: string): Workload {
  try {
    return parseWorkload(input, vocabularyOf(registry), shown);
  } catch (err) {
    if (!isMemdescError(err)) throw err;
    throw new UserError(err, hint, { cause: err, code: err.code });
  }
}

/** Steps the simulation, drawing a progress bar on a terminal between steps. */
async function run(sim: Simulation, ctx: Context, label: string): Promise<void> {
  const progress = startProgress(label, ctx.progress);
  try {
    while (!sim.step()) {
      progress.update(sim.done, sim.total);
      if (ctx.progress) await progress.tick();
    }
  } finally {
    progress.stop();
  }
}

function formatSimulation(r: SimulationResult, o: SimulateOutput, plugins: string, ctx: Context): string {
  const { c } = ctx;
  const m = r.machine;
  const b = r.bill;
  let out = `${c.bold("memdesc simulate")}: ${o.workload.preset ? `preset ${o.workload.preset}` : displayPath(o.workload.path!, ctx.cwd)} (${r.workload.description || r.workload.name}), seed ${r.workload.seed}\n`;
  out += `machine: ${size(m.bytes)} (${int(m.pages)} pages), ${m.nodes} node${m.nodes === 1 ? "" : "s"}, ${m.nrCpus} CPUs; simulated in ${m.design} (${m.entryBytes} bytes a page) in ${o.seconds.toFixed(2)} s\n`;
  out += `options: descriptor free ${m.descriptorFree}, THP ${m.thp ? "on" : "off"}, HVO ${m.hvo ? "on" : "off"} (today's bill)\n`;
  out += `plugins: ${plugins}\n\n`;
  out += `${c.bold("What is modelled")} (and where it comes from)\n`;
  out += table(
    [{ header: "behaviour" }, { header: "by" }, { header: "source" }],
    r.behaviours.map((b) => [b.name, b.by, formatProvenance(b.provenance)]),
    { header: c.bold },
  );
  out += "\n";
  out += `${c.bold("Over time")} (metadata MiB under each design after each phase)\n`;
  const designs = r.samples[0]?.designs.map((d) => d.design) ?? [];
  out += table(
    [
      { header: "phase" },
      { header: "time ms", align: "right" },
      { header: "free MiB", align: "right" },
      ...designs.map((d) => ({ header: `${d} MiB`, align: "right" as const })),
      { header: "desc slabs MiB", align: "right" },
    ],
    r.samples.map((s) => [
      s.phase,
      int(s.time),
      mib(s.freePages * 4096),
      ...s.designs.map((d) => mib(d.total)),
      mib(s.descriptorMemory.allocatedBytes),
    ]),
    { header: c.bold },
  );
  out += `\n${c.bold("Bill at the end")}\n`;
  out += formatBill(b, m.design, c);
  const dm = r.descriptorMemory;
  out += `\n${c.bold("Descriptor memory")} (slab caches in ${m.design}): ${int(dm.slabPages)} slab pages = ${mib(dm.allocatedBytes)} MiB, ${mib(dm.usedBytes)} MiB in live descriptors, ${percent(dm.fragmentation * 100)} fragmentation\n`;
  out += table(
    [
      { header: "cache" },
      { header: "object", align: "right" },
      { header: "order", align: "right" },
      { header: "per slab", align: "right" },
      { header: "slabs", align: "right" },
      { header: "live", align: "right" },
      { header: "rcu", align: "right" },
      { header: "used MiB", align: "right" },
      { header: "slab MiB", align: "right" },
    ],
    dm.caches.map((x) => [
      x.name,
      int(x.objectSize),
      String(x.order),
      int(x.objectsPerSlab),
      int(x.slabs),
      int(x.liveObjects),
      int(x.rcuObjects),
      mib(x.usedBytes),
      mib(x.allocatedBytes),
    ]),
    { header: c.bold },
  );
  out += `\n${c.bold("/proc/buddyinfo")}\n${r.buddyinfo.text}`;
  const warnings = [...r.warnings];
  if (r.rcu.pending > 0)
    warnings.push(`${int(r.rcu.pending)} RCU-deferred frees were still waiting at the end`);
  if (warnings.length > 0) out += `\n${formatWarnings(warnings, c)}`;
  return out;
}
