import { MemdescError } from "../errors.js";

/** What the memmap's debug checks and argument checks report; each code has a test. */
export type MemmapErrorCode =
  | "BAD_OPTIONS"
  | "NO_WORD"
  | "NO_SLAB_KIND"
  | "BUDDY_PAYLOAD"
  | "BAD_PFN"
  | "BAD_ORDER"
  | "BAD_NODE"
  | "UNKNOWN_KIND"
  | "INLINE_KIND"
  | "DESCRIPTOR_SIZE"
  | "BAD_DESCRIPTOR"
  | "DOUBLE_FREE"
  | "WRONG_ORDER"
  | "WRONG_KIND"
  | "USE_AFTER_FREE"
  | "REFCOUNT_UNDERFLOW"
  | "KIND_MISMATCH"
  | "CORRUPT_WORD"
  | "UNKNOWN_FIELD"
  | "FIELD_VALUE"
  | "RCU_DEADLOCK"
  | "RCU_UNBALANCED"
  | "RCU_UNLOCKED"
  | "STALE_DESCRIPTOR"
  | "NO_WAY_BACK"
  | "SLAB_LIMIT"
  | "INVARIANT";

/** A misuse of the simulated memmap (the kernel's VM_BUG_ON / debug_pagealloc checks), or a broken invariant. */
export class MemmapError extends MemdescError {
  declare readonly code: MemmapErrorCode;
  constructor(code: MemmapErrorCode, message: string) {
    super(code, message);
  }
}

/** `0x888000012340`: addresses and PFNs in messages. */
export const hex = (n: number): string => `0x${n.toString(16)}`;
