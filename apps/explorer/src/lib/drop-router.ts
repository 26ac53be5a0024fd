import type { ViewId } from "./app-state.js";

/** ELF (`\x7fELF`) or raw BTF (magic 0xeb9f in either byte order): a kernel's or a module's BTF. */
function isKernelFile(head: Uint8Array): boolean {
  const elf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  const btf = (head[0] === 0x9f && head[1] === 0xeb) || (head[0] === 0xeb && head[1] === 0x9f);
  return elf || btf;
}

/**
 * Files dropped anywhere on the page go where they belong, whichever view is shown: a kernel's BTF (ELF or raw)
 * to the Layouts view's kernels, anything else to the Survey view (a snapshot or survey JSON; a second file is
 * compared with the first). Returns the view that took them. The stores load lazily, with their views.
 */
export async function routeDroppedFiles(files: readonly File[]): Promise<ViewId> {
  const first = files[0];
  if (!first) return "survey";
  const head = new Uint8Array(await first.slice(0, 4).arrayBuffer());
  if (isKernelFile(head)) {
    const { addKernelFiles } = await import("../views/layouts/kernels/store.js");
    void addKernelFiles(files);
    return "layouts";
  }
  const { loadFiles } = await import("../views/survey/store.js");
  void loadFiles(files);
  return "survey";
}
