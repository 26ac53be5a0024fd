/**
 * The kernel's `*_MATCH` static asserts as data. `FOLIO_MATCH(flags, _flags_1)` says that `folio._flags_1`
 * sits where `page.flags` sits in the second struct page the folio overlays:
 *
 *   static_assert(offsetof(struct folio, _flags_1) == offsetof(struct page, flags) + sizeof(struct page));
 */
export interface MatchRule {
  readonly kind: "match";
  /** Field of the base struct (struct page for descriptors), as a C access path. */
  readonly base: string;
  /** Field of the descriptor. */
  readonly field: string;
  /** The descriptor field sits `index × sizeof(base)` further on: FOLIO_MATCH's later cachelines. */
  readonly index: number;
  /** Checked only when this configuration option is set, like the `#ifdef CONFIG_MEMCG` around a match. */
  readonly ifdef?: string;
}

/**
 * `sizeof(desc) <= sizeof(base)`, or `<= offsetof(base, field)` when `offsetOf` is given, or
 * `<= count × sizeof(base)` for a descriptor that spans `count` base structs (struct folio spans four pages).
 */
export interface SizeRule {
  readonly kind: "size";
  readonly offsetOf?: string;
  /** The descriptor may span this many base structs (default 1). */
  readonly count?: number;
  readonly ifdef?: string;
}

/** `static_assert(IS_ALIGNED(offsetof(struct slab, freelist), sizeof(freelist_aba_t)))`. */
export interface AlignRule {
  readonly kind: "aligned";
  readonly field: string;
  readonly bytes: number;
  readonly ifdef?: string;
}

export type OverlayRule = MatchRule | SizeRule | AlignRule;

/**
 * One kernel assertion macro and its rules, against a named base struct: `FOLIO_MATCH` against `page`,
 * `NET_IOV_ASSERT_OFFSET` against `netmem_desc`.
 */
export interface OverlayRuleSet {
  readonly macro: string;
  /** The struct the descriptor overlays: `page`, or another layout the plugin defines. */
  readonly base: string;
  /**
   * The struct the rules are about, when it is not the plugin's today layout: another layout the plugin
   * defines, as `NET_IOV_ASSERT_OFFSET` checks `net_iov` against `netmem_desc`.
   */
  readonly desc?: string;
  readonly rules: readonly OverlayRule[];
}

/** Builders for overlay rules, named after what the kernel writes. */
export const overlay = {
  /** `MATCH(base, field)`: the descriptor's `field` is at the offset of the base's `base` field. */
  match(base: string, field: string, options: { index?: number; ifdef?: string } = {}): MatchRule {
    return {
      kind: "match",
      base,
      field,
      index: options.index ?? 0,
      ...(options.ifdef !== undefined ? { ifdef: options.ifdef } : {}),
    };
  },
  /** `sizeof(desc) <= sizeof(base)`; with `count`, `<= count × sizeof(base)`. */
  sizeAtMost(options: { offsetOf?: string; count?: number; ifdef?: string } = {}): SizeRule {
    return { kind: "size", ...options };
  },
  /** The descriptor's `field` is aligned to `bytes`. */
  aligned(field: string, bytes: number, options: { ifdef?: string } = {}): AlignRule {
    return { kind: "aligned", field, bytes, ...options };
  },
  /** A macro's rules against a base struct; `desc` names the checked struct if it is not today's layout. */
  set(
    macro: string,
    base: string,
    rules: readonly OverlayRule[],
    options: { desc?: string } = {},
  ): OverlayRuleSet {
    return { macro, base, ...(options.desc !== undefined ? { desc: options.desc } : {}), rules };
  },
};

/** How the kernel would spell the rule: `FOLIO_MATCH(flags, _flags_1)`, `sizeof(struct slab) <= sizeof(struct page)`. */
export function ruleLabel(set: OverlayRuleSet, rule: OverlayRule, descName: string): string {
  switch (rule.kind) {
    case "match":
      return `${set.macro}(${rule.base}, ${rule.field})${rule.index ? ` at +${rule.index}×sizeof(struct ${set.base})` : ""}`;
    case "size":
      if (rule.offsetOf)
        return `sizeof(struct ${descName}) <= offsetof(struct ${set.base}, ${rule.offsetOf})`;
      return rule.count !== undefined && rule.count !== 1
        ? `sizeof(struct ${descName}) <= ${rule.count} * sizeof(struct ${set.base})`
        : `sizeof(struct ${descName}) <= sizeof(struct ${set.base})`;
    case "aligned":
      return `IS_ALIGNED(offsetof(struct ${descName}, ${rule.field}), ${rule.bytes})`;
  }
}
