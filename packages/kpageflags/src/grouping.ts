import type { RunBatch } from "./runs.js";

/**
 * Splits the page map into groups for bills by NUMA node, zone or memory cgroup. The classifier asks which
 * group a PFN is in, and to cut a PFN range at group boundaries; calls come in PFN order, except that a
 * compound page's group is asked at its head.
 */
export interface PfnGrouping {
  /** Groups so far (cgroups are found as the page map is read). */
  readonly size: number;
  /** The key of a group, as the survey reports it. */
  key(group: number): GroupKey;
  groupAt(pfn: number): number;
  /** Calls `fn(group, pages)` for each piece of `[start, start + len)`, in order. */
  split(start: number, len: number, fn: (group: number, pages: number) => void): void;
  /** Sees each batch before the classifier does (cgroups come from kpagecgroup). */
  beginBatch(batch: RunBatch): void;
  /** Nothing before `pfn` will be asked again. */
  forget(pfn: number): void;
}

/** What a group is: a node, a zone of a node, a memory cgroup (by its inode), or PFNs in none of them. */
export type GroupKey =
  | { readonly kind: "node"; readonly node: number }
  | { readonly kind: "zone"; readonly node: number; readonly zone: string }
  | { readonly kind: "cgroup"; readonly inode: number }
  | { readonly kind: "other"; readonly what: string };

/**
 * Cuts `[start, start + len)` at segment boundaries (`starts[i]` … `starts[i + 1]` is in `groups[i]`, the last
 * segment open-ended), from segment `i`, which holds `start`.
 */
function splitSegments(
  starts: readonly number[],
  groups: readonly number[],
  i: number,
  start: number,
  len: number,
  fn: (group: number, pages: number) => void,
): void {
  let pos = start;
  const end = start + len;
  for (let k = i; pos < end; k++) {
    const segEnd = k + 1 < starts.length ? Math.min(end, starts[k + 1]!) : end;
    fn(groups[k]!, segEnd - pos);
    pos = segEnd;
  }
}

/** A PFN range `[start, end)` and the group it belongs to. */
export interface GroupRange {
  readonly start: number;
  readonly end: number;
  readonly key: GroupKey;
}

/**
 * Groups by fixed PFN ranges: zones (their `start_pfn` and `spanned` from /proc/zoneinfo) or nodes. PFNs in no
 * range form a last group (`outside`). Ranges must not overlap.
 */
export function rangeGrouping(ranges: readonly GroupRange[], outside: string): PfnGrouping {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.start < sorted[i - 1]!.end)
      throw new RangeError(`group ranges overlap at PFN ${sorted[i]!.start}`);
  // Distinct keys (a node has several zone ranges when grouping by node) get one group each.
  const keys: GroupKey[] = [];
  const index = new Map<string, number>();
  const groupOf = sorted.map((r) => {
    const k = JSON.stringify(r.key);
    let g = index.get(k);
    if (g === undefined) {
      g = keys.length;
      keys.push(r.key);
      index.set(k, g);
    }
    return g;
  });
  const other = keys.length;
  keys.push({ kind: "other", what: outside });
  // Segments from PFN 0 on: starts[i] … starts[i + 1] are in groups[i]; gaps between ranges are `outside`.
  const starts: number[] = [];
  const groups: number[] = [];
  let pos = 0;
  sorted.forEach((r, i) => {
    if (r.start > pos) {
      starts.push(pos);
      groups.push(other);
    }
    starts.push(r.start);
    groups.push(groupOf[i]!);
    pos = r.end;
  });
  starts.push(pos);
  groups.push(other);
  const find = (pfn: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pfn) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    size: keys.length,
    key: (g) => keys[g]!,
    groupAt: (pfn) => groups[find(pfn)]!,
    split: (start, len, fn) => splitSegments(starts, groups, find(start), start, len, fn),
    beginBatch() {},
    forget() {},
  };
}

/** The most cgroups kept apart; pages of any further ones are counted together (a hostile kpagecgroup). */
export const maxCgroupGroups = 4096;

/**
 * Groups by memory cgroup, from /proc/kpagecgroup read in lockstep with kpageflags: each PFN's group is the
 * inode of the memcg it is charged to (0: not charged). Keeps the cgroup runs from the oldest PFN the
 * classifier may still ask about, so memory follows the runs of one open stretch, not the machine.
 */
export function cgroupGrouping(): PfnGrouping {
  const keys: GroupKey[] = [];
  const index = new Map<number, number>();
  // Segments: starts[i] … starts[i + 1] belong to groups[i]; `end` closes the last one.
  let starts: number[] = [];
  let groups: number[] = [];
  let end = 0;
  let cursor = 0;
  const groupOfInode = (ino: number) => {
    let g = index.get(ino);
    if (g === undefined) {
      if (keys.length >= maxCgroupGroups) {
        g = index.get(-1);
        if (g === undefined) {
          g = keys.length;
          keys.push({ kind: "other", what: `cgroups after the first ${maxCgroupGroups}` });
          index.set(-1, g);
        }
      } else {
        g = keys.length;
        keys.push({ kind: "cgroup", inode: ino });
      }
      index.set(ino, g);
    }
    return g;
  };
  const seek = (pfn: number) => {
    if (cursor >= starts.length || starts[cursor]! > pfn) cursor = 0;
    while (cursor + 1 < starts.length && starts[cursor + 1]! <= pfn) cursor++;
    return cursor;
  };
  return {
    get size() {
      return keys.length;
    },
    key: (g) => keys[g]!,
    groupAt(pfn) {
      if (starts.length === 0 || pfn < starts[0]! || pfn >= end)
        throw new RangeError(`PFN ${pfn} is outside the kpagecgroup runs held (${starts[0]}…${end})`);
      return groups[seek(pfn)]!;
    },
    split: (start, len, fn) => splitSegments(starts, groups, seek(start), start, len, fn),
    beginBatch(batch) {
      const cg = batch.cgroups;
      if (!cg) throw new RangeError("grouping by cgroup needs kpagecgroup, read in lockstep with kpageflags");
      let pfn = batch.pfn;
      for (let r = 0; r < cg.count; r++) {
        const ino = cg.runs[r * 3]! + cg.runs[r * 3 + 1]! * 4294967296;
        const g = groupOfInode(ino);
        if (groups.length > 0 && groups[groups.length - 1] === g && end === pfn) {
          // The run continues the last segment.
        } else {
          starts.push(pfn);
          groups.push(g);
        }
        pfn += cg.runs[r * 3 + 2]!;
      }
      end = pfn;
    },
    forget(pfn) {
      // Drop whole segments that end at or before pfn, keeping the arrays short.
      let k = 0;
      while (k + 1 < starts.length && starts[k + 1]! <= pfn) k++;
      if (k > 1024 || k > starts.length / 2) {
        starts = starts.slice(k);
        groups = groups.slice(k);
        cursor = 0;
      }
    },
  };
}
