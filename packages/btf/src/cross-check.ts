import {
  type AbiName,
  type CType,
  type LaidMember,
  type Layout,
  LayoutEngine,
  MemdescError,
} from "@memdesc/core/layout";
import { Kind } from "./kinds.js";
import type { Btf } from "./reader.js";
import { type AggregateAttributes, CTypeConverter } from "./to-ctype.js";
import { btfMembers } from "./to-layout.js";
import type { BtfComposite } from "./types.js";

/** An attribute BTF does not record, found by re-laying out with it until the engine reproduces BTF. */
export type InferredAttribute =
  | "packed"
  | "aligned"
  | "member-aligned"
  | "bitfield-padding"
  | "packed-member-type"
  | "typedef-aligned";

/** A change to a type used elsewhere too: a packed struct, or a typedef with a lowering aligned(n). */
type GlobalChange =
  | { readonly kind: "packed"; readonly id: number }
  | { readonly kind: "typedef"; readonly id: number; readonly aligned: number };

interface Found {
  readonly attrs: AggregateAttributes;
  readonly kinds: readonly InferredAttribute[];
  /** How many attributes it takes. */
  readonly cost: number;
  readonly globals: readonly GlobalChange[];
  readonly explanation: string;
}

/**
 * `match`: the engine reproduces BTF from the member types alone. Otherwise the attributes that make it match
 * (`packed`, `packed+aligned`, `member-aligned`, …), `nested` when fixing the nested types alone suffices,
 * `unexplained` when nothing tried does, or `engine-error` / `btf-error` when a layout could not be computed.
 */
export type CrossCheckCategory = "match" | "nested" | "unexplained" | "engine-error" | "btf-error" | string;

export interface CrossCheckEntry {
  readonly id: number;
  /** `struct page`, or `anonymous union in struct page` */
  readonly label: string;
  readonly kind: "struct" | "union";
  readonly btfSize: number;
  /** The engine's size from the member types alone. */
  readonly engineSize: number | undefined;
  /** The first difference found: `member ha: BTF bit 1408, engine bit 1376`. */
  readonly difference: string;
  readonly category: CrossCheckCategory;
  /** Why, with what was re-tried: only attributes with which the engine then matched are named. */
  readonly explanation: string;
  readonly attributes?: AggregateAttributes;
}

export interface CrossCheckResult {
  readonly abi: AbiName;
  /** Structs and unions with members (or empty ones) that were checked. */
  readonly total: number;
  /** Reproduced exactly by the engine from the member types alone. */
  readonly matched: number;
  /** `matched / total` in percent. */
  readonly percent: number;
  /** Reproduced exactly once their nested types are laid out as in the kernel: `matched` plus `nested`. */
  readonly matchedOwn: number;
  /**
   * Reproduced exactly once the attributes BTF does not record (packed, aligned, padding bitfields) are
   * restored, each inferred and verified by re-laying out: everything but unexplained and failed ones.
   */
  readonly reproduced: number;
  readonly mismatches: readonly CrossCheckEntry[];
  /** Mismatches per category. */
  readonly categories: Readonly<Record<string, number>>;
  readonly milliseconds: number;
}

export interface CrossCheckOptions {
  /** Check only these struct or union ids (and what they contain); all of them by default. */
  readonly ids?: Iterable<number>;
}

interface Difference {
  readonly text: string;
  /** Top-level member index of the first difference, when it is a member's position. */
  readonly index?: number;
  readonly btfBit?: number;
  readonly engineBit?: number;
  /** The alignment the engine placed that member with. */
  readonly engineAlign?: number;
  readonly sizeOnly?: boolean;
}

interface Status {
  readonly category: CrossCheckCategory;
  readonly label: string;
}

const bitPos = (m: LaidMember) => m.offset * 8 + (m.bitOffset ?? 0);
const isPadding = (m: LaidMember) => m.name === undefined && m.bitSize !== undefined;
const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;
const MAX_ALIGN = 1 << 16;
/** Trailing padding tried as unnamed bitfields only up to this much (it is one bitfield per byte). */
const MAX_TAIL_PADDING_BITS = 512 * 8;

/**
 * Uses the kernel as the oracle for `@memdesc/core`'s layout engine: every struct and union in `btf` is
 * rebuilt by the engine from its member types alone (not BTF's offsets) and compared, size and every member
 * offset, with what the compiler emitted. A mismatch is explained only by re-running the engine with an
 * inferred attribute (`packed`, `aligned(n)` on the type or a member, unnamed bitfield padding) and seeing it
 * then match, or by the nested type whose mismatch it inherits.
 */
export function crossCheck(btf: Btf, options: CrossCheckOptions = {}): CrossCheckResult {
  const started = performance.now();
  const checker = new Checker(btf);
  checker.nameAnonymous();
  const ids: number[] = [];
  if (options.ids) ids.push(...options.ids);
  else {
    // Named types first, so anonymous ones are reached through (and labelled by) the type that holds them.
    const anonymous: number[] = [];
    for (let id = 1; id <= btf.lastId; id++) {
      const k = btf.kind(id);
      if (k === Kind.struct || k === Kind.union) (btf.name(id) ? ids : anonymous).push(id);
    }
    ids.push(...anonymous);
  }
  for (const id of ids) checker.check(id);
  const categories: Record<string, number> = {};
  for (const m of checker.mismatches) categories[m.category] = (categories[m.category] ?? 0) + 1;
  const total = checker.total;
  const matched = total - checker.mismatches.length;
  const failed =
    (categories.unexplained ?? 0) + (categories["engine-error"] ?? 0) + (categories["btf-error"] ?? 0);
  return {
    abi: btf.abi,
    total,
    matched,
    percent: total === 0 ? 100 : (matched / total) * 100,
    matchedOwn: matched + (categories.nested ?? 0),
    reproduced: total - failed,
    mismatches: checker.mismatches,
    categories,
    milliseconds: performance.now() - started,
  };
}

/** The headline, the categories, and one line per mismatch. */
export function formatCrossCheck(result: CrossCheckResult, options: { limit?: number } = {}): string {
  const lines = [crossCheckHeadline(result)];
  const cats = Object.entries(result.categories).sort((a, b) => b[1] - a[1]);
  if (cats.length) lines.push(`mismatches by category: ${cats.map(([c, n]) => `${c} ${n}`).join(", ")}`);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (const m of result.mismatches.slice(0, limit))
    lines.push(`  [${m.category}] ${m.label} (id ${m.id}): ${m.difference}; ${m.explanation}`);
  if (result.mismatches.length > limit) lines.push(`  … and ${result.mismatches.length - limit} more`);
  return lines.join("\n");
}

/**
 * The three figures: exact from the member types alone; exact once nested types are as in the kernel; exact
 * once the attributes BTF does not record are restored (every such attribute verified by the engine).
 */
export function crossCheckHeadline(result: CrossCheckResult): string {
  const pct = (n: number) => (result.total === 0 ? "100.00" : ((n / result.total) * 100).toFixed(2));
  return [
    `${result.matched} of ${result.total} structs and unions match exactly (${pct(result.matched)}%) from the member types alone`,
    `${result.matchedOwn} (${pct(result.matchedOwn)}%) once their nested types are laid out as in the kernel`,
    `${result.reproduced} (${pct(result.reproduced)}%) once the attributes BTF does not record are restored`,
  ].join("; ");
}

class Checker {
  readonly mismatches: CrossCheckEntry[] = [];
  total = 0;
  private readonly plain: CTypeConverter;
  private readonly fixed: CTypeConverter;
  private readonly engine: LayoutEngine;
  private readonly status = new Map<number, Status>();
  private readonly parent = new Map<number, number>();
  /** Anonymous structs and unions that a typedef or a variable names. */
  private readonly namedBy = new Map<number, string>();
  /** Type-level attributes chosen so far (packed types, aligned typedefs), by type id. */
  private readonly applied = new Map<number, GlobalChange>();
  private readonly active = new Set<number>();

  constructor(private readonly btf: Btf) {
    this.plain = new CTypeConverter(btf);
    // Types converted with the attributes inferred so far, so containing types are judged on their own.
    this.fixed = new CTypeConverter(btf);
    // One engine for the whole run, so placements of shared member types are computed once.
    this.engine = new LayoutEngine({ abi: btf.abi });
  }

  check(id: number): Status {
    const known = this.status.get(id);
    if (known) return known;
    const label = this.label(id);
    if (this.active.has(id)) return { category: "btf-error", label };
    this.active.add(id);
    try {
      const status = this.judge(id, label);
      this.status.set(id, status);
      return status;
    } finally {
      this.active.delete(id);
    }
  }

  private judge(id: number, label: string): Status {
    const btf = this.btf;
    let t: BtfComposite;
    let deps: number[];
    try {
      t = btf.type(id) as BtfComposite;
      deps = this.nestedAggregates(t);
    } catch (e) {
      return this.record(id, label, "btf", e);
    }
    // The figure counts structs and unions with members. A memberless one with a size is opaque on both
    // sides; an empty one (`struct {}`) is checked only as a nested type.
    if (t.members.length === 0 && t.size > 0) return { category: "match", label };
    if (t.members.length > 0) this.total++;
    const depStatus = deps.map((d) => ({ id: d, status: this.check(d) }));
    let truth: LaidMember[];
    try {
      truth = btfMembers(btf, id, this.plain);
    } catch (e) {
      return this.record(id, label, "btf", e);
    }
    let diff: Difference | undefined;
    let engineSize: number | undefined;
    try {
      const layout = this.engine.layout(this.plain.ctype(id));
      engineSize = layout.size;
      diff = compare(truth, t.size, layout);
    } catch (e) {
      return this.record(id, label, "engine", e);
    }
    if (!diff) return { category: "match", label };
    if (t.members.length === 0) this.total++;

    const badDeps = depStatus.filter((d) => d.status.category !== "match");
    const entry = (category: string, explanation: string, attributes?: AggregateAttributes): Status => {
      this.mismatches.push({
        id,
        label,
        kind: t.kind as "struct" | "union",
        btfSize: t.size,
        engineSize,
        difference: diff!.text,
        category,
        explanation,
        ...(attributes ? { attributes } : {}),
      });
      return { category, label };
    };
    const nestedNote = badDeps.length
      ? `contains ${badDeps.map((d) => `${d.status.label} [${d.status.category}]`).join(", ")}`
      : "";

    // With what is already known about the types it uses, it may need nothing of its own.
    if (this.attempt(id, t, truth, undefined) === undefined) {
      if (badDeps.length)
        return entry(
          "nested",
          `a nested type's mismatch propagates: it ${nestedNote}, and with ${badDeps.length === 1 ? "that type" : "those types"} fixed the engine matches`,
        );
      const used = this.appliedIn(t);
      if (used.length)
        return entry(
          used.some((g) => g.kind === "typedef") ? "typedef-aligned" : "packed-member-type",
          `${used.map((g) => this.describeGlobal(g)).join("; ")} (inferred from another type): with ${used.length === 1 ? "that" : "those"} the engine matches`,
        );
    }

    const found = this.infer(id, t, truth);
    if (found) {
      this.fixed.setAttributes(id, found.attrs);
      return entry(
        found.kinds.join("+"),
        found.explanation + (nestedNote ? ` (it also ${nestedNote})` : ""),
        found.attrs,
      );
    }
    // Let containing types be judged on their own: this one keeps BTF's size behind an opaque stand-in.
    this.fixed.override(id, {
      kind: "opaque",
      name: label,
      size: t.size,
      align: btf.alignOf(id),
    });
    return entry(
      "unexplained",
      `no packed/aligned/padding attribute makes the engine reproduce BTF${nestedNote ? `; it ${nestedNote}` : ""}`,
    );
  }

  private record(id: number, label: string, what: "btf" | "engine", e: unknown): Status {
    if (!(e instanceof MemdescError)) throw e;
    if (what === "btf") this.total++;
    const category = what === "btf" ? "btf-error" : "engine-error";
    this.mismatches.push({
      id,
      label,
      kind: this.btf.kind(id) === Kind.union ? "union" : "struct",
      btfSize: this.btf.sizeOrType(id),
      engineSize: undefined,
      difference: e.message,
      category,
      explanation:
        what === "btf" ? "the BTF record could not be converted" : "the layout engine rejected the type",
    });
    // Containing types are then judged with this one opaque, at BTF's size.
    try {
      this.fixed.override(id, { kind: "opaque", name: label, size: this.btf.sizeOrType(id), align: 1 });
    } catch {
      // Nothing more to salvage.
    }
    return { category, label };
  }

  /** Lays `id` out with `attrs` on top of the fixed nested types; the first difference from BTF, if any. */
  private attempt(
    id: number,
    t: BtfComposite,
    truth: readonly LaidMember[],
    attrs: AggregateAttributes | undefined,
  ): Difference | undefined {
    let layout: Layout;
    try {
      layout = this.engine.layout(this.fixed.aggregateWith(id, attrs));
    } catch (e) {
      if (e instanceof MemdescError) return { text: e.message };
      throw e;
    }
    return compare(truth, t.size, layout);
  }

  /**
   * Tries packed; aligned(n) on the type; walking the members (below); then the last two on top of packed.
   * Of the attribute sets with which the engine reproduces BTF, the one with the fewest attributes wins, and
   * between equals, the one that changes no type used elsewhere.
   */
  private infer(id: number, t: BtfComposite, truth: readonly LaidMember[]): Found | undefined {
    const natural = this.layoutSize(id, undefined);
    const found: Found[] = [];
    if (this.attempt(id, t, truth, { packed: true }) === undefined) {
      found.push({
        attrs: { packed: true },
        kinds: ["packed"],
        cost: 1,
        globals: [],
        explanation:
          natural !== undefined && natural.size !== t.size
            ? `packed: BTF size ${t.size} is below the natural size ${natural.size}, and re-laid out with packed the engine matches`
            : `packed: a member sits below its natural alignment, and re-laid out with packed the engine matches`,
      });
    }
    for (const packed of [false, true]) {
      const start: AggregateAttributes = packed ? { packed: true } : {};
      const aligned = this.alignedType(id, t, truth, start);
      if (aligned) found.push(aligned);
      const walked = this.walkMembers(id, t, truth, start);
      if (walked) found.push(walked);
    }
    if (found.length === 0) return undefined;
    const score = (f: Found) => f.cost + (f.globals.length ? 0.5 : 0);
    const best = found.reduce((a, b) => (score(b) < score(a) ? b : a));
    for (const g of best.globals) {
      this.applyGlobal(g);
      this.applied.set(g.id, g);
    }
    if (best.globals.length) this.fixed.clearCache();
    return best;
  }

  /** The type-level attributes chosen earlier that this struct's member types use. */
  private appliedIn(t: BtfComposite): GlobalChange[] {
    const out: GlobalChange[] = [];
    for (const m of t.members) {
      let cur = m.type;
      for (let steps = 0; steps < 64; steps++) {
        const g = this.applied.get(cur);
        if (g && !out.includes(g)) out.push(g);
        const k = this.btf.kind(cur);
        if (k === Kind.array) cur = this.btf.arrayElement(cur);
        else if (
          k === Kind.typedef ||
          k === Kind.const ||
          k === Kind.volatile ||
          k === Kind.restrict ||
          k === Kind.typeTag
        )
          cur = this.btf.target(cur);
        else break;
      }
    }
    return out;
  }

  private describeGlobal(g: GlobalChange): string {
    return g.kind === "packed"
      ? `${this.label(g.id)} is packed`
      : `typedef ${this.btf.name(g.id)} is aligned(${g.aligned})`;
  }

  /** Finds the typedefs and variables that give anonymous structs and unions a name to report them by. */
  nameAnonymous(): void {
    const btf = this.btf;
    for (let id = 1; id <= btf.lastId; id++) {
      const k = btf.kind(id);
      if (k !== Kind.typedef && k !== Kind.var) continue;
      try {
        let r = btf.resolve(btf.target(id));
        for (let steps = 0; btf.kind(r) === Kind.array && steps < 64; steps++)
          r = btf.resolve(btf.arrayElement(r));
        const rk = btf.kind(r);
        if ((rk === Kind.struct || rk === Kind.union) && !btf.name(r) && !this.namedBy.has(r))
          this.namedBy.set(r, `${k === Kind.typedef ? "typedef" : "variable"} ${btf.name(id)}`);
      } catch {
        // A broken typedef names nothing; the types themselves are checked separately.
      }
    }
  }

  /** Sets a type-level attribute in the fixed conversion; returns how to undo it. */
  private applyGlobal(g: GlobalChange): () => void {
    if (g.kind === "packed") {
      const prev = this.fixed.attributesOf(g.id);
      this.fixed.setAttributes(g.id, { ...prev, packed: true });
      return () => this.fixed.setAttributes(g.id, prev);
    }
    this.fixed.setTypedefAligned(g.id, g.aligned);
    return () => this.fixed.setTypedefAligned(g.id, undefined);
  }

  private layoutSize(id: number, attrs: AggregateAttributes | undefined) {
    try {
      const l = this.engine.layout(this.fixed.aggregateWith(id, attrs));
      return { size: l.size, align: l.align, layout: l };
    } catch {
      return undefined;
    }
  }

  /** aligned(n) on the type: the smallest power of two above the engine's alignment that makes it match. */
  private alignedType(
    id: number,
    t: BtfComposite,
    truth: readonly LaidMember[],
    start: AggregateAttributes,
  ): Found | undefined {
    const base = this.layoutSize(id, start);
    if (!base || base.size >= t.size) return undefined;
    for (let n = base.align * 2; n <= Math.min(t.size, MAX_ALIGN); n *= 2) {
      if (t.size % n !== 0) continue;
      const attrs = { ...start, aligned: n };
      if (this.attempt(id, t, truth, attrs) === undefined)
        return {
          attrs,
          kinds: kindsOf(attrs),
          cost: start.packed ? 2 : 1,
          globals: [],
          explanation: `${start.packed ? "packed and " : ""}aligned(${n}) on the ${t.kind}: BTF size ${t.size} is a multiple of ${n} above the ${start.packed ? "packed" : "natural"} size ${base.size}, and with ${start.packed ? "these" : "it"} the engine matches`,
        };
    }
    return undefined;
  }

  /**
   * Moves members one at a time to where BTF has them. A member BTF places later than the engine gets
   * aligned(n) (the smallest power of two that lands it there) or, for bitfields and where no alignment fits,
   * unnamed padding bitfields before it. A member BTF places earlier than its natural alignment allows has a
   * type that is packed, or a typedef with a lowering `aligned(n)` (as `compat_u64` is `u64 __aligned(4)`);
   * those are properties of the member's type, so they are undone here and applied only if this explanation
   * is chosen. A size still too small gets aligned(n) on the type, else trailing padding bitfields.
   */
  private walkMembers(
    id: number,
    t: BtfComposite,
    truth: readonly LaidMember[],
    start: AggregateAttributes,
  ): Found | undefined {
    const memberAligned = new Map<number, number>();
    const padding = new Map<number, number>();
    const attrs = (): AggregateAttributes => ({
      ...start,
      ...(memberAligned.size ? { memberAligned: new Map(memberAligned) } : {}),
      ...(padding.size ? { padding: new Map(padding) } : {}),
    });
    const kinds = new Set<InferredAttribute>();
    const notes: string[] = [];
    const globals: GlobalChange[] = [];
    const undo: (() => void)[] = [];
    const lowered = new Set<number>();
    let cost = start.packed ? 1 : 0;
    const finish = (result: Found | undefined) => {
      for (const u of undo.reverse()) u();
      if (undo.length) this.fixed.clearCache();
      return result;
    };
    const done = (extra?: Found): Found => {
      const final = extra?.attrs ?? attrs();
      const all = [...kindsOf(final), ...kinds].filter((k, i, a) => a.indexOf(k) === i);
      const text = [...(start.packed ? ["packed"] : []), ...notes, ...(extra ? [extra.explanation] : [])];
      return {
        attrs: final,
        kinds: all,
        cost: cost + (extra ? 1 : 0),
        globals,
        explanation: `${text.join("; ")}: with ${text.length === 1 ? "this" : "these"} the engine matches`,
      };
    };
    let tailTried = false;
    for (let step = 0; step <= 2 * t.members.length + 2; step++) {
      const d = this.attempt(id, t, truth, attrs());
      if (d === undefined) return finish(step === 0 ? undefined : done());
      if (d.sizeOnly) {
        if (tailTried) return finish(undefined);
        if (step > 0) {
          const aligned = this.alignedType(id, t, truth, attrs());
          if (aligned)
            return finish(
              done({ ...aligned, explanation: aligned.explanation.replace(/, and with .*$/, "") }),
            );
        }
        // Trailing unnamed bitfields (as `struct __kernel_timex` ends with eleven `int :32;`).
        const laid = this.layoutSize(id, attrs());
        const last = laid?.layout.members.filter((m) => !isPadding(m)).at(-1);
        if (!laid || !last || t.kind !== "struct") return finish(undefined);
        const end = last.bitSize !== undefined ? bitPos(last) + last.bitSize : (last.offset + last.size) * 8;
        const gap = t.size * 8 - end;
        if (gap <= 0 || gap > MAX_TAIL_PADDING_BITS) return finish(undefined);
        tailTried = true;
        padding.set(t.members.length, gap);
        cost++;
        notes.push(
          `${gap} bits of unnamed padding bitfields after the last member (BTF size ${t.size}, natural ${laid.size})`,
        );
        continue;
      }
      if (d.index === undefined || d.btfBit === undefined || d.engineBit === undefined)
        return finish(undefined);
      const i = d.index;
      const m = t.members[i]!;
      const name = m.name || `#${i}`;
      if (d.btfBit > d.engineBit) {
        const isBitfield = truth[i]?.bitSize !== undefined;
        const btfOff = d.btfBit / 8;
        const engOff = Math.ceil(d.engineBit / 8);
        let n = 2;
        if (!isBitfield && d.btfBit % 8 === 0)
          while (n <= MAX_ALIGN && !(btfOff % n === 0 && roundUp(engOff, n) === btfOff)) n *= 2;
        if (!isBitfield && d.btfBit % 8 === 0 && n <= MAX_ALIGN) {
          if (!memberAligned.has(i)) cost++;
          memberAligned.set(i, Math.max(n, memberAligned.get(i) ?? 0));
          notes.push(`aligned(${n}) on member ${name} (BTF offset ${btfOff}, natural ${engOff})`);
        } else {
          const gap = d.btfBit - d.engineBit;
          if (!padding.has(i)) cost++;
          padding.set(i, (padding.get(i) ?? 0) + gap);
          notes.push(
            `${gap} bits of unnamed padding bitfield before ${name} (BTF bit ${d.btfBit}, engine bit ${d.engineBit})`,
          );
        }
        continue;
      }
      // BTF has the member earlier than the engine: its type is less aligned than it looks.
      if (lowered.has(i) || d.btfBit % 8 !== 0 || d.engineAlign === undefined) return finish(undefined);
      lowered.add(i);
      const btfOff = d.btfBit / 8;
      const agg = this.aggregateOf(m.type);
      let change: GlobalChange;
      if (agg !== undefined) {
        if (this.fixed.attributesOf(agg)?.packed) return finish(undefined);
        change = { kind: "packed", id: agg };
        kinds.add("packed-member-type");
        notes.push(
          `${this.label(agg)} is packed: member ${name} sits at BTF offset ${btfOff}, below its natural alignment ${d.engineAlign}`,
        );
      } else {
        const typedef = this.typedefOf(m.type);
        const n = Math.min(d.engineAlign / 2, btfOff === 0 ? d.engineAlign / 2 : btfOff & -btfOff);
        if (typedef === undefined || n < 1) return finish(undefined);
        change = { kind: "typedef", id: typedef, aligned: n };
        kinds.add("typedef-aligned");
        notes.push(
          `typedef ${this.btf.name(typedef)} is aligned(${n}), below its natural ${d.engineAlign}: member ${name} sits at BTF offset ${btfOff}`,
        );
      }
      globals.push(change);
      undo.push(this.applyGlobal(change));
      this.fixed.clearCache();
      cost++;
    }
    return finish(undefined);
  }

  /** The struct or union a member's type is, through typedefs, qualifiers and arrays. */
  private aggregateOf(type: number): number | undefined {
    const btf = this.btf;
    let r = btf.resolve(type);
    for (let steps = 0; btf.kind(r) === Kind.array && steps < 64; steps++)
      r = btf.resolve(btf.arrayElement(r));
    const k = btf.kind(r);
    return k === Kind.struct || k === Kind.union ? r : undefined;
  }

  /** The first typedef in a member type's chain of qualifiers and typedefs. */
  private typedefOf(type: number): number | undefined {
    const btf = this.btf;
    let cur = type;
    for (let steps = 0; steps < 64; steps++) {
      const k = btf.kind(cur);
      if (k === Kind.typedef) return cur;
      if (k !== Kind.const && k !== Kind.volatile && k !== Kind.restrict && k !== Kind.typeTag)
        return undefined;
      cur = btf.target(cur);
    }
    return undefined;
  }

  /** Struct and union ids this one holds by value (through typedefs, qualifiers and arrays). */
  private nestedAggregates(t: BtfComposite): number[] {
    const btf = this.btf;
    const out: number[] = [];
    for (const m of t.members) {
      let r = btf.resolve(m.type);
      for (let steps = 0; btf.kind(r) === Kind.array && steps < 64; steps++)
        r = btf.resolve(btf.arrayElement(r));
      const k = btf.kind(r);
      if ((k === Kind.struct || k === Kind.union) && !out.includes(r)) {
        out.push(r);
        if (!this.parent.has(r)) this.parent.set(r, t.id);
      }
    }
    return out;
  }

  private label(id: number): string {
    const btf = this.btf;
    const kind = btf.kind(id) === Kind.union ? "union" : "struct";
    const name = btf.name(id);
    if (name) return `${kind} ${name}`;
    const parent = this.parent.get(id);
    if (parent !== undefined)
      return `anonymous ${kind} in ${this.status.get(parent)?.label ?? this.label(parent)}`;
    const by = this.namedBy.get(id);
    return by ? `anonymous ${kind} of ${by}` : `anonymous ${kind} #${id}`;
  }
}

function kindsOf(attrs: AggregateAttributes): InferredAttribute[] {
  const kinds: InferredAttribute[] = [];
  if (attrs.packed) kinds.push("packed");
  if (attrs.aligned !== undefined) kinds.push("aligned");
  if (attrs.memberAligned?.size) kinds.push("member-aligned");
  if (attrs.padding?.size) kinds.push("bitfield-padding");
  return kinds;
}

/**
 * The first difference between BTF's members and the engine's layout: member positions (bit-exact) and sizes
 * depth first, then the total size. The inside of an opaque type (a stand-in for a nested type that could not
 * be explained) is not compared.
 */
function compare(truth: readonly LaidMember[], size: number, layout: Layout): Difference | undefined {
  const d = compareMembers(truth, layout.members, "", -1);
  if (d) return d;
  if (layout.size !== size) return { text: `size: BTF ${size}, engine ${layout.size}`, sizeOnly: true };
  return undefined;
}

function compareMembers(
  truth: readonly LaidMember[],
  engineAll: readonly LaidMember[],
  path: string,
  topIndex: number,
): Difference | undefined {
  // BTF never holds unnamed bitfields; the engine places the ones inferred as padding.
  const engine = engineAll.some(isPadding) ? engineAll.filter((m) => !isPadding(m)) : engineAll;
  if (truth.length !== engine.length)
    return { text: `${path || "top level"}: BTF has ${truth.length} members, engine ${engine.length}` };
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i]!;
    const b = engine[i]!;
    const index = topIndex < 0 ? i : topIndex;
    const name = `${path}${path ? "." : ""}${a.name ?? `{${a.aggregate ?? "member"}#${i}}`}`;
    if (bitPos(a) !== bitPos(b))
      return {
        text: `member ${name}: BTF ${describePos(a)}, engine ${describePos(b)}`,
        index,
        btfBit: bitPos(a),
        engineBit: bitPos(b),
        engineAlign: b.align,
      };
    if (a.size !== b.size || a.bitSize !== b.bitSize)
      return {
        text: `member ${name}: BTF size ${a.size}${a.bitSize !== undefined ? `:${a.bitSize}` : ""}, engine ${b.size}${b.bitSize !== undefined ? `:${b.bitSize}` : ""}`,
        index,
      };
    if (a.members && b.members) {
      const d = compareMembers(a.members, b.members, name, index);
      if (d) return d;
    } else if (a.members && !b.members && !isOpaque(b.type)) {
      return { text: `member ${name}: BTF expands its members, the engine does not`, index };
    } else if (!a.members && b.members) {
      return { text: `member ${name}: the engine expands members BTF does not have`, index };
    }
  }
  return undefined;
}

function isOpaque(type: CType): boolean {
  let t = type;
  while (t.kind === "typedef" || t.kind === "qualified") t = t.type;
  return t.kind === "opaque";
}

function describePos(m: LaidMember): string {
  return m.bitSize !== undefined ? `bit ${bitPos(m)}` : `offset ${m.offset}`;
}
