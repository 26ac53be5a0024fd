import { errorSentence, showError } from "../../../lib/errors.js";
import { createStore } from "../../../lib/store.js";
import { type DroppedKernel, readKernelFile } from "./kernel-file.js";

/** Two kernels side by side at most, as `memdesc layout NAME --btf A --vs B`. */
export const MAX_KERNELS = 2;

export interface KernelState {
  /** The kernels read, oldest first: A, then B. */
  readonly kernels: readonly DroppedKernel[];
  /** A file being read: its name. */
  readonly loading: string | undefined;
  /** The last read's error, one line naming the file. */
  readonly error: string | undefined;
}

/**
 * The kernels dropped on the page, kept outside the Layouts view: a kernel dropped anywhere (or picked while
 * another view was shown) is there when the Layouts view opens, and switching views keeps them.
 */
export const kernelStore = createStore<KernelState>({ kernels: [], loading: undefined, error: undefined });

/** Reads files as kernels' BTF, in order; a module reads on the first kernel. Stops at the first bad file. */
export async function addKernelFiles(files: readonly File[]): Promise<void> {
  kernelStore.set({ error: undefined });
  let next = kernelStore.get().kernels;
  for (const file of files) {
    kernelStore.set({ loading: file.name });
    try {
      const k = await readKernelFile(file, next[0]);
      next = [...next, k].slice(-MAX_KERNELS);
    } catch (e) {
      kernelStore.set({ error: errorSentence(showError(e)) });
      break;
    }
  }
  kernelStore.set({ loading: undefined, kernels: next });
}

export function clearKernels(): void {
  kernelStore.set({ kernels: [], error: undefined });
}
