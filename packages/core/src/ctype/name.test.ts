import { describe, expect, it } from "vitest";
import { callback_head } from "./builtins.js";
import { c } from "./dsl.js";
import { declarator, typeName } from "./name.js";

describe("typeName: pahole's type names", () => {
  it.each([
    ["unsigned long", "long unsigned int"],
    ["struct list_head *", "struct list_head *"],
    ["struct hlist_node **", "struct hlist_node * *"],
    // A qualifier's name ends in a space, so a pointer to const reads `const char  *`.
    ["const char *", "const char  *"],
    ["const void *", "const void  *"],
    ["char * const", "const char *"],
    ["char * const *", "char * const *"],
    ["volatile int", "volatile int"],
    ["int * restrict", "int * restrict"],
    ["u8[16]", "u8"],
  ])("%s is %j", (spec, expected) => {
    expect(typeName(c.type(spec))).toBe(expected);
  });

  it("names function pointers as pahole's parameter lists do", () => {
    expect(typeName(callback_head.members![1]!.type)).toBe("void (*)(struct callback_head *)");
    expect(typeName(c.fnPtr("int *", ["long"], true))).toBe("int * (*)(long int, ...)");
    expect(typeName(c.ptr(c.fnPtr("int")))).toBe("int ()(void) * *");
  });
});

describe("declarator", () => {
  it("splits a declaration around the member name", () => {
    expect(declarator(c.array("unsigned long", 4), "bits")).toEqual({
      type: "long unsigned int",
      name: "bits[4]",
    });
    expect(declarator(callback_head.members![1]!.type, "func")).toEqual({
      type: "void",
      name: "(*func)(struct callback_head *)",
    });
    expect(declarator(c.flex("u32"), "tail")).toEqual({ type: "u32", name: "tail[]" });
  });
});
