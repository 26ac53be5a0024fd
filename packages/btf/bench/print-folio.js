// What `pahole -C folio FILE` does, as a whole process (FILE raw BTF or an ELF vmlinux): read the file, index it, find the
// struct, convert it to a layout and print it. Usage: node bench/print-folio.js [file] [name]
import { readFileSync } from "node:fs";
import { openBtf } from "@memdesc/btf";
import { formatPahole } from "@memdesc/core/layout";

const file = process.argv[2] ?? "/sys/kernel/btf/vmlinux";
const name = process.argv[3] ?? "folio";
const layout = openBtf(readFileSync(file), { file }).layout(name);

process.stdout.write(formatPahole(layout));
