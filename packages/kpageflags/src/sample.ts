import { fileURLToPath } from "node:url";

/**
 * Path of the snapshot that ships with the package: a real Linux 6.18 machine (Firecracker VM, 24 GiB, x86-64),
 * captured with this package after some page-cache and anonymous-memory activity. It is what a survey uses
 * where /proc/kpageflags cannot be read.
 */
export function sampleSnapshotPath(): string {
  // src/sample.ts and dist/sample.js are both one level below the package root.
  return fileURLToPath(new URL("../fixtures/sample.mdsnap", import.meta.url));
}
