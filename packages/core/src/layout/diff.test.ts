import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { c } from "../ctype/dsl.js";
import { diffLayouts, formatLayoutDiff, summarizeLayoutDiff } from "./diff.js";
import { layoutOf } from "./engine.js";

/** A struct of up to eight members of a few types, some of them a nested struct, from fast-check. */
const scalar = fc.constantFrom(c.char, c.u16, c.u32, c.u64, c.ulong, c.listHead);
const memberType = fc.oneof(
  { weight: 4, arbitrary: scalar },
  {
    weight: 1,
    arbitrary: fc
      .uniqueArray(fc.tuple(fc.constantFrom("x", "y", "z"), scalar), {
        minLength: 1,
        maxLength: 3,
        selector: (m) => m[0],
      })
      .map((ms) => c.struct("inner", ms)),
  },
);
const struct = fc
  .uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"), memberType), {
    minLength: 1,
    maxLength: 8,
    selector: (m) => m[0],
  })
  .map((ms) => c.struct("s", ms));

describe("diffLayouts", () => {
  it("finds nothing between a layout and itself", () => {
    fc.assert(
      fc.property(struct, fc.constantFrom("lp64" as const, "ilp32" as const), (s, abi) => {
        const l = layoutOf(s, { abi });
        const d = diffLayouts(l, l);
        expect(d.same).toBe(true);
        expect(d.changed).toEqual([]);
        expect(d.counts.unchanged).toBe(l.fields.filter((f) => !f.anonymous).length);
        expect(formatLayoutDiff(d)).toBe(`size: ${l.size} bytes in both\nsame layout\n`);
      }),
    );
  });

  it("is symmetric: what one direction adds the other removes, and moves go both ways", () => {
    fc.assert(
      fc.property(struct, struct, (s, t) => {
        const a = layoutOf(s);
        const b = layoutOf(t);
        const there = diffLayouts(a, b);
        const back = diffLayouts(b, a);
        const paths = (d: typeof there, change: string) =>
          d.changed
            .filter((f) => f.changes.includes(change as never))
            .map((f) => f.path)
            .sort();
        expect(paths(there, "added")).toEqual(paths(back, "removed"));
        expect(paths(there, "removed")).toEqual(paths(back, "added"));
        for (const change of ["moved", "resized", "retyped"])
          expect(paths(there, change)).toEqual(paths(back, change));
        expect(there.same).toBe(back.same);
      }),
    );
  });

  it("agrees with the engine's offsets: a field is moved exactly when its offset differs", () => {
    fc.assert(
      fc.property(struct, fc.constantFrom("lp64" as const, "ilp32" as const), (s, abi) => {
        const a = layoutOf(s, { abi: "lp64" });
        const b = layoutOf(s, { abi });
        const d = diffLayouts(a, b);
        for (const f of a.fields.filter((x) => !x.anonymous)) {
          const g = b.fields.find((x) => x.path === f.path)!;
          const entry = d.fields.find((x) => x.path === f.path)!;
          expect(entry.changes.includes("moved"), f.path).toBe(f.offset !== g.offset);
          expect(entry.changes.includes("resized"), f.path).toBe(f.size !== g.size);
        }
      }),
    );
  });

  it("summarises every change once: each line stands for itself and the members inside it", () => {
    fc.assert(
      fc.property(struct, struct, (s, t) => {
        const d = diffLayouts(layoutOf(s), layoutOf(t));
        const lines = summarizeLayoutDiff(d);
        expect(lines.reduce((n, l) => n + 1 + l.inside, 0)).toBe(d.changed.length);
      }),
    );
  });

  it("shows a member the other side keeps whole as retyped, not its insides as removed", () => {
    const flags = c.struct("page", [["flags", c.struct("memdesc_flags_t", [["f", c.ulong]])]]);
    const plain = c.struct("page", [["flags", c.ulong]]);
    const d = diffLayouts(layoutOf(flags), layoutOf(plain));
    expect(d.changed.map((f) => [f.path, f.changes])).toEqual([["flags", ["retyped"]]]);
    expect(formatLayoutDiff(d)).toBe(
      "size: 8 bytes in both\nretyped  flags: type struct memdesc_flags_t → long unsigned int\n0 moved, 0 resized, 1 retyped, 0 added, 0 removed; 0 unchanged\n",
    );
  });
});
