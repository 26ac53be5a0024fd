// Loaded with `node --import`: makes @duckdb/node-api impossible to resolve, as on a machine without it.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === "@duckdb/node-api") {
    const err = new Error("Cannot find package '@duckdb/node-api'");
    err.code = "ERR_MODULE_NOT_FOUND";
    throw err;
  }
  return next(specifier, context);
}`)}`,
);
