import { c, defineDescriptor } from "@memdesc/core";
import { z } from "zod";

/**
 * A struct slab for simulator tests, so this package's tests need no other plugin package: the memmap keeps
 * descriptors in slab caches and needs a slab kind (with core's fallback geometry instead of SLUB's).
 */
export const simSlab = defineDescriptor({
  name: "test-sim-slab",
  kind: "slab",
  title: "struct slab (simulator tests)",
  uses: ["slab"],
  today: c.struct("slab_today", [["flags", c.ulong]]),
  memdesc: c.struct("slab", [
    ["flags", c.ulong],
    ["slab_cache", c.ptr()],
    ["slab_list", c.listHead],
    ["freelist", c.ptr()],
    ["counters", c.ulong],
    ["obj_exts", c.ulong],
  ]),
  schema: z.object({}),
});
