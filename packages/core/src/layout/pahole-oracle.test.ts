import { needs } from "@memdesc/testkit";
import fc from "fast-check";
import { describe, expect } from "vitest";
import { gccPahole, oracleTools } from "../../test/gcc-pahole.js";
import { emptyBasePaths, memberPaths } from "../../test/layout-paths.js";
import { emit, topSpec } from "../../test/random-struct.js";
import { layoutOf } from "./engine.js";
import { formatPahole } from "./pahole-format.js";
import { parsePahole } from "./pahole-parse.js";
import type { LaidMember } from "./types.js";

/*
 * The oracle: random C structs, compiled by gcc and read back by pahole, against the layout engine (offsets
 * and sizes, from the DWARF) and the pahole formatter (byte for byte, against what pahole prints once
 * `pahole -J` has turned the DWARF into BTF, as for a kernel). MEMDESC_ORACLE_RUNS sets the run count per
 * ABI; each run prints its seed, and MEMDESC_ORACLE_SEED=N replays one. x86-64 runs wherever gcc and pahole do;
 * i386 also needs `gcc -m32`, and is reported apart when it cannot build.
 */

const tools = oracleTools();
const numRuns = Number(process.env.MEMDESC_ORACLE_RUNS ?? 50);
const seed = Number(process.env.MEMDESC_ORACLE_SEED ?? Math.floor(Math.random() * 2 ** 31));
// Under mutation testing (scripts/mutation/run.mjs) a mutant only has to fail a run: shrinking the failing struct,
// a gcc and pahole run per step, is for a person reading the report.
const endOnFailure = process.env.MEMDESC_MUTATION_MODULE !== undefined;

describe("gcc + pahole oracle", () => {
  for (const abi of ["lp64", "ilp32"] as const) {
    const oracle = needs({
      gcc: tools.gcc,
      pahole: tools.pahole,
      ...(abi === "ilp32" ? { "gcc -m32": tools["gcc -m32"] } : {}),
    });
    oracle.it(
      `lays out and prints random structs as gcc and pahole do (${abi})`,
      () => {
        console.log(
          `gcc + pahole oracle (${abi}): ${numRuns} structs, seed ${seed} (replay: MEMDESC_ORACLE_SEED=${seed})`,
        );
        fc.assert(
          fc.property(topSpec(abi), (spec) => {
            const { source, type } = emit(spec);
            const out = gccPahole(source, ["t", "t_size"], abi === "ilp32");
            const layout = layoutOf(type, { abi });
            const parsed = parsePahole(out.dwarf);
            const ref = parsed.find((s) => s.name === "t" || s.typedefName === "t")!;
            const wrapper = parsed.find((s) => s.name === "t_size")!;
            expect(layout.size, source).toBe(wrapper.fields.find((f) => f.path === "end")!.offset);
            const ours = new Map(layout.fields.filter((f) => !f.anonymous).map((f) => [f.path, f]));
            const arrays = arrayPaths(layout.members);
            // pahole counts a 1-byte struct with no members it can see as 0 bytes.
            const emptyBase = emptyBasePaths(layout);
            for (const f of ref.fields) {
              // pahole expands an array of anonymous structs; layouts do not flatten into arrays.
              if (arrays.some((a) => f.path.startsWith(`${a}.`))) continue;
              const o = ours.get(f.path);
              expect(o, `${f.path}\n${source}`).toBeDefined();
              const size = f.size === 0 && emptyBase.has(f.path) ? 0 : o!.size;
              expect([f.path, o!.offset, size, o!.bitOffset, o!.bitSize], source).toEqual([
                f.path,
                f.offset,
                f.size,
                f.bitOffset,
                f.bitSize,
              ]);
            }
            const shown = layout.members.filter((m) => m.name !== undefined || m.bitSize === undefined);
            expect(shown.length, source).toBe(ref.members);
            expect(formatPahole(layout), source).toBe(out.btf);
          }),
          { numRuns, seed, endOnFailure },
        );
      },
      600_000,
    );
  }
});

const arrayPaths = (members: readonly LaidMember[]) => memberPaths(members, (m) => m.type.kind === "array");
