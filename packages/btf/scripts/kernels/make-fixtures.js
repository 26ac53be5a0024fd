#!/usr/bin/env node
// Turns the kernels regenerate.sh downloaded into the fixtures in ../../fixtures/kernels: for each, an ELF file
// holding a subset of its BTF (the memdesc structs and what they need), pahole's output for each struct from
// the kernel's whole BTF, and for a module, the module itself and pahole's output for its structs. Run by
// regenerate.sh, which says where everything came from; see fixtures/kernels/README.md.
//
// The subset keeps every type id and string offset where it was (unneeded records become a 12-byte anonymous
// `void *`, unneeded strings NUL bytes), so a module's split BTF still reads on top of it, and gzip shrinks the
// blanks to almost nothing. pahole must print every kept struct from the subset exactly as from the whole BTF;
// this script checks that before it writes anything.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Kind, openBtf, trailingBytes, typeClosure } from "../../dist/index.js";
import { structs } from "../memdesc-types.js";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../../fixtures/kernels");
const [work, planFile] = process.argv.slice(2);
if (!work || !planFile) {
  console.error("usage: make-fixtures.js WORKDIR PLAN.json (run regenerate.sh)");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planFile, "utf8"));

/** The memdesc structs every kernel fixture keeps where the kernel has them, and 6.1's zsmalloc zspage. */
const roots = [...structs, "zspage"];

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const pahole = (args) =>
  execFileSync("pahole", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 });

/** Record size from kind and vlen, as the reader's index computes it. */
const recordSize = (kind, vlen) => 12 + trailingBytes(kind, vlen);

/** The string offsets a record refers to: its name, and its members', values' or parameters' names. */
function recordStrings(btf, id) {
  const at = btf.recordOffset(id);
  const le = btf.header.littleEndian;
  const view = new DataView(btf.bytes.buffer, btf.bytes.byteOffset, btf.bytes.byteLength);
  const kind = btf.kind(id);
  const vlen = btf.vlen(id);
  const offs = [view.getUint32(at, le)];
  const stride =
    kind === Kind.struct || kind === Kind.union || kind === Kind.enum64
      ? 12
      : kind === Kind.enum || kind === Kind.funcProto
        ? 8
        : 0;
  if (stride) for (let i = 0; i < vlen; i++) offs.push(view.getUint32(at + 12 + stride * i, le));
  return offs;
}

/**
 * The subset of `btf` (not split) that keeps `keep` in full and `byName` (structs and unions as FWD), every id
 * and string offset where it was, plus the strings at `extraStrings` (a module's references into this base).
 */
function blank(btf, { full, byName }, extraStrings = []) {
  const le = btf.header.littleEndian;
  const src = new DataView(btf.bytes.buffer, btf.bytes.byteOffset, btf.bytes.byteLength);
  const records = [];
  const usedStrings = new Set(extraStrings);
  for (let id = 1; id <= btf.lastId; id++) {
    const at = btf.recordOffset(id);
    const kind = btf.kind(id);
    const size = recordSize(kind, btf.vlen(id));
    if (full.has(id) || (byName.has(id) && kind !== Kind.struct && kind !== Kind.union)) {
      records.push(btf.bytes.slice(at, at + size));
      for (const s of recordStrings(btf, id)) usedStrings.add(s);
    } else if (byName.has(id)) {
      const r = new Uint8Array(12);
      const v = new DataView(r.buffer);
      const nameOff = src.getUint32(at, le);
      v.setUint32(0, nameOff, le);
      v.setUint32(4, ((kind === Kind.union ? 1 : 0) << 31) | (Kind.fwd << 24), le);
      records.push(r);
      usedStrings.add(nameOff);
    } else {
      const r = new Uint8Array(12);
      new DataView(r.buffer).setUint32(4, Kind.ptr << 24, le);
      records.push(r);
    }
  }
  const typeLen = records.reduce((s, r) => s + r.length, 0);
  const { strStart, strLen, hdrLen } = btf.header;
  const strings = new Uint8Array(strLen);
  for (const off of usedStrings) {
    if (off === 0) continue;
    const from = strStart + off;
    const end = btf.bytes.indexOf(0, from);
    strings.set(btf.bytes.subarray(from, end), off);
  }
  const bytes = new Uint8Array(hdrLen + typeLen + strLen);
  bytes.set(
    btf.bytes.subarray(
      btf.header.typeStart - btf.header.typeOff - hdrLen,
      btf.header.typeStart - btf.header.typeOff,
    ),
    0,
  );
  const h = new DataView(bytes.buffer);
  h.setUint32(8, 0, le);
  h.setUint32(12, typeLen, le);
  h.setUint32(16, typeLen, le);
  h.setUint32(20, strLen, le);
  let pos = hdrLen;
  for (const r of records) {
    bytes.set(r, pos);
    pos += r.length;
  }
  bytes.set(strings, pos);
  return bytes;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const manifest = { generated: new Date().toISOString(), pahole: pahole(["--version"]).trim(), kernels: [] };

for (const k of plan.kernels) {
  const dir = join(out, k.name);
  mkdirSync(join(dir, "pahole"), { recursive: true });
  const btfPath = join(work, k.btf);
  const full = openBtf(readFileSync(btfPath), { file: k.btf });
  const present = roots.filter((r) => {
    try {
      full.layout(r);
      return true;
    } catch {
      return false;
    }
  });
  const closures = [typeClosure(full, present)];
  const extraStrings = [];
  const modules = [];
  for (const m of k.modules ?? []) {
    const bytes = readFileSync(join(work, m.file));
    const mod = openBtf(bytes, { file: m.file, base: full });
    const ids = [];
    for (let id = mod.firstId; id <= mod.lastId; id++) {
      ids.push(id);
      for (const s of recordStrings(mod, id)) if (s < full.strings.end) extraStrings.push(s);
    }
    const c = typeClosure(mod, ids);
    closures.push({
      full: new Set([...c.full].filter((id) => id < mod.firstId)),
      byName: new Set([...c.byName].filter((id) => id < mod.firstId)),
    });
    const structs = [];
    for (let id = mod.firstId; id <= mod.lastId; id++) {
      const kind = mod.kind(id);
      if ((kind === Kind.struct || kind === Kind.union) && mod.name(id) && mod.vlen(id) > 0)
        structs.push(mod.name(id));
    }
    modules.push({ ...m, bytes, structs });
  }
  const keep = {
    full: new Set(closures.flatMap((c) => [...c.full])),
    byName: new Set(closures.flatMap((c) => [...c.byName])),
  };
  for (const id of keep.full) keep.byName.delete(id);
  const subset = blank(full, keep, extraStrings);
  const subsetFile = join(work, `${k.name}.subset.btf`);
  writeFileSync(subsetFile, subset);

  // The ELF file: the kernel's own ELF header, with only a .BTF section, holding the subset.
  const elfFile = join(work, `${k.name}.vmlinux`);
  const section = k.elfHasBtf
    ? ["--update-section", `.BTF=${subsetFile}`]
    : ["--add-section", `.BTF=${subsetFile}`, "--set-section-flags", ".BTF=alloc,readonly"];
  execFileSync(k.objcopy, ["-j", ".BTF", ...section, join(work, k.elf), elfFile], {
    stdio: ["ignore", "ignore", "ignore"],
  });
  const elfBytes = readFileSync(elfFile);

  const original = join(work, k.paholeFrom ?? k.btf);
  for (const r of present) {
    const want = pahole(["-C", r, original]);
    const got = pahole(["-C", r, elfFile]);
    if (got !== want) throw new Error(`${k.name}: pahole prints ${r} differently from the subset`);
    writeFileSync(join(dir, "pahole", `${r}.txt`), want);
  }
  const mods = [];
  for (const m of modules) {
    const modFile = join(work, m.file);
    mkdirSync(join(dir, m.name), { recursive: true });
    for (const s of m.structs) {
      const want = pahole(["--btf_base", original, "-C", s, modFile]);
      const got = pahole(["--btf_base", elfFile, "-C", s, modFile]);
      if (got !== want)
        throw new Error(`${k.name}: pahole prints ${m.name}'s ${s} differently on the subset`);
      writeFileSync(join(dir, m.name, `${s}.txt`), want);
    }
    writeFileSync(join(dir, `${m.name}.ko.gz`), gzipSync(m.bytes, { level: 9 }));
    mods.push({
      name: m.name,
      file: `${m.name}.ko.gz`,
      from: m.from,
      sha256: sha256(m.bytes),
      bytes: m.bytes.length,
      structs: m.structs,
    });
  }
  writeFileSync(join(dir, "vmlinux.gz"), gzipSync(elfBytes, { level: 9 }));
  manifest.kernels.push({
    name: k.name,
    release: k.release,
    arch: full.source.arch ?? k.arch,
    package: k.package,
    btfFrom: k.btfFrom,
    file: "vmlinux.gz",
    sha256: sha256(elfBytes),
    bytes: elfBytes.length,
    types: full.count,
    kept: keep.full.size + keep.byName.size,
    structs: present,
    modules: mods,
  });
  console.log(
    `${k.name}: ${present.join(", ")}; kept ${keep.full.size + keep.byName.size} of ${full.count} types; ${mods.length} module(s)`,
  );
}
writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
