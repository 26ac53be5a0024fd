import { type AggregateType, type CType, ctypes, type Member } from "@memdesc/core";
import fc from "fast-check";

/*
 * Random C structs and unions for property tests: scalars, typedefs, enums, pointers, arrays, bitfields
 * (named, unnamed and zero-width), nested named and anonymous aggregates, qualifiers, and packed/aligned
 * attributes. Member names are unique across the whole tree, as C requires once anonymous members flatten.
 */

const scalars: CType[] = [
  ctypes.char,
  ctypes.uchar,
  ctypes.schar,
  ctypes.short,
  ctypes.ushort,
  ctypes.sint,
  ctypes.uint,
  ctypes.long,
  ctypes.ulong,
  ctypes.llong,
  ctypes.ullong,
  ctypes._Bool,
  ctypes.u8,
  ctypes.u16,
  ctypes.u32,
  ctypes.u64,
  ctypes.s64,
  ctypes.size_t,
  ctypes.gfp_t,
];
const bitfieldTypes: CType[] = [
  ctypes.uchar,
  ctypes.ushort,
  ctypes.sint,
  ctypes.uint,
  ctypes.ulong,
  ctypes.ullong,
  ctypes.u8,
  ctypes.u32,
  ctypes.u64,
];

interface Shape {
  readonly kind: "struct" | "union";
  readonly packed: boolean;
  readonly aligned: number | undefined;
  readonly members: readonly MemberShape[];
}

type MemberShape =
  | { readonly t: "scalar"; readonly type: number; readonly aligned: number | undefined; readonly q: boolean }
  | { readonly t: "bitfield"; readonly type: number; readonly bits: number; readonly named: boolean }
  | { readonly t: "enum"; readonly bits: number | undefined }
  | { readonly t: "pointer"; readonly to: number }
  | { readonly t: "array"; readonly type: number; readonly length: number }
  | {
      readonly t: "nested";
      readonly shape: Shape;
      readonly how: "named" | "anonymous" | "typedef" | "array" | "const";
      readonly aligned: number | undefined;
    };

const pow2 = fc.constantFrom(1, 2, 4, 8, 16, 32, 64);
const optional = <T>(arb: fc.Arbitrary<T>, freq = 5) =>
  fc.oneof({ weight: freq, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const memberShape = (shape: fc.Arbitrary<Shape>): fc.Arbitrary<MemberShape> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        t: fc.constant("scalar" as const),
        type: fc.nat(scalars.length - 1),
        aligned: optional(pow2),
        q: fc.boolean(),
      }),
    },
    {
      weight: 3,
      // Widths uniform over the whole range (1 to the type's width when named, 0 to it when not), so
      // neighbours share, straddle and open storage units.
      arbitrary: fc
        .record({ type: fc.nat(bitfieldTypes.length - 1), named: fc.boolean() })
        .chain(({ type, named }) =>
          fc
            .integer({ min: named ? 1 : 0, max: sizeBits(bitfieldTypes[type]!) })
            .map((bits) => ({ t: "bitfield" as const, type, bits, named })),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("enum" as const),
        bits: optional(fc.integer({ min: 1, max: 32 }), 2),
      }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant("pointer" as const), to: fc.nat(3) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("array" as const),
        type: fc.nat(scalars.length - 1),
        length: fc.integer({ min: 1, max: 5 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("nested" as const),
        shape,
        how: fc.constantFrom(
          "named" as const,
          "anonymous" as const,
          "typedef" as const,
          "array" as const,
          "const" as const,
        ),
        aligned: optional(pow2),
      }),
    },
  );

function sizeBits(t: CType): number {
  let x = t;
  while (x.kind === "typedef") x = x.type;
  if (x.kind !== "int") throw new Error("not an int");
  return (x.size === "long" || x.size === "pointer" ? 8 : x.size) * 8;
}

/** Shapes nest at most `depth` levels. */
export const shapeArb = (withAttributes: boolean, depth = 3): fc.Arbitrary<Shape> => {
  const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
    shape: fc.record({
      kind: fc.constantFrom("struct" as const, "struct" as const, "union" as const),
      packed: withAttributes ? fc.nat(9).map((n) => n < 3) : fc.constant(false),
      aligned: withAttributes ? optional(pow2, 4) : fc.constant(undefined),
      members: fc.array(memberShape(tie("shape") as fc.Arbitrary<Shape>), {
        minLength: 0,
        maxLength: 6,
        depthIdentifier: "m",
      }),
    }),
  }));
  return shape
    .filter((s) => depthOf(s) <= depth && !paddingOnly(s))
    .map((s) => (withAttributes ? s : stripAttributes(s)));
};

/**
 * Whether an aggregate (at any depth) holds nothing but unnamed bitfields, some of them wide: BTF records no
 * unnamed bitfield, so such a type reads back as an opaque one of its size and cannot round-trip as written.
 */
function paddingOnly(s: Shape): boolean {
  const padding = (m: MemberShape) => m.t === "bitfield" && !m.named;
  if (s.members.length && s.members.every(padding) && s.members.some((m) => m.t === "bitfield" && m.bits > 0))
    return true;
  return s.members.some((m) => m.t === "nested" && paddingOnly(m.shape));
}

function depthOf(s: Shape): number {
  let d = 1;
  for (const m of s.members) if (m.t === "nested") d = Math.max(d, 1 + depthOf(m.shape));
  return d;
}

function stripAttributes(s: Shape): Shape {
  return {
    ...s,
    packed: false,
    aligned: undefined,
    members: s.members.map((m) =>
      m.t === "scalar"
        ? { ...m, aligned: undefined }
        : m.t === "nested"
          ? { ...m, aligned: undefined, shape: stripAttributes(m.shape) }
          : m,
    ),
  };
}

/** Builds the C type of a shape, with unique member and tag names. */
export function buildShape(root: Shape): AggregateType {
  let n = 0;
  const fresh = (p: string) => `${p}${n++}`;
  const targets: CType[] = [
    ctypes.void_,
    ctypes.incomplete("struct", "elsewhere"),
    { kind: "function", returns: ctypes.sint, params: [ctypes.ulong, ctypes.pointer(ctypes.void_)] },
    ctypes.pointer(ctypes.char),
  ];
  const build = (s: Shape, name: string | undefined): AggregateType => {
    const members: Member[] = s.members.map((m): Member => {
      switch (m.t) {
        case "scalar": {
          const base = scalars[m.type]!;
          const type: CType = m.q ? { kind: "qualified", qualifiers: ["volatile"], type: base } : base;
          return { name: fresh("f"), type, ...(m.aligned !== undefined ? { aligned: m.aligned } : {}) };
        }
        case "bitfield":
          return { ...(m.named ? { name: fresh("b") } : {}), type: bitfieldTypes[m.type]!, bits: m.bits };
        case "enum": {
          const type: CType = {
            kind: "enum",
            name: fresh("e"),
            size: 4,
            values: [
              { name: fresh("E"), value: 0n },
              { name: fresh("E"), value: 3n },
            ],
          };
          return { name: fresh("f"), type, ...(m.bits !== undefined ? { bits: m.bits } : {}) };
        }
        case "pointer":
          return { name: fresh("p"), type: ctypes.pointer(targets[m.to]!) };
        case "array":
          return { name: fresh("a"), type: { kind: "array", element: scalars[m.type]!, length: m.length } };
        case "nested": {
          const aligned = m.aligned !== undefined ? { aligned: m.aligned } : {};
          if (m.how === "anonymous") return { type: build(m.shape, undefined), ...aligned };
          const inner = build(m.shape, fresh("s"));
          if (m.how === "typedef")
            return { name: fresh("n"), type: ctypes.typedef(fresh("t"), inner), ...aligned };
          if (m.how === "array")
            return { name: fresh("n"), type: { kind: "array", element: inner, length: 2 } };
          if (m.how === "const")
            return {
              name: fresh("n"),
              type: { kind: "qualified", qualifiers: ["const"], type: inner },
              ...aligned,
            };
          return { name: fresh("n"), type: inner, ...aligned };
        }
        default:
          throw new Error(`unknown member shape ${(m satisfies never as MemberShape).t}`);
      }
    });
    return {
      kind: s.kind,
      name,
      members,
      ...(s.packed ? { packed: true } : {}),
      ...(s.aligned !== undefined ? { aligned: s.aligned } : {}),
    };
  };
  return build(root, fresh("root"));
}
