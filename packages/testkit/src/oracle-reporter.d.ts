import type { Reporter } from "vitest/reporters";

/** Ends the run's summary with the oracles the tests compared with, and those missing, with why. */
export default class OracleReporter implements Reporter {}
