import { thousands } from "@memdesc/core/format";
import {
  type Account,
  account,
  type GroupAccount,
  groupAccounts,
  machineAmounts,
} from "./account/account.js";
import { attributionPlans } from "./account/attribute.js";
import type { Attribution, BilledTally } from "./account/ledger.js";
import { type Classification, Classifier } from "./classify.js";
import {
  CounterReader,
  type KernelCounters,
  readKernelCounters,
  readPagetypeLater,
} from "./counters/kernel.js";
import { KpageflagsError } from "./errors.js";
import { cgroupGrouping, type GroupRange, type PfnGrouping, rangeGrouping } from "./grouping.js";
import { type HugetlbState, hugetlbNotes, hugetlbStateOf } from "./hugetlb.js";
import type { PageMapFiles, PageMapInfo, PageMapSource } from "./read/chunk.js";
import type { SystemRoot } from "./root/root.js";
import type { RunBatch } from "./runs.js";
import { type BilledUse, type SurveyUse, type UnseenUse, unseenUses } from "./uses.js";

/** Where a survey's page map came from. */
export interface SurveySource {
  readonly kind: PageMapInfo["kind"];
  readonly path: string;
  readonly kernelRelease: string | undefined;
  readonly machine: string | undefined;
  readonly capturedAt: string | undefined;
  readonly files: PageMapFiles;
}

/** A use the survey could not see, where its pages are counted instead, and why no counter showed it. */
export interface UnseenEntry {
  readonly use: UnseenUse;
  readonly why: string;
  readonly countedAs: readonly SurveyUse[];
  /** The counter that would show it, and why it was not there; undefined where none exists. */
  readonly counter: string | undefined;
}

/** How a survey is split (`--by`). */
export type SurveyGrouping = "node" | "zone" | "cgroup";

/**
 * A machine's page map classified, and what the kernel's counters prove beside it: pages and descriptors per
 * memory use as the page map shows them (`uses`), the same after attributing what only counters can see
 * (`billed`, each use saying whether it was classified PFN by PFN or attributed, and from which counter),
 * descriptor orders, the flag-word histogram, RAM and hole accounting, the kernel quirks seen and corrected for,
 * anomalies, the counters themselves, and what neither can show.
 */
export interface Survey extends Omit<Classification, "groups"> {
  readonly source: SurveySource;
  readonly pageSize: number;
  readonly sectionPfns: number;
  /** The kernel's counters as read around the page map; undefined for a page map alone (raw dump, v1 snapshot). */
  readonly kernel: KernelCounters | undefined;
  /** The uses a bill prices: the page map's, with the counters' attributions applied. */
  readonly billed: Record<BilledUse, BilledTally>;
  /** What the counters moved, from which page-map uses. */
  readonly attributions: readonly Attribution[];
  /** The bill split by node, zone or memory cgroup, when asked for. */
  readonly groups: { readonly by: SurveyGrouping; readonly rows: readonly GroupAccount[] } | undefined;
  /** Uses neither the page map nor a readable counter shows, reported rather than guessed. */
  readonly unseen: readonly UnseenEntry[];
  /** Caveats that apply to this survey, in plain words. */
  readonly notes: readonly string[];
  /**
   * HugeTLB beyond kpageflags: HVO on or off and the pools, from the counters read with the page map; undefined
   * for a page map alone.
   */
  readonly hugetlb?: HugetlbState;
}

export interface SurveyOptions {
  /** How many anomalies to keep as examples (default 16). */
  readonly maxExamples?: number | undefined;
  /** The machine's /proc and /sys, for its counters; without it the survey is of the page map alone. */
  readonly root?: SystemRoot | undefined;
  /** Split the bill by NUMA node, zone or memory cgroup. */
  readonly by?: SurveyGrouping | undefined;
  /** Sees every batch of the page map as it is classified (a capture stores them). */
  readonly onBatch?: ((batch: RunBatch) => void) | undefined;
  /** PFNs done so far, and the PFNs expected. */
  readonly onProgress?: ((done: number, expected: number | undefined) => void) | undefined;
  /** Stops reading the page map (the survey then rejects with the signal's reason). */
  readonly signal?: AbortSignal | undefined;
}

const n = thousands;

/** The PFN ranges of the zones (or nodes) zoneinfo gives, for a bill by zone or node. */
function zoneRanges(k: KernelCounters | undefined, by: "node" | "zone"): GroupRange[] {
  if (!k?.zones)
    throw new KpageflagsError(
      "BAD_OPTION",
      `--by ${by} needs /proc/zoneinfo, which could not be read`,
      "survey the machine itself, or a snapshot or copy that has /proc/zoneinfo",
    );
  return k.zones
    .filter((z) => z.startPfn !== undefined && z.spanned > 0)
    .map((z) => ({
      start: z.startPfn!,
      end: z.startPfn! + z.spanned,
      key:
        by === "zone"
          ? { kind: "zone" as const, node: z.node, zone: z.zone }
          : { kind: "node" as const, node: z.node },
    }));
}

function groupingFor(
  by: SurveyGrouping | undefined,
  k: KernelCounters | undefined,
  info: PageMapInfo,
): PfnGrouping | undefined {
  if (!by) return undefined;
  if (by === "cgroup") {
    if (!info.files.kpagecgroup)
      throw new KpageflagsError(
        "BAD_OPTION",
        `--by cgroup needs /proc/kpagecgroup, and ${info.path} was read without it`,
        "survey the machine itself, or a snapshot captured with kpagecgroup (the default)",
      );
    return cgroupGrouping();
  }
  try {
    return rangeGrouping(zoneRanges(k, by), "outside every zone");
  } catch (err) {
    if (err instanceof KpageflagsError) throw err;
    throw new KpageflagsError(
      "BAD_OPTION",
      `--by ${by}: ${(err as Error).message} in /proc/zoneinfo (zones of different nodes interleave)`,
      "survey without --by, or by cgroup",
    );
  }
}

/** A classifier set up for a source. */
export function classifierFor(
  info: PageMapInfo,
  options: Pick<SurveyOptions, "maxExamples"> & { grouping?: PfnGrouping | undefined } = {},
): Classifier {
  return new Classifier({
    ram: info.ram,
    sectionPfns: info.sectionPfns,
    startPfn: info.startPfn,
    maxExamples: options.maxExamples,
    grouping: options.grouping,
  });
}

function unseenOf(k: KernelCounters | undefined, acc: Account): UnseenEntry[] {
  const attributed = new Set<string>(acc.attributions.map((a) => a.use));
  return (Object.keys(unseenUses) as UnseenUse[])
    .filter((u) => !attributed.has(u))
    .map((u) => {
      const e = unseenUses[u];
      let counter: string | undefined;
      if (e.counter !== undefined) {
        const why = k
          ? (k.unreadable.find((x) => (e.needs as readonly string[]).includes(x.path))?.why ?? "not read")
          : "not read (a page map alone)";
        counter = `${e.counter}: ${why}`;
      }
      return { use: u, why: e.why, countedAs: e.countedAs, counter };
    });
}

/** Builds the survey from a finished classification and the counters read around it. */
export function makeSurvey(
  info: PageMapInfo,
  c: Classification,
  kernel: KernelCounters | undefined,
  by?: SurveyGrouping,
): Survey {
  const amounts = kernel ? machineAmounts(kernel, c.uses.slab.pages) : { counted: {} };
  const acc = account(c.uses, amounts);
  const notes: string[] = [];
  if (!kernel) notes.push("the kernel's counters were not read: this is a survey of the page map alone");
  if (!c.ram.known)
    notes.push("System RAM ranges were not known (no /proc/iomem): zero pages cannot be told from holes");
  if (info.files.kpagecount)
    notes.push(
      "kpagecount was read in lockstep with kpageflags; free pages with a mapcount mean the two disagreed",
    );
  if (c.quirks.nopage > 0) notes.push("NOPAGE seen: a kernel before 6.15, where holes read NOPAGE, not 0");
  if (c.quirks.unknownBits > 0)
    notes.push(
      `pages with bits no kernel defines: ${c.quirks.unknownBitList.join(", ")} (ERROR is bit 1, dead)`,
    );
  for (const a of acc.attributions)
    if (a.short > 0)
      notes.push(
        `${a.use}: ${n(a.short)} of the ${n(a.counted)} pages counted (${a.counter}) were not found as whole allocations in ${attributionPlans[a.use].from.map((f) => f.use).join(" or ")}: churn while reading, or a counter that counts more than the page map shows there`,
      );
  if (acc.freeBlocksTrimmed > 0)
    notes.push(
      `/proc/buddyinfo's free blocks cover more pages than the page map found free (read a moment apart): each order's count was scaled down alike to fit, ${n(acc.freeBlocksTrimmed)} blocks fewer`,
    );
  const groups =
    by && c.groups && kernel
      ? {
          by,
          // Groups with no pages at all (PFNs outside every zone, on a machine where there are none) are left out.
          rows: groupAccounts(c.groups, by, kernel, amounts).filter((g) =>
            Object.values(g.billed).some((t) => t.pages > 0),
          ),
        }
      : undefined;
  if (groups && by !== "cgroup")
    notes.push(
      `by ${by}: each ${by}'s counters come from /proc/zoneinfo, the machine's from /proc/vmstat, read a moment apart`,
    );
  const hugetlb = kernel ? hugetlbStateOf(kernel, info.pageSize) : undefined;
  // The cross-check's hugetlb row sets the pools against the page map; the notes say what HVO does to the bill.
  notes.push(...hugetlbNotes(hugetlb, c.uses.hugetlb.pages, { comparePools: false }));
  const { groups: _, ...classified } = c;
  return {
    source: {
      kind: info.kind,
      path: info.path,
      kernelRelease: info.kernelRelease,
      machine: info.machine,
      capturedAt: info.capturedAt,
      files: info.files,
    },
    pageSize: info.pageSize,
    sectionPfns: info.sectionPfns,
    ...classified,
    kernel,
    billed: acc.billed,
    attributions: acc.attributions,
    groups,
    unseen: unseenOf(kernel, acc),
    notes,
    ...(hugetlb ? { hugetlb } : {}),
  };
}

/**
 * Reads a page-map source to the end and classifies it; with a `root`, reads the kernel's counters before the
 * page map and /proc/vmstat again after it (the change is the churn during the read), and attributes what
 * they prove.
 */
export async function survey(source: PageMapSource, options: SurveyOptions = {}): Promise<Survey> {
  const info = source.info;
  // Ask for the page map first: a live source starts its reader threads now, while the counters are read.
  const batches = source.batches();
  const reader = options.root ? new CounterReader(options.root) : undefined;
  let before: KernelCounters | undefined;
  let classifier: Classifier;
  const pagetype = reader && readPagetypeLater(reader);
  // Awaited after the page map; handled now, so an error while the map is read is not an unhandled rejection.
  pagetype?.catch(() => {});
  try {
    before = reader ? readKernelCounters(reader, { cgroups: info.files.kpagecgroup }) : undefined;
    classifier = classifierFor(info, { ...options, grouping: groupingFor(options.by, before, info) });
  } catch (err) {
    // Stop the readers that were started for nothing.
    for await (const _ of batches) break;
    await pagetype?.catch(() => undefined);
    throw err;
  }
  const expected = info.pfnCount ?? info.expectedPfnCount;
  let done = 0;
  for await (const batch of batches) {
    options.signal?.throwIfAborted();
    classifier.pushRuns(batch);
    options.onBatch?.(batch);
    done += batch.length;
    options.onProgress?.(done, expected);
  }
  const after = reader?.vmstat();
  const pagetypeDone = await pagetype;
  // Sorted, so the survey of a snapshot (which replays the reads in another order) lists them the same.
  const kernel = before && {
    ...before,
    pagetype: pagetypeDone,
    vmstatAfter: after,
    read: [...reader!.read].sort(),
    unreadable: [...reader!.unreadable].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
  return makeSurvey(info, classifier.finish(), kernel, options.by);
}
