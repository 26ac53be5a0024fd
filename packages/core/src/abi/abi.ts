/**
 * The C ABIs the layout engine knows. They differ in the size of `long` and pointers and in how 8-byte
 * scalars align inside structs: i386's System V ABI aligns `long long`, `u64` and `double` members to 4,
 * the ARM EABI to 8. Bitfields follow GCC's PCC_BITFIELD_TYPE_MATTERS rules on all of them.
 */
export interface Abi {
  /** `lp64` (x86-64, arm64), `ilp32` (i386) or `ilp32-arm` (arm32 EABI). */
  readonly name: AbiName;
  readonly description: string;
  readonly pointerSize: 4 | 8;
  readonly longSize: 4 | 8;
  /** Alignment of an 8-byte integer or double when it is a struct member. */
  readonly int64Align: 4 | 8;
  /** Alignment of `__int128` (x86-64 and arm64 only). */
  readonly int128Align: 16 | undefined;
  /** L1_CACHE_BYTES, for the cacheline boundaries pahole prints. */
  readonly cacheline: number;
  /** Whether `CONFIG_64BIT` is set for kernels built for this ABI. */
  readonly is64bit: boolean;
}

export type AbiName = "lp64" | "ilp32" | "ilp32-arm";

export const lp64: Abi = {
  name: "lp64",
  description: "LP64 (x86-64, arm64): 8-byte long and pointers",
  pointerSize: 8,
  longSize: 8,
  int64Align: 8,
  int128Align: 16,
  cacheline: 64,
  is64bit: true,
};

export const ilp32: Abi = {
  name: "ilp32",
  description: "ILP32 i386 System V: 4-byte long and pointers, 8-byte integers 4-aligned in structs",
  pointerSize: 4,
  longSize: 4,
  int64Align: 4,
  int128Align: undefined,
  cacheline: 64,
  is64bit: false,
};

export const ilp32Arm: Abi = {
  name: "ilp32-arm",
  description: "ILP32 arm32 EABI: 4-byte long and pointers, 8-byte integers 8-aligned",
  pointerSize: 4,
  longSize: 4,
  int64Align: 8,
  int128Align: undefined,
  cacheline: 64,
  is64bit: false,
};

export const abis: Readonly<Record<AbiName, Abi>> = { lp64, ilp32, "ilp32-arm": ilp32Arm };

export function resolveAbi(abi: Abi | AbiName | undefined): Abi {
  if (abi === undefined) return lp64;
  if (typeof abi !== "string") return abi;
  const found = abis[abi];
  if (!found) throw new RangeError(`unknown ABI "${abi}" (expected ${Object.keys(abis).join(", ")})`);
  return found;
}
