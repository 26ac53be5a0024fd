import { createRegistry } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { MAX_OBJS_PER_PAGE } from "./geometry.js";
import { slab } from "./plugin.js";
import { counterBits, slabValueSchema } from "./schema.js";

const issues = (v: unknown) => {
  const r = slabValueSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("a slab's values", () => {
  it("takes its bounds from struct slab's bitfields: inuse:16, objects:15, frozen:1", () => {
    expect(counterBits).toEqual({ inuse: 16, objects: 15, frozen: 1 });
    expect(MAX_OBJS_PER_PAGE).toBe(32767);
  });

  it("accepts real slabs", () => {
    expect(slabValueSchema.parse({ order: 0, objects: 64, inuse: 10 })).toEqual({
      order: 0,
      objects: 64,
      inuse: 10,
      frozen: false,
    });
    expect(issues({ order: 3, objects: 4, inuse: 4, frozen: true, size: 8192 })).toEqual([]);
    expect(issues({ order: 3, objects: 32767, inuse: 0 })).toEqual([]);
    expect(issues({ order: 0, objects: 512, inuse: 512, size: 8 })).toEqual([]);
  });

  it.each([
    [
      { order: 0, objects: 4, inuse: 5 },
      ["inuse: inuse 5 exceeds objects 4: a slab cannot hand out more objects than it has"],
    ],
    [
      { order: 0, objects: 32768, inuse: 0 },
      ["objects: objects is a 15-bit field: at most 32767 (MAX_OBJS_PER_PAGE)"],
    ],
    [{ order: 0, objects: 0, inuse: 0 }, ["objects: a slab holds at least one object"]],
    [{ order: 0, objects: 1, inuse: -1 }, ["inuse: inuse cannot be negative"]],
    [{ order: 11, objects: 1, inuse: 0 }, ["order: order is at most MAX_PAGE_ORDER (10)"]],
    [{ order: -1, objects: 1, inuse: 0 }, ["order: order cannot be negative"]],
    [
      { order: 0, objects: 1, inuse: 0, frozen: 1 },
      ["frozen: Invalid input: expected boolean, received number"],
    ],
    [
      { order: 0, objects: 22, inuse: 0, size: 192 },
      ["objects: 22 objects of 192 bytes need 4224 bytes, more than an order-0 slab's 4096"],
    ],
    [{ order: 0, objects: 1, inuse: 0, size: 0 }, ["size: size (s->size) is at least 1 byte"]],
  ])("rejects %j", (value, expected) => {
    expect(issues(value)).toEqual(expected);
  });

  it("is what a registry validates slab values with", () => {
    const r = createRegistry({ plugins: [slab()] });
    expect(r.parse("slab", { order: 1, objects: 42, inuse: 42, frozen: true }).frozen).toBe(true);
    expect(() => r.parse("slab", { order: 1, objects: 42, inuse: 43 })).toThrow(
      'slab value (plugin "@memdesc/slab"): inuse: inuse 43 exceeds objects 42: a slab cannot hand out more objects than it has',
    );
  });
});
