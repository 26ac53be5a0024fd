import type { GroupTally, UseTally } from "../classify.js";
import type { KernelCounters, VmstatCounter } from "../counters/kernel.js";
import type { GroupKey } from "../grouping.js";
import type { BilledUse, CountedUse, SurveyUse } from "../uses.js";
import { attributeUse, attributionOrder, available, distribute } from "./attribute.js";
import { type Attribution, type BilledTally, type CounterRef, Ledger } from "./ledger.js";

/** Pages a counter says a counted use has, and which counter. */
export interface CountedAmount {
  readonly pages: number;
  readonly ref: CounterRef;
}

/** What the counters prove about one machine or group. */
export interface Amounts {
  readonly counted: Partial<Record<CountedUse, CountedAmount>>;
  /** Free blocks by order, all zones together. */
  readonly freeBlocks?: { readonly blocks: readonly number[]; readonly ref: CounterRef } | undefined;
}

/** A machine's (or group's) uses after the counters' attributions. */
export interface Account {
  readonly billed: Record<BilledUse, BilledTally>;
  readonly attributions: readonly Attribution[];
  /** Free blocks /proc/buddyinfo has beyond the pages the page map found free (read a moment apart). */
  readonly freeBlocksTrimmed: number;
}

const vmstatFile = "/proc/vmstat";
const zoneinfoFile = "/proc/zoneinfo";
const buddyRef: CounterRef = { counter: "free_area nr_free", file: "/proc/buddyinfo" };
const pcpRef: CounterRef = { counter: "pagesets count", file: zoneinfoFile };

/**
 * A /proc/vmstat counter as the survey uses it: the midpoint of its readings before and after the page map
 * (the page map took that long to read), or the one reading there is.
 */
export function vmstatValue(k: KernelCounters, name: VmstatCounter): number | undefined {
  const a = k.vmstat?.[name];
  if (a === undefined) return undefined;
  const b = k.vmstatAfter?.[name];
  return b === undefined ? a : Math.round((a + b) / 2);
}

/** How far a counter moved while the page map was read. */
export function vmstatChurn(k: KernelCounters, name: VmstatCounter): number | undefined {
  const a = k.vmstat?.[name];
  const b = k.vmstatAfter?.[name];
  return a === undefined || b === undefined ? undefined : Math.abs(b - a);
}

const sumBlocks = (lists: readonly (readonly number[])[]): number[] => {
  const out: number[] = [];
  for (const l of lists)
    l.forEach((n, k) => {
      out[k] = (out[k] ?? 0) + n;
    });
  return out;
};

/** The machine-wide amounts: /proc/vmstat's counters, per-CPU pages and free blocks summed over the zones. */
export function machineAmounts(k: KernelCounters, slabPages: number): Amounts {
  const counted: Partial<Record<CountedUse, CountedAmount>> = {};
  if (k.zones) counted.pcp = { pages: k.zones.reduce((s, z) => s + z.pcpPages, 0), ref: pcpRef };
  const zs = vmstatValue(k, "nr_zspages");
  if (zs !== undefined) counted.zsmalloc = { pages: zs, ref: { counter: "nr_zspages", file: vmstatFile } };
  const io = vmstatValue(k, "nr_iommu_pages");
  if (io !== undefined) counted.iommu = { pages: io, ref: { counter: "nr_iommu_pages", file: vmstatFile } };
  const rec = vmstatValue(k, "nr_slab_reclaimable");
  const unrec = vmstatValue(k, "nr_slab_unreclaimable");
  if (rec !== undefined && unrec !== undefined)
    counted.largeKmalloc = {
      pages: Math.max(0, rec + unrec - slabPages),
      ref: { counter: "nr_slab_reclaimable + nr_slab_unreclaimable − slab pages", file: vmstatFile },
    };
  return {
    counted,
    freeBlocks: k.buddy ? { blocks: sumBlocks(k.buddy.map((b) => b.blocks)), ref: buddyRef } : undefined,
  };
}

/** Applies amounts to one set of uses. */
export function account(uses: Readonly<Record<SurveyUse, UseTally>>, amounts: Amounts): Account {
  const ledger = new Ledger(uses);
  const attributions: Attribution[] = [];
  for (const use of attributionOrder) {
    const a = amounts.counted[use];
    if (a) attributions.push(attributeUse(ledger, use, a.pages, a.ref));
  }
  const trimmed = amounts.freeBlocks
    ? ledger.setBlocks("free", amounts.freeBlocks.blocks, amounts.freeBlocks.ref).trimmed
    : 0;
  return { billed: ledger.result(), attributions, freeBlocksTrimmed: trimmed };
}

/** One group's account: a node, a zone, a memory cgroup. */
export interface GroupAccount extends Account {
  readonly key: GroupKey;
  readonly label: string;
}

/** A label for a group: `node 0`, `node 0 Normal`, a cgroup's path, or what the rest is. */
export function groupLabel(key: GroupKey, paths: ReadonlyMap<number, string>): string {
  switch (key.kind) {
    case "node":
      return `node ${key.node}`;
    case "zone":
      return `node ${key.node} ${key.zone}`;
    case "cgroup":
      return key.inode === 0
        ? "(not charged to a memcg)"
        : (paths.get(key.inode) ?? `inode ${key.inode} (path unknown)`);
    case "other":
      return `(${key.what})`;
  }
}

/**
 * Accounts for each group. Zones and nodes take the kernel's own per-zone counters (per-CPU pages,
 * NR_ZSPAGES, free blocks) and per-node ones (NR_IOMMU_PAGES, the slab counters) from /proc/zoneinfo; a node's
 * counter goes to its zones in the allocator's fallback order. Cgroups take the machine's amounts, uncharged
 * pages first (per-CPU pages are free, so never charged; zsmalloc and most IOMMU and kmalloc pages are
 * allocated without __GFP_ACCOUNT), then the cgroups with the most pages to take from.
 */
export function groupAccounts(
  groups: readonly GroupTally[],
  by: "node" | "zone" | "cgroup",
  k: KernelCounters,
  machine: Amounts,
): GroupAccount[] {
  const paths = new Map((k.cgroups?.paths ?? []).map((p) => [p.inode, p.path]));
  const ledgers = groups.map((g) => new Ledger(g.uses));
  const attributions: Attribution[][] = groups.map(() => []);
  const zoneIndex = new Map((k.zones ?? []).map((z, i) => [`${z.node} ${z.zone}`, i]));
  const zoneOrder = (key: GroupKey) =>
    key.kind === "zone" ? (zoneIndex.get(`${key.node} ${key.zone}`) ?? -1) : 0;
  // The zones of a node in fallback order (zoneinfo lists them lowest first), as group ids; for nodes, its group.
  const nodeGroups = (node: number): number[] =>
    groups
      .map((g, id) => ({ g, id }))
      .filter(({ g }) => (g.key.kind === "zone" || g.key.kind === "node") && g.key.node === node)
      .sort((a, b) => zoneOrder(b.g.key) - zoneOrder(a.g.key))
      .map(({ id }) => id);
  const nodes = [
    ...new Set(groups.flatMap((g) => (g.key.kind === "zone" || g.key.kind === "node" ? [g.key.node] : []))),
  ];
  const zonesOf = (key: GroupKey) =>
    (k.zones ?? []).filter(
      (z) =>
        (key.kind === "zone" && z.node === key.node && z.zone === key.zone) ||
        (key.kind === "node" && z.node === key.node),
    );

  for (const use of attributionOrder) {
    const shares = new Map<number, { pages: number; ref: CounterRef }>();
    if (by === "cgroup") {
      const a = machine.counted[use];
      if (!a) continue;
      const order = groups
        .map((g, id) => ({
          id,
          room: available(ledgers[id]!, use),
          uncharged: g.key.kind === "cgroup" && g.key.inode === 0,
        }))
        .sort((x, y) => Number(y.uncharged) - Number(x.uncharged) || y.room - x.room);
      for (const [id, pages] of distribute(a.pages, order)) shares.set(id, { pages, ref: a.ref });
    } else if (use === "pcp" || use === "zsmalloc") {
      if (!k.zones || (use === "zsmalloc" && !k.zones.some((z) => z.zspages !== undefined))) continue;
      groups.forEach((g, id) => {
        const pages = zonesOf(g.key).reduce((s, z) => s + (use === "pcp" ? z.pcpPages : (z.zspages ?? 0)), 0);
        shares.set(id, {
          pages,
          ref: use === "pcp" ? pcpRef : { counter: "nr_zspages", file: zoneinfoFile },
        });
      });
    } else {
      for (const node of nodes) {
        const stats = k.nodes?.find((n) => n.node === node)?.stats;
        if (!stats) continue;
        const ids = nodeGroups(node);
        let pages: number | undefined;
        let ref: CounterRef;
        if (use === "iommu") {
          pages = stats.nr_iommu_pages;
          ref = { counter: "nr_iommu_pages", file: zoneinfoFile };
        } else {
          const slab = ids.reduce((s, id) => s + groups[id]!.uses.slab.pages, 0);
          const r = stats.nr_slab_reclaimable;
          const u = stats.nr_slab_unreclaimable;
          pages = r === undefined || u === undefined ? undefined : Math.max(0, r + u - slab);
          ref = { counter: "nr_slab_reclaimable + nr_slab_unreclaimable − slab pages", file: zoneinfoFile };
        }
        if (pages === undefined) continue;
        const order = ids.map((id) => ({ id, room: available(ledgers[id]!, use) }));
        for (const [id, n] of distribute(pages, order)) shares.set(id, { pages: n, ref });
      }
    }
    for (const [id, s] of shares) attributions[id]!.push(attributeUse(ledgers[id]!, use, s.pages, s.ref));
  }
  return groups.map((g, id) => {
    let trimmed = 0;
    // Free pages are charged to no memcg: by cgroup, the free blocks are the uncharged group's.
    if (by === "cgroup" && machine.freeBlocks && g.key.kind === "cgroup" && g.key.inode === 0)
      trimmed = ledgers[id]!.setBlocks("free", machine.freeBlocks.blocks, buddyRef).trimmed;
    else if (by !== "cgroup" && k.buddy) {
      const zones = k.buddy.filter(
        (b) =>
          (g.key.kind === "zone" && b.node === g.key.node && b.zone === g.key.zone) ||
          (g.key.kind === "node" && b.node === g.key.node),
      );
      if (zones.length > 0)
        trimmed = ledgers[id]!.setBlocks("free", sumBlocks(zones.map((z) => z.blocks)), buddyRef).trimmed;
    }
    return {
      key: g.key,
      label: groupLabel(g.key, paths),
      billed: ledgers[id]!.result(),
      attributions: attributions[id]!,
      freeBlocksTrimmed: trimmed,
    };
  });
}
