import { type AbiName, abis } from "../abi/abi.js";
import type { AggregateType } from "../ctype/types.js";
import { designs } from "../design/builtin.js";
import { type IssuePath, keyPath, MemdescError, type MemdescIssue } from "../errors.js";
import { linux618 } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { LayoutEngine } from "../layout/engine.js";
import { diffPahole } from "../layout/pahole-diff.js";
import { formatPahole } from "../layout/pahole-format.js";
import type { KernelConfig } from "../layout/types.js";
import { checkOverlay } from "../overlay/check.js";
import { type AnyDescriptor, pluginLabel } from "../plugin/define.js";
import { createRegistry } from "../registry/registry.js";
import { issuesOf } from "../validate.js";

/*
 * The conformance checks every descriptor plugin should pass, as plain data: a name and a function that throws a
 * ConformanceError (with an issue for everything wrong) when the plugin fails it. A test runner turns each into a
 * test: `for (const c of conformance(plugin, options)) it(c.name, c.run)`.
 */

/** One check: what it checks, and the check. */
export interface ConformanceCheck {
  readonly name: string;
  readonly run: () => void;
}

/** A plugin that fails a conformance check: the plugin is the subject, each problem an issue. */
export class ConformanceError extends MemdescError {
  constructor(plugin: AnyDescriptor, issues: readonly MemdescIssue[]) {
    super("CONFORMANCE", { subject: `${pluginLabel(plugin)} (kind ${plugin.kind})`, issues });
  }
}

/** `pahole -C NAME` of the kernel struct today's layout describes, and the kernel it was measured on. */
export interface PaholeReference {
  /** Its standard output, unmodified. */
  readonly text: string;
  /** The kernel configuration it was built with (default: Linux 6.18 as distributions build it). */
  readonly config?: KernelConfig;
  /** Default lp64 (x86-64). */
  readonly abi?: AbiName;
}

/** A value the plugin's schema must refuse, and where in it the issue must be. */
export interface InvalidValue {
  readonly value: unknown;
  readonly path: IssuePath;
  /** What the issue's message must say (a substring, or a pattern). */
  readonly message?: string | RegExp;
}

export interface ConformanceOptions {
  /** Plugins it is composed with (those whose structs its overlay rules or layouts name). */
  readonly alongside?: readonly AnyDescriptor[];
  /** Today's layout against the kernel's: every field's offset, size and type, and pahole's printout byte for byte. */
  readonly pahole?: string | PaholeReference;
  /** Descriptor values its schema must accept, and values it must refuse. */
  readonly values?: { readonly valid: readonly unknown[]; readonly invalid: readonly InvalidValue[] };
}

const fail = (plugin: AnyDescriptor, issues: MemdescIssue[]): void => {
  if (issues.length > 0) throw new ConformanceError(plugin, issues);
};

/** A failure of `f` as issues (a MemdescError's, or its message), none when it succeeds. */
function issuesFrom(path: IssuePath, f: () => void): MemdescIssue[] {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof MemdescError)
      return e.issues.map((i) => ({
        ...i,
        path: [...path, ...i.path],
        message: e.subject === undefined ? i.message : `${e.subject}: ${i.message}`,
      }));
    throw e;
  }
}

/**
 * The conformance checks for a descriptor plugin: it composes under every built-in design with a tag of its own
 * (and once per registry); today's layout matches the kernel's pahole printout; its overlay rules hold against
 * struct page, and fail when its members move; its memdesc-era layouts lay out under every ABI with a way back to
 * their memory; an inline kind's fields fit and round-trip through the word; and its value schema accepts and
 * refuses what it should.
 */
export function conformance(plugin: AnyDescriptor, options: ConformanceOptions = {}): ConformanceCheck[] {
  const plugins = [...(options.alongside ?? []), plugin];
  const kind = plugin.kind;
  const checks: ConformanceCheck[] = [
    {
      name: "composes under every built-in design, with a tag of its own, once per registry",
      run: () => {
        const issues: MemdescIssue[] = [];
        for (const [name, design] of Object.entries(designs)) {
          issues.push(
            ...issuesFrom(["designs", name], () => {
              const r = createRegistry({ design, plugins });
              const tag = r.tagOf(kind);
              const others = r.kinds.filter((k) => k !== kind && r.tagOf(k) === tag);
              if (design.typeBits === 0 ? tag !== undefined : tag === undefined || others.length > 0)
                issues.push({
                  path: ["designs", name],
                  message:
                    tag === undefined
                      ? "no tag in a design with a word"
                      : `tag ${tag}${others.length > 0 ? `, which ${others.join(", ")} has too` : " in a design without a word"}`,
                });
            }),
          );
        }
        try {
          createRegistry({ plugins: [...plugins, plugin] });
          issues.push({ path: [], message: "a registry took it twice; one plugin per kind" });
        } catch (e) {
          if (!(e instanceof MemdescError) || e.code !== "DUPLICATE_KIND") throw e;
        }
        fail(plugin, issues);
      },
    },
  ];

  const reference = typeof options.pahole === "string" ? { text: options.pahole } : options.pahole;
  if (reference && plugin.today)
    checks.push({
      name: "lays out today's struct as the kernel does: every field and pahole's printout",
      run: () => {
        const r = createRegistry({
          plugins,
          abi: reference.abi ?? "lp64",
          config: reference.config ?? linux618,
        });
        const layout = r.todayLayout(kind);
        const issues: MemdescIssue[] = diffPahole(layout, reference.text).map((d) => ({
          path: ["today"],
          message: d,
        }));
        const printed = formatPahole(layout, { config: reference.config ?? linux618 });
        if (issues.length === 0 && printed !== reference.text) {
          const ours = printed.split("\n");
          const theirs = reference.text.split("\n");
          const line = ours.findIndex((l, i) => l !== theirs[i]);
          issues.push({
            path: ["today"],
            message: `pahole's printout differs at line ${line + 1}: ${JSON.stringify(ours[line])} here, ${JSON.stringify(theirs[line])} in pahole`,
          });
        }
        fail(plugin, issues);
      },
    });

  if (plugin.overlay.length > 0 && plugin.today)
    checks.push({
      name: "keeps its overlay rules against struct page, and breaks them when its members move",
      run: () => {
        const r = createRegistry({ plugins });
        const report = r.checkOverlays().find((o) => o.kind === kind)!;
        const issues: MemdescIssue[] = report.results
          .filter((x) => x.status === "fail" || x.status === "missing")
          .map((x) => ({ path: ["overlay", x.label], message: `${x.status}: ${x.message}` }));
        const today = plugin.today as AggregateType;
        const members = today.members ?? [];
        if (issues.length === 0 && members.length > 1) {
          // Reversed, every member moves: rules that hold either way check nothing.
          const moved: AggregateType = { ...today, members: [...members].reverse() };
          const engine = new LayoutEngine({ config: linux618 });
          const movedLayout = engine.layout(moved);
          const pageLayout = engine.layout(page);
          const own = plugin.overlay.filter((set) => set.desc === undefined && set.base === "page");
          const broken = own.some((set) =>
            checkOverlay(set, pageLayout, movedLayout, linux618).some((x) => x.status !== "pass"),
          );
          if (own.length > 0 && !broken)
            issues.push({
              path: ["overlay"],
              message:
                "its rules against struct page still pass with today's members reversed: they check nothing",
            });
        }
        fail(plugin, issues);
      },
    });

  if (plugin.storage === "pointer")
    checks.push({
      name: "lays out its memdesc-era descriptor under every ABI, with a way back to its memory",
      run: () => {
        const issues: MemdescIssue[] = [];
        for (const abi of Object.keys(abis) as AbiName[])
          issues.push(
            ...issuesFrom(["memdesc", abi], () => {
              if (Object.keys(createRegistry({ plugins, abi }).memdescLayouts(kind)).length === 0)
                issues.push({ path: ["memdesc", abi], message: "a pointer kind with no memdesc-era layout" });
            }),
          );
        const back = createRegistry({ plugins }).wayBackOf(kind);
        if (!back)
          issues.push({
            path: ["wayBack"],
            message: "its memdesc-era descriptor has no pfn field and it declares no wayBack",
          });
        fail(plugin, issues);
      },
    });
  else
    checks.push({
      name: "packs its fields into the word of every design that has one, and reads them back",
      run: () => {
        const issues: MemdescIssue[] = [];
        for (const [name, design] of Object.entries(designs)) {
          if (design.typeBits === 0) continue;
          const r = createRegistry({ design, plugins });
          const fields = r.payloadOf(kind);
          if (fields.length === 0) continue;
          const values = Object.fromEntries(
            fields.filter((f) => (f.word ?? 0) === 0).map((f) => [f.name, 2n ** BigInt(f.width) - 1n]),
          );
          issues.push(
            ...issuesFrom(["designs", name], () => {
              const word = r.codec.encode({ kind, fields: values });
              const back = r.codec.decode(word);
              if (back.storage !== "inline" || back.kind !== kind)
                issues.push({ path: ["designs", name], message: `decodes as ${back.kind ?? "nothing"}` });
              else
                for (const [f, v] of Object.entries(values))
                  if (back.fields[f] !== v)
                    issues.push({ path: ["designs", name, f], message: `${v} in, ${back.fields[f]} out` });
            }),
          );
        }
        fail(plugin, issues);
      },
    });

  const values = options.values;
  if (values)
    checks.push({
      name: "accepts the values it should, and refuses the others at the right key",
      run: () => {
        const issues: MemdescIssue[] = [];
        for (const [i, v] of values.valid.entries()) {
          const r = plugin.schema.safeParse(v);
          if (!r.success)
            issues.push(
              ...issuesOf(r.error.issues).map((x) => ({
                path: ["valid", i, ...x.path],
                message: `refused: ${x.message}`,
              })),
            );
        }
        for (const [i, bad] of values.invalid.entries()) {
          const r = plugin.schema.safeParse(bad.value);
          if (r.success) {
            issues.push({
              path: ["invalid", i],
              message: `accepted; expected an issue at ${keyPath(bad.path) || "the top"}`,
            });
            continue;
          }
          const found = issuesOf(r.error.issues).filter((x) => keyPath(x.path) === keyPath(bad.path));
          const says = (m: string) =>
            bad.message === undefined ||
            (typeof bad.message === "string" ? m.includes(bad.message) : bad.message.test(m));
          if (!found.some((x) => says(x.message)))
            issues.push({
              path: ["invalid", i],
              message: `no issue at ${keyPath(bad.path) || "the top"}${bad.message === undefined ? "" : ` saying ${String(bad.message)}`}; its issues: ${issuesOf(
                r.error.issues,
              )
                .map((x) => `${keyPath(x.path) || "(top)"}: ${x.message}`)
                .join("; ")}`,
            });
        }
        fail(plugin, issues);
      },
    });

  return checks;
}
