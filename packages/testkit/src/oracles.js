// Tests that compare with an independent oracle (pahole, gcc, Chromium, root, the running kernel's BTF and page
// map) run only where it exists. Elsewhere they skip with the reason printed, except under CI: CI installs every
// oracle, so a missing one there is a failure naming it, not a quiet skip that leaves a green run checking less.
// Each test carries the oracles it needs in its meta, for the reporter that names the oracles that ran.
import { describe, it } from "vitest";

/** The oracles a test can need, as the summary names them. */
export const oracleNames = Object.freeze([
  "pahole",
  "bpftool",
  "gcc",
  "gcc -m32",
  "chromium",
  "root",
  "kernel BTF",
  "/proc/kpageflags",
  "/proc/slabinfo",
  "/proc/zoneinfo",
  "prometheus_client",
]);

/** Whether a missing oracle fails the test: the `CI` variable is set (and not "false" or "0"). */
export const oraclesRequired = () => {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0";
};

/** `needs()`'s arguments as `[oracles, missing]`: every oracle, and the missing ones with why. */
function parse(oracle, missing) {
  const entries =
    typeof oracle === "string" || Array.isArray(oracle)
      ? (typeof oracle === "string" ? [oracle] : [...oracle]).map((o) => [o, missing])
      : Object.entries(oracle);
  for (const [o] of entries) if (!oracleNames.includes(o)) throw new Error(`unknown oracle "${o}"`);
  return [entries.map(([o]) => o), entries.filter(([, why]) => why !== undefined)];
}

/** Test options with the oracles (and why they are missing) in the meta, merged with the caller's options. */
const withMeta = (options, meta) => ({ ...options, meta: { ...options?.meta, ...meta } });

/** `(name, fn, timeout)` or `(name, options, fn)`, as vitest takes them, as `[options, fn]`. */
const optionsAndFn = (a, b) =>
  typeof a === "function" ? [typeof b === "number" ? { timeout: b } : {}, a] : [a ?? {}, b];

/**
 * `describe` and `it` for tests that need `oracle` (one name or several); `missing` says why it is missing
 * here, or is undefined when it is present. Or one argument, each oracle with why it is missing (or undefined).
 */
export function needs(oracle, why) {
  const [oracles, absent] = parse(oracle, why);
  if (!absent.length) {
    return {
      describe: (name, a, b) => {
        const [options, fn] = optionsAndFn(a, b);
        return describe(name, withMeta(options, { oracles }), fn);
      },
      it: (name, a, b) => {
        const [options, fn] = optionsAndFn(a, b);
        return it(name, withMeta(options, { oracles }), fn);
      },
    };
  }
  const names = absent.map(([o]) => o).join(" + ");
  const missing = Object.fromEntries(absent);
  const message = `oracle missing: ${absent.map(([o, w]) => `${o}: ${w}`).join("; ")}`;
  if (oraclesRequired()) {
    // One failing test in place of the tests (or suite) that need the oracle.
    const fail = (name) =>
      it(`${name} [needs ${names}]`, { meta: { oracles, missing } }, () => {
        throw new Error(`${message} (CI is set, so a missing oracle fails instead of skipping)`);
      });
    return { describe: fail, it: fail };
  }
  return {
    describe: (name, a, b) => {
      const [options, fn] = optionsAndFn(a, b);
      console.warn(`skipping "${name}": ${message}`);
      return describe.skip(name, withMeta(options, { oracles, missing }), fn);
    },
    it: (name, a, b) => {
      const [options, fn] = optionsAndFn(a, b);
      console.warn(`skipping "${name}": ${message}`);
      return it.skip(name, withMeta(options, { oracles, missing }), fn);
    },
  };
}
