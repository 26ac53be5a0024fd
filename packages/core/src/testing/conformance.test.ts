import { describe, expect, it } from "vitest";
import { z } from "zod";
import { c } from "../ctype/dsl.js";
import { linux618 } from "../kernel/config.js";
import { layoutOf } from "../layout/engine.js";
import { formatPahole } from "../layout/pahole-format.js";
import { overlay } from "../overlay/rules.js";
import { defineDescriptor } from "../plugin/define.js";
import { type ConformanceCheck, ConformanceError, conformance } from "./conformance.js";
import { refFolio, refSlab } from "./reference.js";

/** A plugin overlaying struct page with a flags word and an LRU link, the way the template's does. */
const today = c.struct("thing", [
  ["flags", c.ulong],
  ["lru", c.listHead],
  ["owner", c.ulong],
]);
const thing = (extra: Record<string, unknown> = {}) =>
  defineDescriptor({
    name: "memdesc-plugin-thing",
    kind: "thing",
    title: "struct thing",
    uses: ["kernel"],
    today,
    memdesc: c.struct("thing", [
      ["flags", c.ulong],
      ["pfn", c.ulong],
    ]),
    overlay: [
      overlay.set("THING_MATCH", "page", [overlay.match("flags", "flags"), overlay.match("lru", "lru")]),
    ],
    schema: z.object({ owner: z.number().int().min(0).max(15) }).strict(),
    ...extra,
  });
const pahole = formatPahole(layoutOf(today, { abi: "lp64", config: linux618 }));

/** Each check's name and, when it fails, its issues' paths and messages. */
function outcome(checks: readonly ConformanceCheck[]) {
  return checks.map((check) => {
    try {
      check.run();
      return { name: check.name, issues: [] as { path: readonly (string | number)[]; message: string }[] };
    } catch (e) {
      expect(e).toBeInstanceOf(ConformanceError);
      const err = e as ConformanceError;
      expect(err.subject).toBe('plugin "memdesc-plugin-thing" (kind thing)');
      return { name: check.name, issues: err.issues.map(({ path, message }) => ({ path, message })) };
    }
  });
}

describe("conformance checks", () => {
  it("pass for a plugin that keeps its promises", () => {
    const checks = conformance(thing(), {
      pahole,
      values: {
        valid: [{ owner: 3 }],
        invalid: [{ value: { owner: 16 }, path: ["owner"], message: /<=15/ }],
      },
    });
    expect(outcome(checks).filter((o) => o.issues.length > 0)).toEqual([]);
    expect(checks.map((x) => x.name)).toEqual([
      "composes under every built-in design, with a tag of its own, once per registry",
      "lays out today's struct as the kernel does: every field and pahole's printout",
      "keeps its overlay rules against struct page, and breaks them when its members move",
      "lays out its memdesc-era descriptor under every ABI, with a way back to its memory",
      "accepts the values it should, and refuses the others at the right key",
    ]);
  });

  it("fail, naming what is wrong, when the kernel's struct differs, the rules check nothing, or values slip", () => {
    const other = formatPahole(
      layoutOf(
        c.struct("thing", [
          ["flags", c.ulong],
          ["lru", c.listHead],
          ["owner", c.uint],
        ]),
        { config: linux618 },
      ),
    );
    const vacuous = thing({
      overlay: [overlay.set("THING_MATCH", "page", [overlay.sizeAtMost()])],
      memdesc: c.struct("thing", [["flags", c.ulong]]),
    });
    const [, layout, rules, memdesc, values] = outcome(
      conformance(vacuous, {
        pahole: other,
        values: {
          valid: [{ owner: 99 }],
          invalid: [
            { value: { owner: 3 }, path: ["owner"] },
            { value: { owner: -1 }, path: ["colour"] },
          ],
        },
      }),
    );
    expect(layout!.issues).toEqual([
      { path: ["today"], message: "owner: size 8 here, 4 in pahole" },
      { path: ["today"], message: "owner: type long unsigned int here, unsigned int in pahole" },
    ]);
    expect(rules!.issues).toEqual([
      {
        path: ["overlay"],
        message: "its rules against struct page still pass with today's members reversed: they check nothing",
      },
    ]);
    expect(memdesc!.issues).toEqual([
      {
        path: ["wayBack"],
        message: "its memdesc-era descriptor has no pfn field and it declares no wayBack",
      },
    ]);
    expect(values!.issues.map((i) => i.path)).toEqual([
      ["valid", 0, "owner"],
      ["invalid", 0],
      ["invalid", 1],
    ]);
    expect(values!.issues[2]!.message).toMatch(/^no issue at colour; its issues: owner: Too small/);
  });

  it("check an inline kind's fields through every design's word", () => {
    const inline = defineDescriptor({
      name: "memdesc-plugin-thing",
      kind: "thing",
      title: "inline thing",
      storage: "inline",
      uses: ["kernel"],
      payload: [{ name: "owner", bit: 4, width: 12 }],
      schema: z.object({}),
    });
    const checks = conformance(inline, { alongside: [refFolio, refSlab] });
    expect(outcome(checks)).toEqual([
      { name: "composes under every built-in design, with a tag of its own, once per registry", issues: [] },
      {
        name: "packs its fields into the word of every design that has one, and reads them back",
        issues: [],
      },
    ]);
  });
});
