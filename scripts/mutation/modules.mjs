// The modules `npm run test:mutation` mutates: the code that computes answers. Each is mutated on its own, with
// the tests of the vitest project that holds it (only those that import the mutated file run for a mutant), or,
// where `tests` says, only those test files (paths in the package): the kpageflags classifier is covered by
// whole-survey tests (real machines' maps, fuzzed snapshots, readers, browsers) that take seconds each, and
// most of its mutants are "static" for Stryker (run where the tests build their classifiers), so every test file
// runs for each of them: hours. Its own tests check the answers on hand-made maps and against an independent one.
/** @type {readonly { name: string, title: string, project: string, files: readonly string[], tests?: readonly string[] }[]} */
export const modules = [
  { name: "codec", title: "word codec", project: "core", files: ["packages/core/src/word/codec.ts"] },
  { name: "bill", title: "bill()", project: "core", files: ["packages/core/src/bill/bill.ts"] },
  {
    name: "classifier",
    title: "kpageflags classifier",
    project: "kpageflags",
    files: ["packages/kpageflags/src/classify.ts"],
    tests: [
      "src/classify.test.ts",
      "src/grouping.test.ts",
      "src/bill.test.ts",
      "src/account/account.test.ts",
    ],
  },
  {
    name: "snapshot",
    title: "snapshot decoder",
    project: "kpageflags",
    files: ["packages/kpageflags/src/snapshot/decode.ts"],
  },
  {
    name: "layout",
    title: "layout engine",
    project: "core",
    files: ["packages/core/src/layout/engine.ts"],
    // Core builds registries (and so layouts) at import time all over its tests, which makes most engine mutants
    // "static" (every test file runs for each): the layout folder's tests, the gcc + pahole oracle among them.
    tests: ["src/layout/**/*.test.ts"],
  },
  { name: "btf", title: "BTF reader", project: "btf", files: ["packages/btf/src/reader.ts"] },
  // The memmap simulator (vitest.mutation.config.ts leaves out its workload runner's and conformance kit's tests).
  {
    name: "buddy",
    title: "buddy allocator",
    project: "memmap",
    files: ["packages/memmap/src/page-alloc/buddy.ts"],
  },
  {
    name: "pcp",
    title: "per-CPU lists",
    project: "memmap",
    files: ["packages/memmap/src/page-alloc/pcp.ts"],
  },
  {
    name: "slub",
    title: "SLUB",
    project: "memmap",
    files: ["packages/memmap/src/slub/slub.ts"],
  },
];

/** The module named `name`, or an error listing the names. */
export function moduleNamed(name) {
  const m = modules.find((x) => x.name === name);
  if (!m)
    throw new Error(
      `no mutation module "${name}"; the modules are: ${modules.map((x) => x.name).join(", ")}`,
    );
  return m;
}
