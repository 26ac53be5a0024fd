import type { CType } from "./types.js";

/**
 * The name of a type as pahole prints it before a member name: `long unsigned int`, `struct list_head`,
 * `struct hlist_node * *`, `const char  *`. Arrays and function pointers also need text after the member
 * name; `declarator` gives both halves.
 */
export function typeName(type: CType): string {
  return declarator(type, "").type;
}

/** Splits a declaration into the type column and the name column, as pahole prints them. */
export function declarator(type: CType, name: string): { type: string; name: string } {
  let t = type;
  let suffix = "";
  while (t.kind === "array") {
    suffix += t.flexible ? "[]" : `[${t.length}]`;
    t = t.element;
  }
  const fn = functionPointer(t);
  if (fn) {
    return {
      type: typeName(fn.returns),
      name: `(${fn.stars}${name}${suffix})(${params(fn.params, fn.variadic)})`,
    };
  }
  return { type: baseName(t), name: name + suffix };
}

function functionPointer(t: CType) {
  let stars = "";
  let cur = t;
  while (cur.kind === "pointer") {
    stars += "*";
    cur = cur.to;
    if (cur.kind === "function")
      return { stars, returns: cur.returns, params: cur.params, variadic: cur.variadic };
  }
  return undefined;
}

function params(list: readonly CType[], variadic?: boolean): string {
  const names = list.map((p) => abstractName(p));
  if (variadic) names.push("...");
  return names.length === 0 ? "void" : names.join(", ");
}

/** A type with no member name, as in a function's parameter list. */
function abstractName(t: CType): string {
  const d = declarator(t, "");
  return d.name ? `${d.type} ${d.name}` : d.type;
}

function baseName(t: CType): string {
  switch (t.kind) {
    case "int":
    case "float":
      return t.name;
    case "void":
      return "void";
    case "pointer": {
      const inner = t.to.kind === "qualified" ? `${baseName(t.to)} ` : baseName(t.to);
      return `${inner} *`;
    }
    case "array":
    case "function":
      return abstractName(t);
    case "struct":
    case "union":
      return t.name ? `${t.kind} ${t.name}` : `${t.kind} {...}`;
    case "enum":
      return t.name ? `enum ${t.name}` : "enum {...}";
    case "typedef":
      return t.name;
    case "qualified":
      return t.type.kind === "pointer"
        ? `${baseName(t.type)} ${t.qualifiers.join(" ")}`
        : `${t.qualifiers.join(" ")} ${baseName(t.type)}`;
    case "opaque":
      return t.name;
    case "ref":
      return t.name;
  }
}
