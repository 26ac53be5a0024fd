import type { CType, FunctionType } from "./types.js";

/**
 * The name of a type as pahole prints it (its `tag__name`, without a trailing space): `long unsigned int`,
 * `struct list_head`, `struct hlist_node * *`, `const char  *` (inside, a qualifier's name keeps its
 * trailing space, hence the two), and `void (*)(struct callback_head *)` for a function pointer. Arrays name
 * their element type; `declarator` gives the text that goes after the member name.
 */
export function typeName(type: CType): string {
  if (type.kind === "pointer" && type.to.kind === "function") return functionText(type.to, "(*)");
  return tagName(type).trimEnd();
}

/**
 * Splits a declaration into the text before and after the member name (unpadded):
 * `{ type: "long unsigned int", name: "bits[4]" }`, `{ type: "void", name: "(*func)(struct callback_head *)" }`.
 */
export function declarator(type: CType, name: string): { type: string; name: string } {
  let t = type;
  let suffix = "";
  while (t.kind === "array") {
    suffix += t.flexible ? "[]" : `[${t.length}]`;
    t = t.element;
  }
  if (t.kind === "pointer" && t.to.kind === "function")
    return { type: tagName(t.to.returns), name: `(*${name}${suffix})${paramList(t.to)}` };
  return { type: tagName(t), name: name + suffix };
}

/** pahole's `__tag__name`: the type's own name, with the quirks of its spacing kept. */
export function tagName(t: CType): string {
  switch (t.kind) {
    case "int":
    case "float":
      return t.name;
    case "void":
      return "void";
    case "pointer":
      return pointerName(t.to);
    case "qualified": {
      const [first, ...rest] = t.qualifiers;
      if (first === undefined) return tagName(t.type);
      const inner = rest.length > 0 ? tagName({ ...t, qualifiers: rest }) : tagName(t.type);
      return first === "restrict" ? `${inner} restrict ` : `${first} ${inner} `;
    }
    case "array":
      return tagName(t.element);
    case "function":
      return functionText(t, "()");
    case "struct":
    case "union":
    case "enum":
      return `${t.kind} ${t.name ?? ""}`;
    case "typedef":
    case "opaque":
    case "ref":
      return t.name;
  }
}

/** pahole's `tag__ptr_name`: a `const` pointer target that is itself a pointer reads `T * const *`. */
function pointerName(to: CType): string {
  if (to.kind === "void") return "void *";
  if (to.kind === "qualified" && to.qualifiers.length === 1 && to.qualifiers[0] === "const") {
    if (to.type.kind === "pointer") return `${tagName(to.type)} const *`;
  }
  return `${tagName(to)} *`;
}

/** A function type the way pahole's `ftype__fprintf` writes it without padding: `int ()(void)`. */
function functionText(fn: FunctionType, middle: string): string {
  return `${tagName(fn.returns)} ${middle}${paramList(fn)}`;
}

/** `(int, const char  *)`, `(void)` for none, and `, ...` for a variadic function. */
export function paramList(fn: FunctionType): string {
  if (fn.params.length === 0) return "(void)";
  const names = fn.params.map((p) =>
    p.kind === "pointer" && p.to.kind === "function" ? functionText(p.to, "(*)") : tagName(p),
  );
  return `(${names.join(", ")}${fn.variadic ? ", ..." : ""})`;
}
