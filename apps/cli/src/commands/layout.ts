import { resolve } from "node:path";
import { formatPahole, layoutLabel } from "@memdesc/core/layout";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { printJson } from "../output/json.js";
import type { LayoutOutput } from "../schemas.js";
import { btfOptions, loadBtf } from "./btf.js";
import { btfEntry } from "./layout-json.js";

/**
 * `memdesc layout NAME`: a layout as `pahole -C NAME` prints it. NAME is a plugin's kind (its descriptor in the
 * chosen design, or today's overlay with `--design today`), `page`, a struct a plugin defines, or any struct
 * or union in a BTF file. A struct read from `--btf FILE` needs no plugin, so it is printed with the layout
 * engine alone, without composing the set (the config, zod and the plugins are not loaded).
 */
export default async function layout(
  ctx: Context,
  opts: Record<string, unknown>,
  rawName: string,
): Promise<void> {
  const name = rawName.replace(/^(struct|union)\s+/, "").trim();
  if (typeof opts.vs === "string") return (await import("./layout-vs.js")).default(ctx, opts, name);
  const btfPath = typeof opts.btf === "string" ? resolve(ctx.cwd, opts.btf) : undefined;
  const btf = btfPath ? loadBtf(btfPath, ctx.cwd, btfOptions(opts, ctx.cwd)) : undefined;
  if (btf && opts.abi !== undefined && opts.abi !== btf.abi)
    throw new UserError(
      `--abi ${String(opts.abi)} does not apply to ${btf.file}, whose layouts are ${btf.abi}`,
      "leave out --abi: a BTF file's layouts are what its kernel's compiler made",
    );
  if (!btf || opts.compare) return (await import("./layout-plugin.js")).default(ctx, opts, name, btf);
  const l = btf.layout(name);
  if (ctx.json) {
    const { full: _full, comment: _comment, ...shown } = btfEntry(`${layoutLabel(l)} from ${btf.file}`, l);
    const output: LayoutOutput = {
      name,
      source: "btf",
      btf: btf.file ?? null,
      design: null,
      layouts: [shown],
    };
    return printJson(ctx, output);
  }
  // A kernel's struct prints exactly as `pahole -C NAME FILE` prints it, so the two diff clean.
  ctx.out(formatPahole(l, {}));
}
