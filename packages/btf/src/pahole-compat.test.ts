import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { formatPahole, formatPaholeEnum } from "@memdesc/core/layout";
import { needs } from "@memdesc/testkit";
import { beforeEach, describe, expect, it } from "vitest";
import { fixtureBtf, fixtureManifest, fixturePahole, hasVmlinux, VMLINUX } from "../test/fixture.js";
import { Kind } from "./kinds.js";
import { type Btf, readBtf } from "./reader.js";

/*
 * @memdesc/core's pahole printer on layouts read from BTF, against pahole 1.24 on the same BTF: the memdesc
 * structs of the shipped Linux 6.18 fixture, and every struct and union of the running kernel.
 */

describe("formatPahole on the Linux 6.18 fixture", () => {
  let btf: Btf;
  beforeEach(() => {
    btf = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
  });
  const { structs, enums } = fixtureManifest();

  it.each(structs)("prints %s exactly as pahole did", (name) => {
    expect(formatPahole(btf.layout(name))).toBe(fixturePahole(name));
  });

  it.each(enums)("prints enum %s exactly as pahole did", (name) => {
    const t = btf.ctype(btf.find(name, [Kind.enum, Kind.enum64])!);
    expect(t.kind).toBe("enum");
    if (t.kind === "enum") expect(formatPaholeEnum(t, btf.abi)).toBe(fixturePahole(name));
  });
});

const pahole = spawnSync("pahole", ["--version"], { encoding: "utf8" });
const live = needs({
  "kernel BTF": hasVmlinux ? undefined : `${VMLINUX} does not exist`,
  pahole: pahole.status === 0 ? undefined : "pahole is not installed (Debian: dwarves)",
});

/**
 * `pahole FILE` prints every struct and union; split that into one text per definition, by name (the first
 * of a name, as `pahole -C` finds it).
 */
function splitPahole(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string[] | undefined;
  let name: string | undefined;
  for (const line of text.split("\n")) {
    if (!current) {
      const header = /^(?:(struct|union) (\w+) \{|typedef (?:struct|union) \{)$/.exec(line);
      const typedefUnion = /^typedef union {2}(\w+);$/.exec(line);
      if (typedefUnion) out.set(typedefUnion[1]!, `${line}\n`);
      else if (header) {
        current = [line];
        name = header[2];
      }
      continue;
    }
    current.push(line);
    if (line.startsWith("}")) {
      name ??= /^\}(?: __attribute__\(\(\w+(?:\(\d+\))?\)\))* (\w+)/.exec(line)?.[1];
      if (name && !out.has(name)) out.set(name, `${current.join("\n")}\n`);
      current = undefined;
      name = undefined;
    }
  }
  return out;
}

live.describe("formatPahole on the running kernel", () => {
  it("prints the structs, unions and typedefs of anonymous ones in /sys/kernel/btf/vmlinux as pahole does", () => {
    const btf = readBtf(new Uint8Array(readFileSync(VMLINUX)), { file: VMLINUX });
    const all = spawnSync("pahole", [VMLINUX], { encoding: "utf8", maxBuffer: 1 << 30 });
    const expected = [...splitPahole(all.stdout)].map(([name, text]) => ({
      name,
      root: name as string | number,
      text,
    }));
    // A run over every struct prints no typedefs: ask for the typedefs of anonymous structs by name.
    const typedefs = new Map<string, number>();
    for (let id = btf.firstId; id <= btf.lastId; id++) {
      if (btf.kind(id) !== Kind.typedef || typedefs.has(btf.name(id))) continue;
      const r = btf.resolve(id);
      if ((btf.kind(r) === Kind.struct || btf.kind(r) === Kind.union) && !btf.name(r))
        typedefs.set(btf.name(id), id);
    }
    const named = spawnSync("pahole", ["-C", [...typedefs.keys()].join(","), VMLINUX], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    for (const [name, text] of splitPahole(named.stdout)) {
      const id = typedefs.get(name);
      if (id !== undefined) expected.push({ name: `typedef ${name}`, root: id, text });
    }
    let same = 0;
    const differing: string[] = [];
    for (const { name, root, text } of expected) {
      let ours: string;
      try {
        ours = formatPahole(btf.layout(root));
      } catch (e) {
        ours = String(e);
      }
      if (ours === text) same++;
      else differing.push(name);
    }
    const rate = same / expected.length;
    console.log(
      `formatPahole matched pahole byte for byte on ${same} of ${expected.length} structs, unions and ` +
        `typedefs of anonymous ones (${(rate * 100).toFixed(2)}%)` +
        (differing.length ? `; differing: ${differing.slice(0, 20).join(", ")}` : ""),
    );
    expect(typedefs.size).toBeGreaterThan(100);
    expect(expected.length).toBeGreaterThan(1000);
    // A little room: in one run over every struct, pahole remembers what it inferred about a type (packed)
    // from the structs printed before it, which printing one struct alone cannot know.
    expect(rate).toBeGreaterThan(0.99);
  }, 120_000);
});
