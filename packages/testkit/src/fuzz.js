// Fuzzing a file reader with inputs derived from a real file of its kind. Every reader of files memdesc may be
// given (snapshots, raw dumps, BTF, /proc/iomem copies, JSON pictures, workloads and configs, survey JSON in
// the explorer) is run on mutations of a real input and must, for each one, either read it or throw its own
// typed error, end in bounded time, and leave the process's peak memory bounded. Runs are seeded, so a failure
// prints a seed and a path that reproduce it. fast-check comes from the workspace's root devDependencies.
import fc from "fast-check";

/** 32-bit values that make counts, sizes, offsets and ids extreme when written over a real file's fields. */
const extremes = [0, 1, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x04000000, 0x84ffffff];

/** Mutations of bytes, each a function from a buffer to a (possibly new) buffer. */
export function byteMutation(original) {
  const n = Math.max(1, original.length);
  return fc.oneof(
    // Overwrite a few bytes anywhere.
    fc
      .array(fc.record({ at: fc.nat(n - 1), byte: fc.integer({ min: 0, max: 255 }) }), {
        minLength: 1,
        maxLength: 8,
      })
      .map((edits) => (b) => {
        for (const { at, byte } of edits) if (b.length) b[at % b.length] = byte;
        return b;
      }),
    // Write an extreme 32-bit word at an aligned offset: counts, offsets, sizes, type ids.
    fc
      .record({
        word: fc.nat(Math.max(0, Math.floor(n / 4) - 1)),
        value: fc.constantFrom(...extremes),
        le: fc.boolean(),
      })
      .map(({ word, value, le }) => (b) => {
        if (b.length >= 4)
          new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(
            (word * 4) % (b.length - 3),
            value,
            le,
          );
        return b;
      }),
    // Truncate.
    fc.nat(n - 1).map((len) => (b) => b.slice(0, len)),
    // Insert random bytes.
    fc
      .record({ at: fc.nat(n), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) })
      .map(({ at, bytes }) => (b) => {
        const where = at % (b.length + 1);
        const out = new Uint8Array(b.length + bytes.length);
        out.set(b.subarray(0, where));
        out.set(bytes, where);
        out.set(b.subarray(where), where + bytes.length);
        return out;
      }),
    // Repeat a slice (a header, a table, a record twice).
    fc.record({ at: fc.nat(n - 1), len: fc.integer({ min: 1, max: 256 }) }).map(({ at, len }) => (b) => {
      if (b.length === 0) return b;
      const from = at % b.length;
      const piece = b.slice(from, Math.min(b.length, from + len));
      const out = new Uint8Array(b.length + piece.length);
      out.set(b.subarray(0, from + piece.length));
      out.set(piece, from + piece.length);
      out.set(b.subarray(from + piece.length), from + 2 * piece.length);
      return out;
    }),
  );
}

/** Tokens that break text formats in telling ways: numbers out of range, brackets, quotes, separators. */
const tokens = [
  "-1",
  "0",
  "1e309",
  "18446744073709551616",
  "9007199254740993",
  "NaN",
  "null",
  "true",
  "[",
  "]",
  "{",
  "}",
  '"',
  ",",
  ":",
  "\\",
  "\n",
  " : ",
  "-",
  "ffffffffffffffff-0 : System RAM",
  "\u0000",
  "\u00e9",
  "\ud800",
];

/** Mutations of text (as UTF-8 bytes, and as lines and tokens). */
export function textMutation(original) {
  const lines = Math.max(1, original.split("\n").length);
  const n = Math.max(1, original.length);
  return fc.oneof(
    fc.record({ at: fc.nat(n), token: fc.constantFrom(...tokens) }).map(
      ({ at, token }) =>
        (t) =>
          t.slice(0, at % (t.length + 1)) + token + t.slice(at % (t.length + 1)),
    ),
    fc.record({ at: fc.nat(n - 1), len: fc.integer({ min: 1, max: 40 }) }).map(
      ({ at, len }) =>
        (t) =>
          t.slice(0, at % Math.max(1, t.length)) + t.slice((at % Math.max(1, t.length)) + len),
    ),
    fc
      .record({ line: fc.nat(lines - 1), times: fc.integer({ min: 2, max: 50 }) })
      .map(({ line, times }) => (t) => {
        const ls = t.split("\n");
        const l = ls[line % ls.length] ?? "";
        ls.splice(line % ls.length, 1, ...Array(times).fill(l));
        return ls.join("\n");
      }),
    fc.nat(n).map((len) => (t) => t.slice(0, len)),
    byteMutation(new TextEncoder().encode(original)).map(
      (m) => (t) => new TextDecoder().decode(m(new TextEncoder().encode(t))),
    ),
  );
}

/** Up to `maxMutations` mutations applied in turn to a copy of `original` (bytes). */
export function mutatedBytes(original, { maxMutations = 3 } = {}) {
  return fc
    .array(byteMutation(original), { minLength: 1, maxLength: maxMutations })
    .map((ms) => ms.reduce((b, m) => m(b), original.slice()));
}

/** Up to `maxMutations` mutations applied in turn to `original` (text). */
export function mutatedText(original, { maxMutations = 3 } = {}) {
  return fc
    .array(textMutation(original), { minLength: 1, maxLength: maxMutations })
    .map((ms) => ms.reduce((t, m) => m(t), original));
}

/** Peak resident memory of this process so far, in bytes (getrusage's ru_maxrss). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/**
 * Runs `read` on inputs drawn from `inputs` (seeded) and checks each one ends well: it returns, or throws an
 * error `expected(error)` accepts (the reader's own typed error), and it ends within `hangMs` (a reader that
 * takes seconds on an input of a few hundred KiB loops without bound on it). Afterwards the process's peak
 * resident memory must have grown by less than `maxGrowth` bytes: no input made the reader allocate without
 * bound. Returns the number of inputs the reader accepted and rejected, so a test can check both happened.
 */
export async function fuzzReader(inputs, read, options) {
  const { expected, seed, numRuns, hangMs = 5000, maxGrowth = 512 * 1024 * 1024 } = options;
  const before = peakRss();
  const counts = { accepted: 0, rejected: 0 };
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      const started = performance.now();
      try {
        await read(input);
        counts.accepted++;
      } catch (err) {
        if (!expected(err)) throw err;
        counts.rejected++;
      }
      const ms = performance.now() - started;
      if (ms > hangMs)
        throw new Error(`the reader took ${Math.round(ms)} ms on one input (more than ${hangMs} ms)`);
    }),
    { seed, numRuns, endOnFailure: true },
  );
  const growth = peakRss() - before;
  if (growth >= maxGrowth)
    throw new Error(
      `peak memory grew by ${Math.round(growth / 1048576)} MiB while fuzzing (limit ${Math.round(maxGrowth / 1048576)} MiB)`,
    );
  return counts;
}
