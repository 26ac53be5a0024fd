import { resolve } from "node:path";
import { diffLayouts, formatCompare, formatLayoutDiff, layoutLabel } from "@memdesc/core/layout";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { printJson } from "../output/json.js";
import type { LayoutOutput } from "../schemas.js";
import { btfOptions, describeBtf, kernelBtf, loadBtf } from "./btf.js";
import { btfEntry } from "./layout-json.js";

/**
 * `memdesc layout NAME --btf A --vs B`: one struct in two kernels, side by side as pahole prints each, then
 * what moved, grew, shrank, changed type, appeared or went, first kernel to second. A is the running kernel
 * when --btf is left out.
 */
export default async function layoutVs(
  ctx: Context,
  opts: Record<string, unknown>,
  name: string,
): Promise<void> {
  for (const flag of ["compare", "design", "variant", "abi"] as const)
    if (opts[flag] !== undefined)
      throw new UserError(
        `--vs compares a struct in two kernels' BTF; --${flag} does not apply`,
        "leave out --" + flag,
      );
  const options = btfOptions(opts, ctx.cwd);
  const a = loadBtf(typeof opts.btf === "string" ? resolve(ctx.cwd, opts.btf) : kernelBtf, ctx.cwd, options);
  const b = loadBtf(resolve(ctx.cwd, String(opts.vs)), ctx.cwd, options);
  const left = a.layout(name);
  const right = b.layout(name);
  const diff = diffLayouts(left, right);
  const shown = [
    btfEntry(`${layoutLabel(left)} from ${describeBtf(a)}`, left),
    btfEntry(`${layoutLabel(right)} from ${describeBtf(b)}`, right),
  ];
  if (ctx.json) {
    const output: LayoutOutput = {
      name,
      source: "btf",
      btf: a.file ?? null,
      vs: b.file ?? null,
      design: null,
      layouts: shown.map(({ full: _full, comment: _comment, ...rest }) => rest),
      diff,
    };
    return printJson(ctx, output);
  }
  const { c } = ctx;
  let out = `${c.dim(`/* left: ${shown[0]!.comment} */`)}\n${c.dim(`/* right: ${shown[1]!.comment} */`)}\n`;
  out += formatCompare(left, right);
  out += `\n${c.bold("left → right")}:\n${formatLayoutDiff(diff)}`;
  ctx.out(out);
}
