import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { needs } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { SlabError } from "./errors.js";
import { slubParams } from "./geometry.js";
import { parseCpuList, readSlabMachine } from "./node.js";
import {
  checkSlabinfo,
  parseSlabinfo,
  parseSlabMachine,
  parseSlubBootParams,
  type SlabinfoReport,
  type SlabMachine,
} from "./slabinfo.js";

const fixtureRoot = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");
const fixtureDirs = readdirSync(fixtureRoot);

const paramsOf = (m: SlabMachine) =>
  slubParams({ nrCpus: m.cpus.present, nrCpuIds: m.cpus.possible, pageSize: m.pageSize, ...m.bootParams });

/** Prints the agreement and every cache that disagrees, with its explanation. */
function report(label: string, r: SlabinfoReport): void {
  const bad = r.caches.filter((c) => !c.agrees);
  const lines = bad.map(
    (c) =>
      `  ${c.name}: observed ${c.observed.objsize} B × ${c.observed.objperslab} in ${c.observed.pagesperslab} page(s), computed ${c.computed.objsize} B × ${c.computed.objperslab} in ${c.computed.pagesperslab}: ${c.explanation}`,
  );
  console.log(
    `${label}: SLUB geometry agrees on ${r.agreeing} of ${r.total} caches (${(r.agreement * 100).toFixed(2)}%), objsize computed for ${r.sizesComputed}${lines.length ? `; disagreeing:\n${lines.join("\n")}` : ""}`,
  );
}

describe("parseSlabinfo", () => {
  it("reads every cache line of a 2.1 slabinfo", () => {
    const text =
      "slabinfo - version: 2.1\n# name ...\nkmalloc-64   5472   5504     64   64    1 : tunables    0    0    0 : slabdata     86     86      0\n";
    expect(parseSlabinfo(text)).toEqual([
      {
        name: "kmalloc-64",
        activeObjs: 5472,
        numObjs: 5504,
        objsize: 64,
        objperslab: 64,
        pagesperslab: 1,
        activeSlabs: 86,
        numSlabs: 86,
      },
    ]);
  });

  it("names the file and line it cannot read", () => {
    expect(() => parseSlabinfo("MemTotal: 1 kB\n", "meminfo")).toThrow(
      new SlabError("BAD_SLABINFO", 'meminfo:1: not a slabinfo file (no "slabinfo - version:" line)'),
    );
    expect(() => parseSlabinfo("slabinfo - version: 1.1\n")).toThrow(
      "/proc/slabinfo:1: slabinfo version 1.1, expected 2.1",
    );
    expect(() => parseSlabinfo("slabinfo - version: 2.1\n# header\nkmalloc-64 1 2 three\n", "x")).toThrow(
      'x:3: cannot read "kmalloc-64 1 2 three"',
    );
    expect(() =>
      parseSlabinfo("slabinfo - version: 2.1\nodd 1 1 64 64 3 : tunables 0 0 0 : slabdata 1 1 0\n", "x"),
    ).toThrow("x:2: cache odd has objsize 64, objperslab 64, pagesperslab 3");
  });

  it("reads the slub boot parameters and sysfs CPU lists", () => {
    expect(
      parseSlubBootParams("quiet slub_min_objects=16 slab_max_order=2 slub_max_order=1 -- slub_min_order=3"),
    ).toEqual({ minObjects: 16, maxOrder: 1 });
    expect(parseCpuList("0-3,8,10-11\n", "present")).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(() => parseCpuList("0-a", "present")).toThrow('present: cannot read CPU list "0-a"');
  });
});

describe.each(fixtureDirs)("the shipped fixture %s", (dir) => {
  const slabinfo = readFileSync(join(fixtureRoot, dir, "slabinfo.txt"), "utf8");
  const entries = parseSlabinfo(slabinfo, `fixtures/${dir}/slabinfo.txt`);
  const machine = parseSlabMachine(
    JSON.parse(readFileSync(join(fixtureRoot, dir, "slab-machine.json"), "utf8")),
    `fixtures/${dir}/slab-machine.json`,
  );

  it("says what slabinfo's columns are: objsize = s->size (sysfs slab_size), objperslab and pagesperslab = s->oo", () => {
    expect(entries.length).toBeGreaterThan(100);
    for (const e of entries) {
      const sys = machine.caches[e.name];
      expect(sys, e.name).toBeDefined();
      expect([e.name, e.objsize, e.objperslab, e.pagesperslab]).toEqual([
        e.name,
        sys!.slab_size,
        sys!.objs_per_slab,
        2 ** sys!.order,
      ]);
      expect(e.objsize).toBeGreaterThanOrEqual(sys!.object_size);
    }
  });

  it("agrees with SLUB's arithmetic on at least 95% of the caches, from object size, alignment and flags", () => {
    const r = checkSlabinfo(entries, paramsOf(machine), machine.caches);
    report(`fixture ${dir}`, r);
    expect(r.sizesComputed).toBe(entries.length);
    expect(r.agreement).toBeGreaterThanOrEqual(0.95);
    for (const c of r.caches.filter((x) => !x.agrees)) expect(c.explanation, c.name).toMatch(/\S/);
  });

  it("agrees on every cache's order and objects per slab given its objsize", () => {
    const r = checkSlabinfo(entries, paramsOf(machine));
    report(`fixture ${dir} (order and objects only)`, r);
    expect(r.sizesComputed).toBe(0);
    expect(r.agreement).toBeGreaterThanOrEqual(0.95);
  });
});

describe("the fixture of the machine the reference was measured on", () => {
  const dir = "6.18.44-fc-v669";
  const entries = parseSlabinfo(readFileSync(join(fixtureRoot, dir, "slabinfo.txt"), "utf8"));
  const machine = parseSlabMachine(
    JSON.parse(readFileSync(join(fixtureRoot, dir, "slab-machine.json"), "utf8")),
  );

  it("disagrees only on vm_area_struct, whose free pointer lives inside the object", () => {
    const r = checkSlabinfo(entries, paramsOf(machine), machine.caches);
    expect([r.total, r.agreeing]).toEqual([235, 234]);
    expect(r.caches.filter((c) => !c.agrees)).toEqual([
      {
        name: "vm_area_struct",
        observed: { objsize: 192, objperslab: 21, pagesperslab: 1 },
        computed: { objsize: 256, objperslab: 16, pagesperslab: 1 },
        agrees: false,
        differs: ["objsize", "objperslab"],
        explanation:
          "objsize 192, computed 256 from object_size 192, align 64: the cache is SLAB_TYPESAFE_BY_RCU but keeps its free pointer inside the object (kmem_cache_args.freeptr_offset, which sysfs does not show); without the extra word after the object the stride is 192, which gives 21 objects per 1-page slab as observed",
      },
    ]);
  });

  it("explains an order no CPU count gives as set through sysfs", () => {
    const e = entries.find((x) => x.name === "kmalloc-64")!;
    const r = checkSlabinfo([{ ...e, pagesperslab: 4, objperslab: 256 }], paramsOf(machine));
    expect(r.caches[0]!.explanation).toBe(
      "order 2, computed 0: slub_min_order=2 reproduces it, so the order was raised at boot or through /sys/kernel/slab/kmalloc-64/order",
    );
  });

  it("explains an order that a different CPU count gives", () => {
    const e = { ...entries.find((x) => x.name === "kmalloc-256")!, objperslab: 32, pagesperslab: 2 };
    expect(checkSlabinfo([e], paramsOf(machine)).caches[0]!.explanation).toBe(
      "order 1, computed 0 with 2 present CPUs; order 1 is what 8–15, 16–31, 32–63, 64–127 present CPUs give, so the cache was created while that many were present",
    );
  });

  it("explains objects per slab that do not fill the slab, and a stride debug flags account for", () => {
    const e = entries.find((x) => x.name === "kmalloc-64")!;
    expect(checkSlabinfo([{ ...e, objperslab: 60 }], paramsOf(machine)).caches[0]!.explanation).toBe(
      "objperslab 60 is not what 1 page(s) of 64-byte objects hold (64), so order_objects() did not compute it: not SLUB's geometry (another allocator, or a patched one)",
    );
    // dentry: 192 bytes, 8-aligned; red zoning adds a word after it, one before the free pointer's word and
    // a left pad: 192 + 8 + 8 + 8 = 216.
    const dentry = entries.find((x) => x.name === "dentry")!;
    const redZoned = { ...dentry, objsize: 216, objperslab: 18 };
    expect(
      checkSlabinfo([redZoned], paramsOf(machine), { dentry: machine.caches.dentry! }).caches[0]!.explanation,
    ).toBe(
      "objsize 216, computed 192 from object_size 192, align 8: the stride matches with redZone debugging, which sysfs does not report as set",
    );
    const odd = { ...dentry, objsize: 208, objperslab: 19 };
    expect(
      checkSlabinfo([odd], paramsOf(machine), { dentry: machine.caches.dentry! }).caches[0]!.explanation,
    ).toBe(
      "objsize 208, computed 192 from object_size 192, align 8: 16 bytes more than the free pointer, debug flags and alignment account for (KASAN metadata or a cache-specific layout); with the observed objsize the order and objects agree",
    );
  });

  it("rejects a broken fixture, naming the file and key", () => {
    expect(() => parseSlabMachine({ ...machine, cpus: { present: 0, possible: 2 } }, "m.json")).toThrow(
      new SlabError("BAD_SNAPSHOT", "m.json: cpus.present: Too small: expected number to be >0"),
    );
  });
});

/** Whether this process can read the live slab state (root only). */
function liveReadable(): string | undefined {
  try {
    accessSync("/proc/slabinfo", constants.R_OK);
    readFileSync("/proc/slabinfo", "utf8");
    accessSync("/sys/kernel/slab", constants.R_OK);
    return undefined;
  } catch (e) {
    return `/proc/slabinfo or /sys/kernel/slab is not readable here (${(e as NodeJS.ErrnoException).code ?? e}); run as root for the live check`;
  }
}

const live = needs("/proc/slabinfo", liveReadable());

describe("the running machine", () => {
  live.it("agrees with SLUB's arithmetic on at least 95% of its caches", () => {
    const { slabinfo, machine } = readSlabMachine("/");
    const entries = parseSlabinfo(slabinfo);
    const r = checkSlabinfo(entries, paramsOf(machine), machine.caches);
    report(`live ${machine.source}`, r);
    expect(r.total).toBe(entries.length);
    expect(r.agreement).toBeGreaterThanOrEqual(0.95);
    for (const c of r.caches.filter((x) => !x.agrees)) expect(c.explanation, c.name).toMatch(/\S/);
  });
});
