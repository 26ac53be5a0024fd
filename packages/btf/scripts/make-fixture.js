#!/usr/bin/env node
// Regenerates fixtures/ from the running kernel: a small BTF file with the memdesc types (extracted with this
// package's writer), pahole's output for each of them from the same vmlinux, as the expected layouts, and
// bpftool's JSON dump of the fixture, as the expected records.
// Usage: npm run build -w @memdesc/btf && node scripts/make-fixture.js [/sys/kernel/btf/vmlinux]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { extractTypes, readBtf, writeBtf } from "../dist/index.js";
import { enums, structs } from "./memdesc-types.js";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../fixtures");
const source = process.argv[2] ?? "/sys/kernel/btf/vmlinux";

const btf = readBtf(readFileSync(source), { file: source });
const { types } = extractTypes(btf, [...structs, ...enums]);
const bytes = writeBtf(types);
mkdirSync(join(out, "pahole"), { recursive: true });
writeFileSync(join(out, "linux-6.18-memdesc.btf"), bytes);

let release = "unknown";
try {
  release = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
} catch {
  // Not Linux: the fixture still records the source file.
}
const paholed = [];
for (const name of [...structs, ...enums]) {
  try {
    const text = execFileSync("pahole", ["-C", name, source], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    writeFileSync(join(out, "pahole", `${name}.txt`), text);
    paholed.push(name);
  } catch {
    console.warn(`pahole -C ${name} failed or pahole is missing; fixtures/pahole/${name}.txt not refreshed`);
  }
}
// bpftool's decoding of every record of the fixture, the reader's oracle where bpftool is not installed.
mkdirSync(join(out, "bpftool"), { recursive: true });
try {
  const dump = execFileSync("bpftool", ["-j", "btf", "dump", "file", join(out, "linux-6.18-memdesc.btf")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  writeFileSync(join(out, "bpftool", "linux-6.18-memdesc.json"), dump);
} catch {
  console.warn("bpftool failed or is missing; fixtures/bpftool/linux-6.18-memdesc.json not refreshed");
}
writeFileSync(
  join(out, "manifest.json"),
  `${JSON.stringify(
    {
      source,
      kernel: release,
      structs,
      enums,
      types: types.length,
      bytes: bytes.length,
      pahole: paholed,
      generator: "packages/btf/scripts/make-fixture.js",
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${bytes.length} bytes, ${types.length} types, from ${source} (${release})`);
