import { resolve } from "node:path";
import { isMemdescError, bill as priceBill } from "@memdesc/core";
import { readJsonFile } from "../config/json-file.js";
import type { Context } from "../context.js";
import { hintFor, UserError } from "../errors.js";
import { displayPath } from "../io/path.js";
import { formatBill, formatWarnings } from "../output/bill.js";
import { printJson } from "../output/json.js";
import { int, size } from "../output/table.js";
import type { BillOutput } from "../schemas.js";
import { composeFrom, describeSet, hvoOption, pluginRefs } from "./shared.js";

/** `memdesc bill PICTURE.json`: prices a memory picture under every design. */
export default async function billCommand(
  ctx: Context,
  opts: Record<string, unknown>,
  file: string,
): Promise<void> {
  const path = resolve(ctx.cwd, file);
  const shown = displayPath(path, ctx.cwd);
  const picture = readJsonFile(path, shown, {
    code: "BAD_PICTURE",
    what: "memory picture",
    hint: "give the path of a JSON memory picture; see `memdesc bill --help` for its form",
  });
  const comp = await composeFrom(ctx.cwd, opts);
  let result: ReturnType<typeof priceBill>;
  try {
    result = priceBill(comp.registry, picture as Parameters<typeof priceBill>[1], hvoOption(opts));
  } catch (err) {
    // The picture is the file: its issues are the file's.
    if (isMemdescError(err) && err.code === "BAD_PICTURE")
      throw new UserError({ subject: shown, issues: err.issues }, hintFor("BAD_PICTURE"), {
        cause: err,
        code: "BAD_PICTURE",
      });
    throw err;
  }
  const output: BillOutput = {
    picture: path,
    design: comp.design.name,
    plugins: pluginRefs(comp),
    bill: result,
  };
  if (ctx.json) return printJson(ctx, output);
  const { c } = ctx;
  let out = `${c.bold("memdesc bill")}: ${shown}${result.source ? ` (${result.source})` : ""}, ${size(result.ramBytes)} of RAM (${int(result.ramPages)} pages of ${size(result.pageSize)})\n`;
  out += `plugins: ${describeSet(comp)}\n\n`;
  out += formatBill(result, comp.design.name, c);
  if (result.warnings.length > 0) out += `\n${formatWarnings(result.warnings, c)}`;
  ctx.out(out);
}
