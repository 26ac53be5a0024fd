/** BTF kind numbers (`BTF_KIND_*` in include/uapi/linux/btf.h). */
export const Kind = {
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  funcProto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  declTag: 17,
  typeTag: 18,
  enum64: 19,
} as const;

export type KindNumber = (typeof Kind)[keyof typeof Kind];

/** The names `bpftool btf dump` uses, indexed by kind number. */
export const kindNames = [
  "UNKN",
  "INT",
  "PTR",
  "ARRAY",
  "STRUCT",
  "UNION",
  "ENUM",
  "FWD",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "FUNC_PROTO",
  "VAR",
  "DATASEC",
  "FLOAT",
  "DECL_TAG",
  "TYPE_TAG",
  "ENUM64",
] as const;

export const MAX_KIND = 19;

/** Each record's common part: `name_off`, `info`, `size`/`type`. */
export const RECORD_HEADER = 12;

/** INT encoding bits (`BTF_INT_*`). */
export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

/**
 * Bytes of kind-specific data after a record's 12-byte header, or -1 for a kind this reader does not know.
 * BTF has no record length, so an unknown kind cannot be skipped.
 */
export function trailingBytes(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.int:
    case Kind.var:
    case Kind.declTag:
      return 4;
    case Kind.array:
      return 12;
    case Kind.struct:
    case Kind.union:
    case Kind.datasec:
    case Kind.enum64:
      return 12 * vlen;
    case Kind.enum:
    case Kind.funcProto:
      return 8 * vlen;
    case Kind.ptr:
    case Kind.fwd:
    case Kind.typedef:
    case Kind.volatile:
    case Kind.const:
    case Kind.restrict:
    case Kind.func:
    case Kind.float:
    case Kind.typeTag:
      return 0;
    default:
      return -1;
  }
}
