import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

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

const kernelsDir = join(fixtures, "kernels");

/** A real kernel's fixture in fixtures/kernels, as its manifest.json describes it. */
export interface KernelFixture {
  readonly name: string;
  readonly release: string;
  readonly arch: string;
  readonly package: string;
  readonly structs: readonly string[];
  readonly modules: readonly {
    readonly name: string;
    readonly file: string;
    readonly structs: readonly string[];
  }[];
}

/** The kernels of fixtures/kernels (Debian's 6.1 builds for x86-64, i386 and s390x). */
export const kernelFixtures = (): KernelFixture[] =>
  (JSON.parse(readFileSync(join(kernelsDir, "manifest.json"), "utf8")) as { kernels: KernelFixture[] })
    .kernels;

/** A kernel fixture's ELF vmlinux (its BTF subset in the kernel's own ELF header), decompressed. */
export const kernelVmlinux = (name: string): Uint8Array =>
  new Uint8Array(gunzipSync(readFileSync(join(kernelsDir, name, "vmlinux.gz"))));

/** A module of a kernel fixture, decompressed: the `.ko` exactly as the kernel's package has it. */
export const kernelModule = (name: string, module: string): Uint8Array =>
  new Uint8Array(gunzipSync(readFileSync(join(kernelsDir, name, `${module}.ko.gz`))));

/** pahole -C STRUCT on the kernel's whole BTF (or, for a module's struct, with --btf_base on it). */
export const kernelPahole = (name: string, struct: string, module?: string): string =>
  readFileSync(join(kernelsDir, name, module ?? "pahole", `${struct}.txt`), "utf8");

/** Whether pahole runs here, for the tests that ask it directly; undefined when it does, else why not. */
export const paholeMissing = (): string | undefined => {
  const r = spawnSync("pahole", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? undefined : "pahole is not installed (apt-get install dwarves)";
};
