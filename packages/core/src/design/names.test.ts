import { describe, expect, it } from "vitest";
import { designs } from "./builtin.js";
import { builtinDesignNames, defaultDesignName } from "./names.js";

describe("the built-in design names", () => {
  it("are the built-in designs' keys and names, in order, and include the default", () => {
    expect(Object.keys(designs)).toEqual([...builtinDesignNames]);
    for (const n of builtinDesignNames) expect(designs[n].name).toBe(n);
    expect(builtinDesignNames).toContain(defaultDesignName);
  });
});
