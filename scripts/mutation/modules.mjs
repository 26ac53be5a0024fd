// The modules `npm run test:mutation` mutates: the code that computes answers. Each is mutated on its own, with
// the tests of the vitest project that holds it (only those that import the mutated file run for a mutant), or,
// where `tests` says, only those test files (paths in the package): the kpageflags modules are reached by
// whole-survey tests (real machines' maps, readers, captures) that take seconds each and check little of their
// answers; each module's own tests check them on hand-made maps and files, and against independent oracles.
/** @type {readonly { name: string, title: string, project: string, files: readonly string[], tests?: readonly string[] }[]} */
export const modules = [
  { name: "codec", title: "word codec", project: "core", files: ["packages/core/src/word/codec.ts"] },
  { name: "bill", title: "bill()", project: "core", files: ["packages/core/src/bill/bill.ts"] },
  {
    name: "classifier",
    title: "kpageflags classifier",
    project: "kpageflags",
    files: ["packages/kpageflags/src/classify.ts"],
    // Hand-made maps with the answers worked out from the rules, and the independent PFN-by-PFN classifier
    // (test/simple-classifier.ts) on random maps, anomalies and groups included.
    tests: ["src/classify.test.ts", "src/grouping.test.ts"],
  },
  {
    name: "snapshot",
    title: "snapshot decoder",
    project: "kpageflags",
    files: ["packages/kpageflags/src/snapshot/decode.ts"],
    // Its own tests (round trips against the words written, every error by offset and field) and the browser
    // entry's (the same decoder behind DecompressionStream). The other files only read the shipped samples
    // through it; the fuzzed hostile files (test/snapshot.fuzz.test.ts) check that a file surveys or is refused,
    // not what it says, and take 40 s for each mutant they reach, more for each that loops.
    tests: ["src/snapshot/snapshot.test.ts", "src/browser.test.ts"],
  },
  {
    name: "layout",
    title: "layout engine",
    project: "core",
    files: ["packages/core/src/layout/engine.ts"],
    // The engine's own tests (C ABI rules by hand), the gcc + pahole oracle, and what compares layouts with
    // pahole's printouts (the layout folder's tests, struct page against the measured kernel). Core's other tests
    // build registries at import time, which would make most engine mutants "static" (every test runs for each).
    tests: ["src/layout/**/*.test.ts", "src/kernel/page.test.ts"],
  },
  {
    name: "btf",
    title: "BTF reader",
    project: "btf",
    files: ["packages/btf/src/reader.ts"],
    // The tests that check what the reader decodes against an oracle: bpftool on the fixture and on records of
    // every kind in both byte orders; pahole's layouts of the fixture; hand-written records and corruptions with
    // the error each must give. Not the writer's round trips (the reader checked against its own writer); nor,
    // for time (each reads tens of thousands of records, many seconds per mutant under instrumentation), the
    // runs over real kernels' BTF (bpftool-live, bpftool-vmlinux, kernels, pahole-compat) or the fuzzing.
    tests: ["src/reader.test.ts", "src/bpftool.test.ts", "src/bad-input.test.ts", "src/fixture.test.ts"],
  },
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
