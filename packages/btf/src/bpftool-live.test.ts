import { needs } from "@memdesc/testkit";
import { expect, it } from "vitest";
import {
  bpftoolDump,
  bpftoolMissing,
  expectAsBpftool,
  expectLookups,
  fixtureBpftool,
  notFiller,
  withTempFile,
} from "../test/bpftool.js";
import { fixtureBtf, kernelFixtures, kernelModule, kernelVmlinux } from "../test/fixture.js";
import { openBtf } from "./open.js";

/*
 * The reader against bpftool run here, record by record: the fixture (bpftool's dump of it is the stored one),
 * Debian's 6.1 kernels (ELF32 and ELF64, both byte orders) and a module's split BTF on its vmlinux. The running
 * kernel's whole BTF is in bpftool-vmlinux.test.ts.
 */

const tool = needs({ bpftool: bpftoolMissing() });

tool.describe("the reader against bpftool, run here", () => {
  it("gives the stored dump of the fixture", () => {
    expect(withTempFile(fixtureBtf(), (f) => bpftoolDump(f))).toEqual(fixtureBpftool());
  });

  it("decodes every record of Debian's 6.1 kernels (x86-64, i386 ELF32, big-endian s390x) as bpftool does", () => {
    const kernels = kernelFixtures();
    expect(kernels.length).toBe(3);
    for (const k of kernels) {
      const bytes = kernelVmlinux(k.name);
      const btf = openBtf(bytes, { file: `${k.name}/vmlinux` });
      const ref = withTempFile(bytes, (f) => bpftoolDump(f));
      expectAsBpftool(btf, ref, k.name, notFiller);
      expect(btf.pointerSize, k.name).toBe(btf.source.elfClass === 64 ? 8 : 4);
      expectLookups(btf, ref, [...k.structs, "list_head", "page_pool", "pglist_data"]);
    }
  }, 120_000);

  it("decodes a module's split BTF on its vmlinux as bpftool -B does", () => {
    const k = kernelFixtures().find((x) => x.modules.length > 0)!;
    const vmlinux = kernelVmlinux(k.name);
    const base = openBtf(vmlinux, { file: `${k.name}/vmlinux` });
    for (const m of k.modules) {
      const ko = kernelModule(k.name, m.name);
      const btf = openBtf(ko, { file: `${m.name}.ko`, base });
      const ref = withTempFile(vmlinux, (v) => withTempFile(ko, (f) => bpftoolDump(f, v)));
      expect(ref[0]!.id).toBe(base.lastId + 1);
      expectAsBpftool(btf, ref, m.name);
      expect([...btf.types()].map((t) => t.id)).toEqual([
        ...Array.from({ length: base.lastId }, (_, i) => i + 1),
        ...ref.map((r) => r.id),
      ]);
      expectLookups(btf, ref, m.structs);
      // Names of the base, found through the module.
      for (const s of k.structs) expect(btf.findStruct(s), s).toBe(base.findStruct(s));
    }
  }, 120_000);
});
