import { describe, expect, it } from "vitest";
import { ValidationError } from "../validate.js";
import { preset, presets } from "./presets.js";
import { parseWorkload } from "./schema.js";
import { formatSize, parseSize } from "./size.js";

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error("expected a ValidationError");
};

describe("workload schema", () => {
  it("fills defaults and accepts every preset", () => {
    const w = parseWorkload({
      name: "w",
      phases: [{ name: "p", actions: [{ action: "pagecache", share: 0.1 }] }],
    });
    expect(w).toMatchObject({ seed: 1, memory: "4G", nodes: 1, nrCpus: 16 });
    expect(w.phases[0]!.actions[0]).toEqual({ action: "pagecache", share: 0.1, orders: { "0": 1 } });
    for (const name of Object.keys(presets)) expect(preset(name).name).toBe(name);
    expect(() => preset("laptop")).toThrow(
      /no workload preset "laptop" \(presets: desktop, database, hypervisor, accelerator\)/,
    );
  });

  it("names the file and the key of each mistake", () => {
    const bad = {
      name: "w",
      phases: [
        {
          name: "p",
          actions: [
            { action: "pagecache", share: 1.5 },
            { action: "anon", share: 0.1, size: "1G" },
            { action: "hugetlb", share: 0.1, order: 18 },
            { action: "slab", share: 0.1, caches: [] },
            { action: "swap", share: 0.1 },
          ],
        },
      ],
    };
    const msg = messageOf(() => parseWorkload(bad, "workload db.json"));
    expect(msg).toMatch(/^workload db\.json:/);
    expect(msg).toContain("phases[0].actions[0].share: a share is between 0 and 1");
    expect(msg).toContain("phases[0].actions[1].share: give exactly one of share (of RAM) and size (bytes)");
    expect(msg).toContain("phases[0].actions[2].order: orders go up to MAX_PAGE_ORDER (10)");
    expect(msg).toContain("phases[0].actions[3].caches: name at least one cache");
    expect(msg).toContain("phases[0].actions[4].action");
    expect(messageOf(() => parseWorkload({ name: "w", phases: [], colour: 1 }, "w.json"))).toMatch(
      /w\.json:[\s\S]*phases: a workload has at least one phase[\s\S]*Unrecognized key: "colour"/,
    );
  });

  it("reads sizes in binary units", () => {
    expect([parseSize("4G"), parseSize("512M"), parseSize("1TiB"), parseSize(4096)]).toEqual([
      2 ** 32,
      2 ** 29,
      2 ** 40,
      4096,
    ]);
    expect(() => parseSize("lots", "--memory")).toThrow(
      '--memory: "lots" is not a size like 4096, 512M, 4G or 1T',
    );
    expect(formatSize(2 ** 40)).toBe("1 TiB");
  });
});
