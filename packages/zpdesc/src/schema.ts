import { PAGE_SIZE } from "@memdesc/core";
import { z } from "zod";
import {
  checkChainSize,
  DEFAULT_ZSMALLOC_CHAIN_SIZE,
  firstObjOffsets,
  ZS_ALIGN,
  ZS_MAX_ALLOC_SIZE,
  ZS_SIZE_CLASS_DELTA,
  zsMinAllocSize,
  zsSizeClasses,
} from "./zsmalloc.js";

export interface ZpdescSchemaOptions {
  /** CONFIG_ZSMALLOC_CHAIN_SIZE: the most pages a zspage chains (default 8, Kconfig range 4..16). */
  readonly chainSize?: number;
}

/**
 * The field values of one zpdesc (one page of a zspage), with zsmalloc's constraints:
 *
 * - `firstObjOffset`: where the first object starting in this page begins: inside the page (below
 *   PAGE_SIZE, so it fits the 24 bits beside PGTY_zsmalloc) and a multiple of ZS_ALIGN.
 * - `zspagePages`: the zspage's chain length, 1..CONFIG_ZSMALLOC_CHAIN_SIZE.
 * - `pageIndex` (optional): this page's place in the chain (0 is the first page, marked PG_private).
 * - `classSize` (optional): the zspage's object size. It must be a size class that holds zspages (not one
 *   merged into a larger class), the chain length must be that class's `calculate_zspage_chain_size()`, and
 *   with `pageIndex` the offset must be the one `init_zspage()` computes.
 * - `huge` (optional): one object in a one-page zspage, whose zpdesc keeps the object's handle instead of a
 *   next pointer; it must agree with the class.
 */
export function zpdescValueSchema(options: ZpdescSchemaOptions = {}) {
  const chainSize = checkChainSize(options.chainSize ?? DEFAULT_ZSMALLOC_CHAIN_SIZE);
  const minSize = zsMinAllocSize(chainSize);
  const classes = zsSizeClasses(chainSize);
  const bySize = new Map(classes.map((k) => [k.size, k]));
  return z
    .object({
      firstObjOffset: z
        .number({ error: "firstObjOffset must be a number of bytes" })
        .int("firstObjOffset must be a whole number of bytes")
        .min(0, "first_obj_offset cannot be negative")
        .max(
          PAGE_SIZE - 1,
          `first_obj_offset is an offset inside the page: below PAGE_SIZE (${PAGE_SIZE}), and it must fit the 24 bits below PGTY_zsmalloc`,
        )
        .multipleOf(ZS_ALIGN, `objects are ZS_ALIGN-aligned: first_obj_offset is a multiple of ${ZS_ALIGN}`),
      zspagePages: z
        .number()
        .int()
        .min(1, "a zspage has at least one page")
        .max(
          chainSize,
          `a zspage chains at most CONFIG_ZSMALLOC_CHAIN_SIZE (${chainSize}) pages (ZS_MAX_PAGES_PER_ZSPAGE)`,
        ),
      pageIndex: z.number().int().min(0, "pageIndex cannot be negative").optional(),
      classSize: z
        .number()
        .int()
        .min(minSize, `zsmalloc objects are at least ZS_MIN_ALLOC_SIZE (${minSize}) bytes`)
        .max(ZS_MAX_ALLOC_SIZE, `zsmalloc objects are at most ZS_MAX_ALLOC_SIZE (${ZS_MAX_ALLOC_SIZE}) bytes`)
        .refine((s) => (s - minSize) % ZS_SIZE_CLASS_DELTA === 0, {
          error: (issue) =>
            `size classes are ${minSize} + k × ZS_SIZE_CLASS_DELTA (${ZS_SIZE_CLASS_DELTA}) bytes: ${String(issue.input)} is not one`,
        })
        .optional(),
      huge: z.boolean().optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.pageIndex !== undefined && v.pageIndex >= v.zspagePages)
        ctx.addIssue({
          code: "custom",
          path: ["pageIndex"],
          message: `page ${v.pageIndex} is past the end of a ${v.zspagePages}-page zspage`,
        });
      if (v.classSize === undefined) return;
      const k = bySize.get(v.classSize);
      if (!k) return; // the field's own checks have reported it
      if (k.mergedInto !== undefined) {
        const into = classes[k.mergedInto]!;
        ctx.addIssue({
          code: "custom",
          path: ["classSize"],
          message: `the ${k.size}-byte class is merged into the ${into.size}-byte class (both ${k.pagesPerZspage} pages, ${k.objsPerZspage} objects per zspage), so no zspage has ${k.size}-byte objects`,
        });
        return;
      }
      if (v.zspagePages !== k.pagesPerZspage) {
        ctx.addIssue({
          code: "custom",
          path: ["zspagePages"],
          message: `a zspage of ${k.size}-byte objects chains ${k.pagesPerZspage} pages (calculate_zspage_chain_size), not ${v.zspagePages}`,
        });
        return;
      }
      if (v.huge !== undefined && v.huge !== k.huge)
        ctx.addIssue({
          code: "custom",
          path: ["huge"],
          message: k.huge
            ? `the ${k.size}-byte class is huge: one object in a one-page zspage`
            : `the ${k.size}-byte class is not huge: ${k.objsPerZspage} objects in ${k.pagesPerZspage} page(s)`,
        });
      if (v.pageIndex !== undefined && v.pageIndex < v.zspagePages) {
        const expected = firstObjOffsets(k.size, k.pagesPerZspage)[v.pageIndex]!;
        if (v.firstObjOffset !== expected)
          ctx.addIssue({
            code: "custom",
            path: ["firstObjOffset"],
            message: `page ${v.pageIndex} of a zspage of ${k.size}-byte objects has its first object at ${expected} (init_zspage), not ${v.firstObjOffset}`,
          });
      }
    });
}

export type ZpdescValue = z.output<ReturnType<typeof zpdescValueSchema>>;
