import { readFileSync } from "node:fs";
import type { Context } from "../context.js";

/** The capture script, as shipped in the package (capture/memdesc-capture.sh). */
export const captureScriptUrl = new URL("../../capture/memdesc-capture.sh", import.meta.url);

/** `memdesc capture-script`: prints the POSIX sh capture script. */
export default async function captureScript(ctx: Context): Promise<void> {
  ctx.out(readFileSync(captureScriptUrl, "utf8"));
}
