import fc from "fast-check";
import * as b from "../src/ctype/builtins.js";
import { c } from "../src/ctype/dsl.js";
import type { AggregateType, CType, Member } from "../src/ctype/types.js";

/*
 * Random C struct descriptions for the gcc + pahole oracle. A description is name-free data (so fast-check
 * can shrink it); `emit` names its members and types and renders it twice: as C source for gcc and as the
 * core C type model for the layout engine and the pahole formatter.
 */

interface Leaf {
  /** The declaration with `%` where the member name goes (and `@` for a prefix unique to the member). */
  readonly c: string;
  readonly type: CType;
}

/** An anonymous enum's enumerators are named after the member, as C wants them unique in the file. */
const anonymousEnum = leaf("enum { @A = -1, @B = 7 } %", c.enum(undefined, {}));
const leafType = (l: Leaf, member: string): CType =>
  l === anonymousEnum ? c.enum(undefined, { [`E_${member}_A`]: -1, [`E_${member}_B`]: 7 }) : l.type;
const leafC = (l: Leaf, member: string, declarator: string) =>
  l.c.replaceAll("@", `E_${member}_`).replace("%", declarator);

const enumOe = c.enum("oe", { OE_A: 0, OE_B: 3 });
function leaf(decl: string, type: CType): Leaf {
  return { c: decl, type };
}
const integers: readonly Leaf[] = [
  leaf("char %", b.char),
  leaf("signed char %", b.schar),
  leaf("unsigned char %", b.uchar),
  leaf("short %", b.short),
  leaf("unsigned short %", b.ushort),
  leaf("int %", b.sint),
  leaf("unsigned int %", b.uint),
  leaf("long %", b.long),
  leaf("unsigned long %", b.ulong),
  leaf("long long %", b.llong),
  leaf("unsigned long long %", b.ullong),
  leaf("_Bool %", b._Bool),
  leaf("u8 %", b.u8),
  leaf("u16 %", b.u16),
  leaf("u32 %", b.u32),
  leaf("u64 %", b.u64),
  leaf("enum oe %", enumOe),
  anonymousEnum,
];
const scalars: readonly Leaf[] = [
  ...integers,
  leaf("float %", { kind: "float", name: "float", size: 4 }),
  leaf("double %", { kind: "float", name: "double", size: 8 }),
  leaf("const int %", c.type("const int")),
  leaf("volatile short %", c.type("volatile short")),
  leaf("void *%", c.ptr()),
  leaf("const char *%", c.type("const char *")),
  leaf("char **%", c.type("char **")),
  leaf("char *const %", c.type("char * const")),
  leaf("struct fwd *%", c.type("struct fwd *")),
  leaf("void (*%)(int, const char *)", c.fnPtr("void", ["int", "const char *"])),
  leaf("int *(*%)(long, ...)", c.fnPtr("int *", ["long"], true)),
  leaf("long double %", { kind: "float", name: "long double", size: 16 }),
  leaf(
    "struct { int a; char b; } *%",
    c.ptr(
      c.struct([
        ["a", c.int],
        ["b", c.char],
      ]),
    ),
  ),
];

export type FieldSpec =
  | {
      readonly k: "scalar";
      readonly leaf: number;
      readonly dims: readonly number[];
      readonly aligned: number;
    }
  | { readonly k: "bits"; readonly leaf: number; readonly bits: number; readonly named: boolean }
  | {
      readonly k: "nested";
      readonly def: AggregateSpec;
      /** `named`: `struct sN x;` with its own tag; `typedef`: `tdN x;`; `anonymous`: defined in place. */
      readonly how: "named" | "typedef" | "anonymous";
      readonly memberName: boolean;
      readonly dims: readonly number[];
      readonly aligned: number;
    };

export interface AggregateSpec {
  readonly kind: "struct" | "union";
  readonly packed: boolean;
  readonly aligned: number;
  readonly fields: readonly FieldSpec[];
}

export interface TopSpec {
  /** `struct t`, `union t`, or `typedef struct { … } t`. */
  readonly how: "struct" | "union" | "typedef";
  readonly def: AggregateSpec;
  readonly flexible: number | undefined;
}

const alignment = fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128);
const dims = fc.oneof(
  { weight: 6, arbitrary: fc.constant([]) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })) },
);
const integerSize = (i: number) => {
  const t = integers[i]!.type;
  return t === b.long || t === b.ulong ? 4 : sizeOf(t);
};
function sizeOf(t: CType): number {
  if (t.kind === "typedef") return sizeOf(t.type);
  if (t.kind === "int") return typeof t.size === "number" ? t.size : 8;
  if (t.kind === "enum") return typeof t.size === "number" ? t.size : 4;
  return 0;
}

// pahole -J turns i386's 12-byte long double into a fake int, so it is only generated for lp64.
const scalarField = (abi: Abi) =>
  fc.record({
    k: fc.constant("scalar" as const),
    leaf: fc
      .nat({ max: scalars.length - 1 })
      .filter((i) => abi === "lp64" || !scalars[i]!.c.startsWith("long double")),
    dims,
    aligned: alignment,
  });
/**
 * Widths drawn uniformly over the whole range: 1 to the type's full width when named, 0 to it when not
 * (`long` counts as 4 bytes so the same test runs on i386; `_Bool` is 1 bit). Most land between the ends, so
 * neighbours share storage units, straddle them and start new ones.
 */
const bitsField = fc.tuple(fc.nat({ max: integers.length - 1 }), fc.boolean()).chain(([leafIndex, named]) => {
  const max = integers[leafIndex]!.type === b._Bool ? 1 : integerSize(leafIndex) * 8;
  return fc
    .integer({ min: named ? 1 : 0, max })
    .map((bits) => ({ k: "bits" as const, leaf: leafIndex, bits, named }));
});

/**
 * Runs of named bitfields of one type, as kernel structs pack flags: half fill their storage unit exactly (cut
 * at random points, so a field ends on the unit's last bit), half take widths at random (so one straddles).
 */
const bitRun = fc
  .tuple(fc.nat({ max: integers.length - 1 }), fc.boolean())
  .filter(([leafIndex]) => integers[leafIndex]!.type !== b._Bool)
  .chain(([leafIndex, fill]) => {
    const max = integerSize(leafIndex) * 8;
    const widths = fill
      ? fc
          .uniqueArray(fc.integer({ min: 1, max: max - 1 }), { minLength: 1, maxLength: 4 })
          .map((cuts) =>
            [0, ...cuts.sort((x, y) => x - y), max].slice(1).map((c, i, all) => c - (i ? all[i - 1]! : 0)),
          )
      : fc.array(fc.integer({ min: 1, max }), { minLength: 2, maxLength: 5 });
    return widths.map((ws) => ws.map((bits) => ({ k: "bits" as const, leaf: leafIndex, bits, named: true })));
  });

type Abi = "lp64" | "ilp32";

function aggregateSpec(abi: Abi, depth: number): fc.Arbitrary<AggregateSpec> {
  const fields: fc.Arbitrary<FieldSpec>[] = [scalarField(abi), scalarField(abi), bitsField];
  if (depth < 3) {
    fields.push(
      fc.record({
        k: fc.constant("nested" as const),
        def: fc.constant(null).chain(() => aggregateSpec(abi, depth + 1)),
        how: fc.constantFrom("named" as const, "typedef" as const, "anonymous" as const),
        memberName: fc.boolean(),
        dims,
        aligned: alignment,
      }),
    );
  }
  return fc.record({
    kind: fc.constantFrom("struct" as const, "struct" as const, "union" as const),
    packed: fc.constantFrom(false, false, false, true),
    aligned: fc.constantFrom(0, 0, 0, 0, 8, 16, 64),
    fields: fc
      .array(fc.oneof(...fields.map((f) => f.map((x) => [x])), bitRun), { minLength: 1, maxLength: 8 })
      .map((groups) => groups.flat()),
  });
}

/** Random descriptions of `t`, with types gcc lays out for the ABI. */
export const topSpec = (abi: Abi): fc.Arbitrary<TopSpec> =>
  fc.record({
    how: fc.constantFrom(
      "struct" as const,
      "struct" as const,
      "struct" as const,
      "union" as const,
      "typedef" as const,
    ),
    def: aggregateSpec(abi, 0),
    flexible: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.nat({ max: integers.length - 1 }) },
    ),
  });

/** A description rendered as C source and as the C type model. */
export interface Emitted {
  readonly source: string;
  /** `struct t`, `union t` or the typedef `t`. */
  readonly type: CType;
}

/** Names every member and type of a description and renders it as C and as a `CType`. */
export function emit(top: TopSpec): Emitted {
  let fieldNo = 0;
  let typeNo = 0;
  const definitions: string[] = [];

  const attrs = (packed: boolean, aligned: number) => {
    const list = [...(packed ? ["packed"] : []), ...(aligned ? [`aligned(${aligned})`] : [])];
    return list.length ? ` __attribute__((${list.join(", ")}))` : "";
  };
  const memberAligned = (n: number) => (n ? ` __attribute__((aligned(${n})))` : "");
  const dimsText = (ds: readonly number[]) => ds.map((d) => `[${d}]`).join("");
  const arrayOf = (t: CType, ds: readonly number[]): CType =>
    ds.reduceRight<CType>((el, n) => ({ kind: "array", element: el, length: n }), t);

  const aggregate = (spec: AggregateSpec, tag: string | undefined, extra: Member[] = [], extraC = "") => {
    const lines: string[] = [];
    const members: Member[] = [];
    for (const f of spec.fields) {
      const name = `f${fieldNo++}`;
      if (f.k === "scalar") {
        const l = scalars[f.leaf]!;
        // gcc qualifies an array of const elements itself too (pahole prints `const const int`).
        const ds = l.type.kind === "qualified" ? [] : f.dims;
        lines.push(`${leafC(l, name, name + dimsText(ds))}${memberAligned(f.aligned)};`);
        members.push({
          name,
          type: arrayOf(leafType(l, name), ds),
          ...(f.aligned ? { aligned: f.aligned } : {}),
        });
      } else if (f.k === "bits") {
        const l = integers[f.leaf]!;
        lines.push(`${leafC(l, name, f.named ? name : "")}:${f.bits};`);
        const type = leafType(l, name);
        members.push(f.named ? { name, type, bits: f.bits } : { type, bits: f.bits });
      } else {
        const inner = aggregate(f.def, f.how === "named" ? `s${typeNo++}` : undefined);
        const memberName = f.how !== "anonymous" || f.memberName ? name : undefined;
        const aligned = memberName ? f.aligned : 0;
        const decl = `${memberName ?? ""}${memberName ? dimsText(f.dims) : ""}${memberAligned(aligned)}`;
        let type: CType = inner.type;
        if (f.how === "named") {
          definitions.push(`${inner.c};`);
          lines.push(`${f.def.kind} ${inner.type.name} ${decl};`);
        } else if (f.how === "typedef") {
          const td = `td${typeNo++}`;
          definitions.push(`typedef ${inner.c} ${td};`);
          type = c.typedef(td, inner.type);
          lines.push(`${td} ${decl};`);
        } else {
          lines.push(`${inner.c} ${decl};`);
        }
        if (memberName) type = arrayOf(type, f.dims);
        members.push({
          ...(memberName ? { name: memberName } : {}),
          type,
          ...(aligned ? { aligned } : {}),
        });
      }
    }
    members.push(...extra);
    const type: AggregateType = {
      kind: spec.kind,
      name: tag,
      members,
      ...(spec.packed ? { packed: true } : {}),
      ...(spec.aligned ? { aligned: spec.aligned } : {}),
    };
    const body = `${spec.kind}${tag ? ` ${tag}` : ""} {\n${[...lines, extraC].filter(Boolean).join("\n")}\n}`;
    return { type, c: body + attrs(spec.packed, spec.aligned) };
  };

  const def: AggregateSpec = { ...top.def, kind: top.how === "union" ? "union" : "struct" };
  // A flexible array needs a named member before it, in a struct.
  const flex = def.kind === "struct" && def.fields.some((f) => f.k === "scalar") ? top.flexible : undefined;
  const flexMember: Member[] =
    flex === undefined
      ? []
      : [
          {
            name: "tail",
            type: { kind: "array", element: leafType(integers[flex]!, "tail"), length: 0, flexible: true },
          },
        ];
  const flexC = flex === undefined ? "" : `${leafC(integers[flex]!, "tail", "tail[]")};`;
  const typedef = top.how === "typedef";
  const t = aggregate(def, typedef ? undefined : "t", flexMember, flexC);
  const source = [
    "typedef unsigned char u8;",
    "typedef unsigned short u16;",
    "typedef unsigned int u32;",
    "typedef unsigned long long u64;",
    "enum oe { OE_A, OE_B = 3 };",
    ...definitions,
    typedef ? `typedef ${t.c} t;` : `${t.c};`,
    typedef ? "t v;" : `${def.kind} t v;`,
    // pahole prints no size for a union; the offset of `end` shows it.
    `struct t_size { ${typedef ? "t" : `${def.kind} t`} x; char end; } __attribute__((packed)) w;`,
    "",
  ].join("\n");
  return { source, type: typedef ? c.typedef("t", t.type) : t.type };
}
