import type { AggregateType, CType, IntType, Member, OpaqueType, PointerType, TypedefType } from "./types.js";

/*
 * C's base types under the names GCC puts in DWARF/BTF (and so pahole prints), and the kernel's common
 * typedefs and small structs, defined once here so that descriptors, BTF imports and the type-name parser
 * all share them.
 */

const int = (name: string, size: IntType["size"], signed: boolean, extra?: Partial<IntType>): IntType => ({
  kind: "int",
  name,
  size,
  signed,
  ...extra,
});

export const void_: CType = { kind: "void" };

export const char = int("char", 1, true, { char: true });
export const schar = int("signed char", 1, true, { char: true });
export const uchar = int("unsigned char", 1, false, { char: true });
export const short = int("short int", 2, true);
export const ushort = int("short unsigned int", 2, false);
export const sint = int("int", 4, true);
export const uint = int("unsigned int", 4, false);
export const long = int("long int", "long", true);
export const ulong = int("long unsigned int", "long", false);
export const llong = int("long long int", 8, true);
export const ullong = int("long long unsigned int", 8, false);
export const int128 = int("__int128", 16, true);
export const uint128 = int("__int128 unsigned", 16, false);
export const _Bool = int("_Bool", 1, false, { bool: true });

export const typedef = (name: string, type: CType, aligned?: number): TypedefType =>
  aligned === undefined ? { kind: "typedef", name, type } : { kind: "typedef", name, type, aligned };
export const pointer = (to: CType): PointerType => ({ kind: "pointer", to });
const field = (name: string, type: CType): Member => ({ name, type });
const struct = (name: string | undefined, members: Member[]): AggregateType => ({
  kind: "struct",
  name,
  members,
});
/** `struct name` known only by name, as behind a pointer to a type this description does not define. */
export const incomplete = (kind: "struct" | "union", name: string): AggregateType => ({ kind, name });

export const bool = typedef("bool", _Bool);
export const u8 = typedef("u8", uchar);
export const s8 = typedef("s8", schar);
export const u16 = typedef("u16", ushort);
export const s16 = typedef("s16", short);
export const u32 = typedef("u32", uint);
export const s32 = typedef("s32", sint);
export const u64 = typedef("u64", ullong);
export const s64 = typedef("s64", llong);
export const u128 = typedef("u128", uint128);
export const size_t = typedef("size_t", ulong);
export const ssize_t = typedef("ssize_t", long);
export const pgoff_t = typedef("pgoff_t", ulong);
export const gfp_t = typedef("gfp_t", uint);
export const dma_addr_t = typedef("dma_addr_t", u64);
export const phys_addr_t = typedef("phys_addr_t", u64);

/** `atomic_t`: `typedef struct { int counter; } atomic_t;` */
export const atomic_t = typedef("atomic_t", struct(undefined, [field("counter", sint)]));
/** `atomic64_t`: `typedef struct { s64 counter; } atomic64_t;` */
export const atomic64_t = typedef("atomic64_t", struct(undefined, [field("counter", s64)]));
/** `atomic_long_t`: atomic64_t on 64-bit kernels, atomic_t on 32-bit, i.e. a `long` counter. */
export const atomic_long_t = typedef("atomic_long_t", struct(undefined, [field("counter", long)]));
/** `refcount_t`: `typedef struct refcount_struct { atomic_t refs; } refcount_t;` */
export const refcount_t = typedef("refcount_t", struct("refcount_struct", [field("refs", atomic_t)]));

/**
 * `spinlock_t`: 4 bytes (a qspinlock) unless lock debugging grows it, so its size is the kernel configuration
 * value `SPINLOCK_SIZE`.
 */
export const spinlock: OpaqueType = {
  kind: "opaque",
  name: "struct spinlock",
  size: { config: "SPINLOCK_SIZE", default: 4 },
  align: 4,
};
export const spinlock_t = typedef("spinlock_t", spinlock);

const listHeadPtr = pointer(incomplete("struct", "list_head"));
/** `struct list_head { struct list_head *next, *prev; }` */
export const list_head = struct("list_head", [field("next", listHeadPtr), field("prev", listHeadPtr)]);
/** `struct hlist_head { struct hlist_node *first; }` */
export const hlist_head = struct("hlist_head", [field("first", pointer(incomplete("struct", "hlist_node")))]);
/** `struct hlist_node { struct hlist_node *next, **pprev; }` */
export const hlist_node = struct("hlist_node", [
  field("next", pointer(incomplete("struct", "hlist_node"))),
  field("pprev", pointer(pointer(incomplete("struct", "hlist_node")))),
]);
/** `struct llist_node { struct llist_node *next; }` */
export const llist_node = struct("llist_node", [field("next", pointer(incomplete("struct", "llist_node")))]);
const callbackHeadPtr = pointer(incomplete("struct", "callback_head"));
/** `struct callback_head`, which `rcu_head` is a `#define` of. */
export const callback_head = struct("callback_head", [
  field("next", callbackHeadPtr),
  field("func", pointer({ kind: "function", returns: void_, params: [callbackHeadPtr] })),
]);
/** `memdesc_flags_t` (6.18): `typedef struct { unsigned long f; } memdesc_flags_t;` */
export const memdesc_flags_t = typedef("memdesc_flags_t", struct(undefined, [field("f", ulong)]));
/** `swp_entry_t`: `typedef struct { unsigned long val; } swp_entry_t;` */
export const swp_entry_t = typedef("swp_entry_t", struct(undefined, [field("val", ulong)]));
/** `pgtable_t`: `struct page *` on x86 and most architectures. */
export const pgtable_t = typedef("pgtable_t", pointer(incomplete("struct", "page")));

/** Every name the type-name parser resolves without help: typedef names and `struct <tag>`. */
export const builtinTypes: ReadonlyMap<string, CType> = new Map<string, CType>([
  ...(
    [
      bool,
      u8,
      s8,
      u16,
      s16,
      u32,
      s32,
      u64,
      s64,
      u128,
      size_t,
      ssize_t,
      pgoff_t,
      gfp_t,
      dma_addr_t,
      phys_addr_t,
      atomic_t,
      atomic64_t,
      atomic_long_t,
      refcount_t,
      spinlock_t,
      memdesc_flags_t,
      swp_entry_t,
      pgtable_t,
    ] as TypedefType[]
  ).map((t): [string, CType] => [t.name, t]),
  ...[list_head, hlist_head, hlist_node, llist_node, callback_head].map((t): [string, CType] => [
    `struct ${t.name}`,
    t,
  ]),
  ["struct rcu_head", callback_head],
  ["struct spinlock", spinlock],
  ["struct refcount_struct", (refcount_t as TypedefType).type],
]);
