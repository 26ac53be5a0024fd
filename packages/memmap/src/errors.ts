import { SimulationError, type SimulationErrorCode } from "@memdesc/core";

/** What the memmap's debug checks and argument checks report (core's simulation codes); each code has a test. */
export type MemmapErrorCode = SimulationErrorCode;

/** A misuse of the simulated memmap (the kernel's VM_BUG_ON / debug_pagealloc checks), or a broken invariant. */
export class MemmapError extends SimulationError {}

/** `0x888000012340`: addresses and PFNs in messages. */
export const hex = (n: number): string => `0x${n.toString(16)}`;
