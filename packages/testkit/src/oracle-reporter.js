// A vitest reporter that ends the run's summary with the oracles the tests compared with (tests tagged by
// `needs()`, oracles.js): how many tests of each ran, and which were missing, with why. A green run thus says
// what it checked against, not only that nothing failed.

/** The oracles of a test: its own meta's and its suites'. */
function oraclesOf(test) {
  const found = new Set();
  const missing = {};
  for (let t = test; t && t.type !== "module"; t = t.parent) {
    const meta = t.meta();
    for (const o of meta.oracles ?? []) found.add(o);
    Object.assign(missing, meta.missing);
  }
  return { oracles: [...found], missing };
}

export default class OracleReporter {
  onInit(vitest) {
    this.logger = vitest.logger;
  }

  onTestRunEnd(testModules) {
    const ran = new Map();
    const missing = new Map();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const { oracles, missing: absent } = oraclesOf(test);
        if (!oracles.length) continue;
        const state = test.result().state;
        for (const o of oracles) {
          if (absent[o] !== undefined) missing.set(o, absent[o]);
          else if (Object.keys(absent).length) continue;
          else if (state === "passed" || state === "failed") ran.set(o, (ran.get(o) ?? 0) + 1);
        }
      }
    }
    if (!ran.size && !missing.size) return;
    const counted = [...ran].map(([o, n]) => `${o} (${n} ${n === 1 ? "test" : "tests"})`);
    const lines = [` Oracles  ${counted.length ? counted.join(", ") : "none ran"}`];
    for (const [o, why] of missing) lines.push(` Missing  ${o}: ${why}`);
    (this.logger?.log ?? console.log).call(this.logger ?? console, `${lines.join("\n")}\n`);
  }
}
