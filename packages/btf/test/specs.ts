import { expect } from "vitest";
import { BtfError } from "../src/errors.js";
import type { BtfTypeSpec } from "../src/types.js";

/** `int`, the first type of most hand-written BTF in the tests (so type id 1). */
export const intSpec = {
  kind: "int",
  name: "int",
  size: 4,
  signed: true,
  char: false,
  bool: false,
  bits: 32,
  bitOffset: 0,
} as const satisfies BtfTypeSpec;

/** Runs `fn` and returns the BtfError it throws (failing if it throws anything else or nothing). */
export function btfError(fn: () => unknown): BtfError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BtfError);
    return e as BtfError;
  }
  throw new Error("expected a BtfError");
}
