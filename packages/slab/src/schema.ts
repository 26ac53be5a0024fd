import { layoutOf, linux618, MAX_PAGE_ORDER, PAGE_SIZE } from "@memdesc/core";
import { z } from "zod";
import { MAX_OBJS_PER_PAGE } from "./geometry.js";
import { slabToday } from "./today.js";

// Laid out once: the plugin's module is loaded by every command that composes the descriptor set.
const slabFields = layoutOf(slabToday, { config: linux618 }).fields;
const bitfield = (name: string) => slabFields.find((x) => x.path === name)?.bitSize ?? 0;
/** Widths of the counters bitfields, from struct slab's layout. */
export const counterBits = {
  inuse: bitfield("inuse"),
  objects: bitfield("objects"),
  frozen: bitfield("frozen"),
};

const int = z.number().int();

/**
 * The values of one slab, with SLUB's constraints: `inuse ≤ objects ≤ MAX_OBJS_PER_PAGE` (the widths of struct
 * slab's bitfields), the frozen bit, and a slab order the page allocator can satisfy. With the object stride
 * (`size`, s->size), the objects must fit in the slab.
 */
export const slabValueSchema = z
  .object({
    /** The slab's order: SLUB never asks for more than MAX_PAGE_ORDER. */
    order: int
      .min(0, "order cannot be negative")
      .max(MAX_PAGE_ORDER, `order is at most MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`),
    /** `slab->objects`. */
    objects: int
      .min(1, "a slab holds at least one object")
      .max(
        MAX_OBJS_PER_PAGE,
        `objects is a ${counterBits.objects}-bit field: at most ${MAX_OBJS_PER_PAGE} (MAX_OBJS_PER_PAGE)`,
      ),
    /** `slab->inuse`: objects handed out. */
    inuse: int.min(0, "inuse cannot be negative"),
    /** `slab->frozen`: the slab is a CPU's active slab and off the node's partial list. */
    frozen: z.boolean().default(false),
    /** `s->size`, the object stride, when known. */
    size: int.min(1, "size (s->size) is at least 1 byte").optional(),
  })
  .superRefine((v, ctx) => {
    if (v.inuse > v.objects)
      ctx.addIssue({
        code: "custom",
        path: ["inuse"],
        message: `inuse ${v.inuse} exceeds objects ${v.objects}: a slab cannot hand out more objects than it has`,
      });
    if (v.size !== undefined && v.objects * v.size > PAGE_SIZE * 2 ** v.order)
      ctx.addIssue({
        code: "custom",
        path: ["objects"],
        message: `${v.objects} objects of ${v.size} bytes need ${v.objects * v.size} bytes, more than an order-${v.order} slab's ${PAGE_SIZE * 2 ** v.order}`,
      });
  });

export type SlabValueInput = z.input<typeof slabValueSchema>;
export type SlabValue = z.output<typeof slabValueSchema>;
