import { readFileSync } from "node:fs";
import { needs } from "@memdesc/testkit";
import { bpftoolDump, bpftoolMissing, expectAsBpftool, expectLookups } from "../test/bpftool.js";
import { hasVmlinux, VMLINUX } from "../test/fixture.js";
import { readBtf } from "./reader.js";

/*
 * The reader against bpftool on every record of the running kernel's BTF (about 125,000 on Linux 6.18). Left out
 * of `npm run test:mutation` (seconds per mutant under instrumentation); bpftool.test.ts and
 * bpftool-live.test.ts check the same code on the fixture and on Debian's kernels.
 */

needs({ bpftool: bpftoolMissing(), "kernel BTF": hasVmlinux ? undefined : `${VMLINUX} does not exist` }).it(
  "decodes every record of the running kernel's BTF as bpftool does",
  () => {
    const btf = readBtf(new Uint8Array(readFileSync(VMLINUX)), { file: VMLINUX });
    const ref = bpftoolDump(VMLINUX);
    expectAsBpftool(btf, ref, "vmlinux");
    const structs = ref.filter((r) => r.kind === "STRUCT" && r.name !== "(anon)").map((r) => r.name);
    expectLookups(btf, ref, [...structs.slice(0, 20), ...structs.slice(-20), "page", "folio", "task_struct"]);
    console.log(`bpftool: the reader decoded all ${ref.length} records of ${VMLINUX} as bpftool does`);
  },
  120_000,
);
