import type { ActionContext, MemoryUse } from "@memdesc/core";
import type { Memmap } from "../memmap/memmap.js";

/** What an action's run is given besides its kind's context. */
export interface ActionRun {
  /** The use its pages count as. */
  readonly use: MemoryUse;
  /** The node to allocate on (-1, the default: any). */
  readonly nid?: number;
  /** The action's amount in bytes. */
  readonly bytes: number;
  readonly random: () => number;
  /** Hears of each descriptor the action tracks (default: nothing). */
  readonly track?: (desc: number) => void;
  /** Hears of each failure (default: nothing). */
  readonly failed?: (what: string) => void;
}

/**
 * The context a plugin's workload action runs with on `m`: its kind's context (what the kind's hooks get), with
 * the run's amount, node, random numbers and callbacks on top. The runner makes one per action it runs; a
 * plugin's tests make one to run an action alone.
 */
export function actionContext<State = unknown>(
  m: Memmap,
  kind: string,
  run: ActionRun,
): ActionContext<State> {
  const u = m.useOf(run.use);
  const ctx = Object.create(m.context(kind)) as ActionContext<State>;
  return Object.assign(ctx, {
    use: run.use,
    nid: run.nid ?? -1,
    bytes: run.bytes,
    random: run.random,
    track: run.track ?? (() => {}),
    usePages: () => m.usePages[u]!,
    failed: run.failed ?? (() => {}),
  });
}
