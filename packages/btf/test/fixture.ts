import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");

/** The BTF subset extracted from a Linux 6.18 x86-64 kernel by scripts/make-fixture.js. */
export const fixtureBtf = (): Uint8Array =>
  new Uint8Array(readFileSync(join(fixtures, "linux-6.18-memdesc.btf")));

/** pahole -C NAME on the same kernel's vmlinux, stored beside the fixture. */
export const fixturePahole = (name: string): string =>
  readFileSync(join(fixtures, "pahole", `${name}.txt`), "utf8");

export const fixtureManifest = (): { structs: string[]; enums: string[]; kernel: string } =>
  JSON.parse(readFileSync(join(fixtures, "manifest.json"), "utf8"));

export const VMLINUX = "/sys/kernel/btf/vmlinux";
export const hasVmlinux = existsSync(VMLINUX);
