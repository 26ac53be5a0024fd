import { createRegistry, ValidationError } from "@memdesc/core";
import { refFolio, refSlab } from "@memdesc/core/testing";
import { describe, expect, it } from "vitest";
import { referenceWorkload, widget } from "../../test/helpers.js";
import { parseWorkload } from "./schema.js";
import { formatSize, parseSize } from "./size.js";
import { vocabularyOf } from "./vocabulary.js";

/** The error's data: what it is about, and each issue's key path and message. */
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    const { code, subject, issues } = e as ValidationError;
    return { code, subject, issues: issues.map(({ path, message }) => ({ path, message })) };
  }
  throw new Error("expected a ValidationError");
};

describe("workload schema", () => {
  it("fills defaults and accepts a workload of every built-in action", () => {
    const w = parseWorkload({
      name: "w",
      phases: [{ name: "p", actions: [{ action: "pagecache", share: 0.1 }] }],
    });
    expect(w).toMatchObject({ seed: 1, memory: "4G", nodes: 1, nrCpus: 16 });
    expect(w.phases[0]!.actions[0]).toEqual({ action: "pagecache", share: 0.1, orders: { "0": 1 } });
    expect(parseWorkload(referenceWorkload).phases.flatMap((p) => p.actions.map((a) => a.action))).toContain(
      "fragment",
    );
  });

  it("names the file and the key path of each mistake", () => {
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
    const e = errorOf(() => parseWorkload(bad, { actions: [] }, "workload db.json"));
    expect(e).toMatchObject({ code: "BAD_WORKLOAD", subject: "workload db.json" });
    const at = (j: number, ...rest: (string | number)[]) => ["phases", 0, "actions", j, ...rest];
    expect(e.issues).toEqual([
      { path: at(0, "share"), message: "a share is between 0 and 1" },
      { path: at(1, "share"), message: "give exactly one of share (of RAM) and size (bytes)" },
      { path: at(2, "order"), message: "orders go up to MAX_PAGE_ORDER (10)" },
      { path: at(3, "caches"), message: "name at least one cache" },
      {
        path: at(4, "action"),
        message:
          'no action "swap": the actions are kernel, pagecache, anon, hugetlb, slab, reclaim, split, fragment, rcu (plugins add their own)',
      },
    ]);
    expect(
      errorOf(() => parseWorkload({ name: "w", phases: [], colour: 1 }, undefined, "w.json")).issues,
    ).toEqual([
      { path: ["phases"], message: "a workload has at least one phase" },
      { path: [], message: 'Unrecognized key: "colour"' },
    ]);
  });

  it("takes the composed plugins' actions, checked by their own schemas, and their uses", () => {
    const vocabulary = vocabularyOf(createRegistry({ plugins: [refFolio, refSlab, widget] }));
    const w = parseWorkload(
      {
        name: "w",
        phases: [
          {
            name: "p",
            actions: [
              { action: "widgets", count: 3, nid: 0 },
              { action: "reclaim", use: "widget", share: 0.5 },
            ],
          },
        ],
      },
      vocabulary,
    );
    expect(w.phases[0]!.actions).toEqual([
      { action: "widgets", count: 3, order: 0, nid: 0 },
      { action: "reclaim", use: "widget", share: 0.5 },
    ]);
    const e = errorOf(() =>
      parseWorkload(
        {
          name: "w",
          phases: [
            {
              name: "p",
              actions: [
                { action: "widgets", count: 0, colour: "red" },
                { action: "widgets", share: 0.1, count: 1 },
                { action: "reclaim", use: "iommu", share: 1 },
                { action: "split", use: "free", share: 1 },
              ],
            },
          ],
        },
        vocabulary,
        "w.json",
      ),
    );
    const at = (j: number, ...rest: (string | number)[]) => ["phases", 0, "actions", j, ...rest];
    expect(e.issues).toEqual([
      { path: at(0, "count"), message: "Too small: expected number to be >=1" },
      { path: at(0), message: 'Unrecognized key: "colour"' },
      { path: at(1), message: 'Unrecognized key: "share"' },
      {
        path: at(2, "use"),
        message: expect.stringMatching(
          /^iommu is not a use a workload allocates: the uses are file, anon, .*widget/,
        ),
      },
      { path: at(3, "use"), message: expect.stringMatching(/^free is not a use a workload allocates/) },
    ]);
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
