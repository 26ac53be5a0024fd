import {
  defineSimulation,
  kernel,
  type SimulationMachine,
  type SlabGeometryRequest,
  type SlabGeometryResult,
} from "@memdesc/core";
import { calculateSizes, slubParams } from "./geometry.js";

/**
 * SLUB's geometry for a cache the memmap simulator creates: `calculate_sizes()` and `calculate_order()` of
 * mm/slub.c for the object, its alignment and SLAB_TYPESAFE_BY_RCU, on a machine with `nrCpus` CPUs. Descriptor
 * caches name a `freeptr_offset` inside the object, so RCU does not make their objects bigger.
 */
export function simulatedSlabGeometry(
  req: SlabGeometryRequest,
  machine: SimulationMachine,
): SlabGeometryResult {
  const params = slubParams({ nrCpus: machine.nrCpus, pageSize: machine.pageSize });
  const g = calculateSizes(
    {
      objectSize: req.objectSize,
      align: req.align,
      typesafeByRcu: req.typesafeByRcu,
      ...(req.freeptrOffset !== undefined
        ? { useFreeptrOffset: true, freeptrOffset: req.freeptrOffset }
        : {}),
    },
    params,
  );
  return { size: g.size, order: g.order, objects: g.objects };
}

/**
 * What the slab plugin gives the simulator: SLUB geometry for every cache, and `slab_list` as the free pointer of
 * a freed struct slab (an RCU reader that finds one still sees `slab_cache` and the counters).
 */
export const slabSimulation = defineSimulation({
  slabGeometry: simulatedSlabGeometry,
  freePointer: "slab_list",
  behaviours: [
    {
      name: "SLUB geometry",
      what: "every cache's object stride, slab order and objects per slab from calculate_sizes() and calculate_order(), for the machine's CPU count",
      provenance: kernel("mm/slub.c (calculate_sizes, calculate_order)", "6.18"),
    },
  ],
});
