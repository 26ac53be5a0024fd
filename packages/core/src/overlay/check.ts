import { configEnabled } from "../layout/config.js";
import { findField, layoutLabel } from "../layout/fields.js";
import type { KernelConfig, Layout } from "../layout/types.js";
import { type OverlayRule, type OverlayRuleSet, ruleLabel } from "./rules.js";

export type RuleStatus = "pass" | "fail" | "missing" | "skipped";

export interface RuleResult {
  readonly macro: string;
  /** The rule as the kernel would write it: `FOLIO_MATCH(flags, _flags_1) at +1×sizeof(struct page)`. */
  readonly label: string;
  readonly rule: OverlayRule;
  /** `missing`: a field the rule names does not exist; `skipped`: its `#ifdef` is off in this config. */
  readonly status: RuleStatus;
  /** Where the descriptor's field (or size) actually is. */
  readonly actual?: number;
  /** Where the rule says it must be (or the bound it must not exceed). */
  readonly expected?: number;
  /** For `missing`: which struct lacks which field. */
  readonly missingField?: { readonly struct: string; readonly field: string };
  readonly message: string;
}

/**
 * Checks one macro's rules between a base layout (struct page) and a descriptor layout, returning every
 * rule's result with both offsets. Nothing throws: a field that does not exist is a `missing` result, which
 * callers turn into an error where a missing field is a bug (a plugin's own rules) rather than kernel drift.
 */
export function checkOverlay(
  set: OverlayRuleSet,
  base: Layout,
  desc: Layout,
  config: KernelConfig = {},
): RuleResult[] {
  const descName = desc.name ?? desc.typedefName ?? "?";
  const b = layoutLabel(base);
  const d = layoutLabel(desc);
  return set.rules.map((rule) => checkRule(set, rule, base, desc, config, { b, d, descName }));
}

function checkRule(
  set: OverlayRuleSet,
  rule: OverlayRule,
  base: Layout,
  desc: Layout,
  config: KernelConfig,
  names: { b: string; d: string; descName: string },
): RuleResult {
  const { b, d, descName } = names;
  const label = ruleLabel(set, rule, descName);
  const common = { macro: set.macro, label, rule };
  if (!configEnabled(config, rule.ifdef))
    return { ...common, status: "skipped", message: `${label}: skipped, ${rule.ifdef} is off` };
  switch (rule.kind) {
    case "match": {
      const bf = findField(base, rule.base);
      if (!bf) return missing(common, b, rule.base);
      const df = findField(desc, rule.field);
      if (!df) return missing(common, d, rule.field);
      const expected = bf.offset + rule.index * base.size;
      const at = rule.index ? `${bf.offset} + ${rule.index}×${base.size} = ${expected}` : `${expected}`;
      return df.offset === expected
        ? {
            ...common,
            status: "pass",
            actual: df.offset,
            expected,
            message: `${label}: ${d}.${rule.field} at ${df.offset}`,
          }
        : {
            ...common,
            status: "fail",
            actual: df.offset,
            expected,
            message: `${label}: ${d}.${rule.field} is at ${df.offset}, but ${b}.${rule.base} puts it at ${at}`,
          };
    }
    case "size": {
      const count = rule.count ?? 1;
      let bound = count * base.size;
      let what = count === 1 ? `sizeof(${b}) = ${base.size}` : `${count} × sizeof(${b}) = ${bound}`;
      if (rule.offsetOf !== undefined) {
        const bf = findField(base, rule.offsetOf);
        if (!bf) return missing(common, b, rule.offsetOf);
        bound = bf.offset;
        what = `offsetof(${b}, ${rule.offsetOf}) = ${bf.offset}`;
      }
      return desc.size <= bound
        ? {
            ...common,
            status: "pass",
            actual: desc.size,
            expected: bound,
            message: `${label}: ${desc.size} <= ${bound}`,
          }
        : {
            ...common,
            status: "fail",
            actual: desc.size,
            expected: bound,
            message: `${label}: sizeof(${d}) is ${desc.size}, larger than ${what}`,
          };
    }
    case "aligned": {
      const df = findField(desc, rule.field);
      if (!df) return missing(common, d, rule.field);
      return df.offset % rule.bytes === 0
        ? {
            ...common,
            status: "pass",
            actual: df.offset,
            expected: rule.bytes,
            message: `${label}: at ${df.offset}`,
          }
        : {
            ...common,
            status: "fail",
            actual: df.offset,
            expected: rule.bytes,
            message: `${label}: ${d}.${rule.field} is at ${df.offset}, not a multiple of ${rule.bytes}`,
          };
    }
  }
}

function missing(
  common: { macro: string; label: string; rule: OverlayRule },
  struct: string,
  field: string,
): RuleResult {
  return {
    ...common,
    status: "missing",
    missingField: { struct, field },
    message: `${common.label}: ${struct} has no field ${field}`,
  };
}
