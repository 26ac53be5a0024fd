import { UserError } from "../errors.js";

/*
 * DuckDB, the engine `memdesc fleet` asks: an optional peer dependency (@duckdb/node-api, prebuilt binaries of
 * about 70 MB), loaded only by this command.
 */

type DuckDB = typeof import("@duckdb/node-api");

export type Value = string | number | boolean | null;
export type Row = Record<string, Value>;

export interface Engine {
  /** Runs statements (views, COPY). */
  run(sql: string): Promise<void>;
  /** Runs a query; BIGINTs come back as numbers (bytes of a fleet stay below 2^53), dates as ISO strings. */
  query(sql: string): Promise<Row[]>;
  close(): void;
}

/** Loads DuckDB, or says in one line how to install it. */
export async function openEngine(): Promise<Engine> {
  let duck: DuckDB;
  try {
    duck = await import("@duckdb/node-api");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND")
      throw new UserError(
        "memdesc fleet needs DuckDB, which is not installed (@duckdb/node-api, an optional peer dependency)",
        "install it beside memdesc: npm install -g @duckdb/node-api@^1.5 (or npm install @duckdb/node-api in the project that has memdesc)",
        { code: "NO_DUCKDB", cause: err },
      );
    throw new UserError(
      `DuckDB could not be loaded: ${(err as Error).message}`,
      "reinstall @duckdb/node-api",
      {
        cause: err,
      },
    );
  }
  const instance = await duck.DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await instance.connect();
  return {
    run: async (sql) => {
      await c.run(sql);
    },
    query: async (sql) => {
      const reader = await c.runAndReadAll(sql);
      return reader.getRowObjectsJS().map((r) => {
        const out: Row = {};
        for (const [k, v] of Object.entries(r)) out[k] = plain(v);
        return out;
      });
    },
    close: () => {
      c.closeSync();
      instance.closeSync();
    },
  };
}

function plain(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`a value past 2^53: ${v}`);
    return Number(v);
  }
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** A string as an SQL literal. */
export const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
