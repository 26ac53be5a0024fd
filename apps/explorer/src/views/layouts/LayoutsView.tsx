import {
  type CType,
  formatPahole,
  type Layout,
  type PaholeFormatOptions,
  type Provenance,
  page,
  type RuleResult,
  type WayBack,
} from "@memdesc/core";
import { useEffect, useId, useMemo } from "react";
import { Source } from "../../components/Source.js";
import { useAppState } from "../../lib/app-state.js";
import { int } from "../../lib/format.js";
import type { AnyRegistry } from "../../lib/registry.js";
import { KernelPanel } from "./kernels/KernelPanel.js";
import { byteRows } from "./layout-model.js";
import { PaholeTable } from "./PaholeTable.js";

/** Kinds with a struct of their own (today's overlay and a memdesc-era descriptor): the pointer kinds. */
function describedKinds(registry: AnyRegistry): string[] {
  return registry.plugins.filter((p) => p.today !== undefined).map((p) => p.kind);
}

export default function LayoutsView() {
  const { registry, design, params, setParams } = useAppState();
  const kinds = useMemo(() => describedKinds(registry), [registry]);
  // The descriptor, its nested members and a variant to show are in the URL: `#layouts?kind=folio&variant=large`.
  const kind =
    params.kind && kinds.includes(params.kind) ? params.kind : kinds.includes("folio") ? "folio" : kinds[0]!;
  const nested = params.nested === "1";
  const variant = params.variant;
  const setKind = (k: string) => setParams({ kind: k, variant: "" });
  const setNested = (on: boolean) => setParams({ nested: on ? "1" : "" });
  // A link to a variant (from a page's word in the Survey view) brings its card into view.
  useEffect(() => {
    if (variant) document.getElementById(`layout-${kind}-${variant}`)?.scrollIntoView({ block: "start" });
  }, [kind, variant]);
  const selectId = useId();
  const nestedId = useId();
  const plugin = registry.plugin(kind);
  const today = registry.todayLayout(kind);
  const memdesc = registry.memdescLayouts(kind);
  const page = registry.pageLayout();
  const rules = useMemo(
    () =>
      registry
        .checkOverlays()
        .filter((r) => r.kind === kind)
        .flatMap((r) => r.results),
    [registry, kind],
  );
  const d = registry.design;
  const variants = Object.entries(memdesc);
  const sources = registry.provenanceOf(kind);
  const back = registry.wayBackOf(kind);
  const pahole = useMemo(() => ({ config: registry.engine.config, types: namedTypes(registry) }), [registry]);
  return (
    <div className="view layouts-view">
      <section aria-labelledby="layouts-heading">
        <h2 id="layouts-heading">Descriptor layouts</h2>
        <div className="controls">
          <div className="field">
            <label htmlFor={selectId}>Descriptor</label>
            <select id={selectId} value={kind} onChange={(e) => setKind(e.target.value)}>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k} — {registry.plugin(k).title} ({registry.plugin(k).name})
                </option>
              ))}
            </select>
          </div>
          <div className="field checkbox">
            <input
              id={nestedId}
              type="checkbox"
              checked={nested}
              onChange={(e) => setNested(e.target.checked)}
            />
            <label htmlFor={nestedId}>Show members of nested structs (list_head.next, …)</label>
          </div>
        </div>
        <p className="lede">
          {plugin.description ?? plugin.title} Today it overlays struct page ({int(page.size)} bytes, so{" "}
          {today.size > page.size ? `${Math.ceil(today.size / page.size)} struct pages` : "one struct page"});
          in the memdesc designs it is allocated separately.{" "}
          {d.overlay
            ? `Under ${design} the descriptor costs nothing beyond the ${d.entryBytes}-byte struct page.`
            : `Under ${design} a descriptor is rounded up to ${d.descriptorAlign} bytes.`}
        </p>
      </section>

      <div className="layout-columns">
        <LayoutCard
          title={`Today: ${label(today)}`}
          note="overlays struct page"
          layout={today}
          nested={nested}
          pahole={pahole}
          provenance={sources.today}
        />
        {variants.map(([variant, l]) => {
          const size = Math.ceil(l.size / d.descriptorAlign) * d.descriptorAlign;
          return (
            <LayoutCard
              key={`${kind}-${variant}`}
              id={`layout-${kind}-${variant}`}
              current={variant === params.variant}
              title={`memdesc era: ${label(l)}${variant === "default" ? "" : ` (${variant})`}`}
              note={
                d.overlay
                  ? `not allocated under ${design}`
                  : `allocated from a slab cache: ${int(size)} bytes each under ${design}`
              }
              layout={l}
              nested={nested}
              pahole={pahole}
              allocated={d.overlay ? undefined : size}
              provenance={sources.memdesc[variant]}
              fieldSources={sources.fields}
              wayBack={back}
            />
          );
        })}
      </div>

      <section aria-labelledby="rules-heading">
        <h2 id="rules-heading">Overlay rules against struct page</h2>
        <OverlayRules rules={rules} />
      </section>

      <KernelPanel kind={kind} registry={registry} />
    </div>
  );
}

/** The structs the set's layouts name each other by, so pahole's printout can resolve them (as `memdesc layout` does). */
function namedTypes(registry: AnyRegistry): Map<string, CType> {
  const types = new Map<string, CType>([["struct page", page]]);
  for (const p of registry.plugins) {
    for (const [name, t] of Object.entries(p.layouts ?? {})) types.set(`struct ${name}`, t);
    const today = p.today as { kind?: string; name?: string } | undefined;
    if (p.today && today?.name && (today.kind === "struct" || today.kind === "union"))
      types.set(`${today.kind} ${today.name}`, p.today);
  }
  return types;
}

const label = (l: Layout) => `${l.kind} ${l.name ?? l.typedefName ?? "(anonymous)"}`;

function OverlayRules({ rules }: { rules: readonly RuleResult[] }) {
  if (rules.length === 0) return <p>This descriptor has no overlay rules.</p>;
  const counts = { pass: 0, fail: 0, missing: 0, skipped: 0 };
  for (const r of rules) counts[r.status]++;
  return (
    <>
      <p data-testid="rule-summary" data-pass={counts.pass} data-fail={counts.fail + counts.missing}>
        {counts.pass} pass, {counts.fail + counts.missing} fail
        {counts.skipped ? `, ${counts.skipped} skipped (their #ifdef is off)` : ""} — the kernel's{" "}
        <code>*_MATCH</code> static asserts, checked against core's Linux 6.18 struct page.
      </p>
      <div className="table-scroll">
        <table className="data rules" data-testid="overlay-rules">
          <thead>
            <tr>
              <th scope="col">result</th>
              <th scope="col">rule</th>
              <th scope="col" className="num">
                at
              </th>
              <th scope="col" className="num">
                expected
              </th>
              <th scope="col">detail</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={`${r.label}-${r.message}`} className={`status-${r.status}`} data-status={r.status}>
                <td>
                  <span className="status-mark" aria-hidden="true">
                    {r.status === "pass" ? "✓" : r.status === "skipped" ? "–" : "✗"}
                  </span>{" "}
                  {r.status}
                </td>
                <td className="mono">{r.label}</td>
                <td className="num">{r.actual ?? ""}</td>
                <td className="num">{r.expected ?? ""}</td>
                <td>{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function LayoutCard(props: {
  id?: string;
  /** The card a link asked for. */
  current?: boolean;
  title: string;
  note: string;
  layout: Layout;
  nested: boolean;
  allocated?: number | undefined;
  pahole: PaholeFormatOptions;
  provenance: Provenance | undefined;
  /** Fields whose source differs from the layout's (the memdesc era's `pfn`, a derived struct's fields). */
  fieldSources?: Readonly<Record<string, Provenance>>;
  wayBack?: WayBack | undefined;
}) {
  const { layout } = props;
  const fieldSources = props.fieldSources ?? {};
  const own = (path: string) => (layout.fields.some((f) => f.path === path) ? fieldSources[path] : undefined);
  const marked = Object.keys(fieldSources).filter((p) => own(p) !== undefined);
  const bytes = byteRows(layout);
  const holeBytes = layout.holes.reduce((s, h) => s + h.size, 0);
  const lines = Math.ceil(layout.size / layout.cacheline);
  return (
    <section
      id={props.id}
      className={`card layout-card${props.current ? " current" : ""}`}
      aria-label={props.title}
      aria-current={props.current || undefined}
      data-testid="layout-card"
      data-size={layout.size}
    >
      <h3>{props.title}</h3>
      <p className="dim">
        {int(layout.size)} bytes, {lines} cacheline{lines === 1 ? "" : "s"} of {layout.cacheline},{" "}
        {holeBytes ? `${holeBytes} bytes of holes` : "no holes"}
        {layout.padding ? `, ${layout.padding} bytes of padding` : ""} — {props.note}
      </p>
      <p className="note" data-testid="layout-source" data-basis={props.provenance?.basis ?? "undeclared"}>
        Source: <Source provenance={props.provenance} notes />
      </p>
      {props.wayBack !== undefined && (
        <p className="note" data-testid="way-back">
          Way back to its memory:{" "}
          {"field" in props.wayBack ? (
            <>
              the <code>{props.wayBack.field}</code> field holds the PFN of the memory it describes
            </>
          ) : (
            <>
              {props.wayBack.how} <Source provenance={props.wayBack.provenance} short />
            </>
          )}
        </p>
      )}
      {marked.length > 0 && (
        <p className="note">
          Fields with a source of their own are marked in the table; the rest share the layout's.
        </p>
      )}
      <div
        className="byte-map"
        role="img"
        aria-label={`Byte map of ${props.title}: ${bytes.length} rows of 8 bytes`}
      >
        {bytes.map((row, i) => (
          <div
            key={row[0]!.offset}
            className={`byte-row${i > 0 && (i * 8) % layout.cacheline === 0 ? " cacheline-start" : ""}`}
          >
            <span className="byte-offset">{row[0]!.offset}</span>
            {row.map((s) => (
              <span
                key={s.offset}
                className={`byte-span ${s.role} m${s.member % 8}`}
                style={{ flexGrow: s.size }}
                title={`${s.label}: bytes ${s.offset}–${s.offset + s.size - 1}${s.also.length ? `; also ${s.also.join(", ")}` : ""}`}
              >
                {s.label}
              </span>
            ))}
          </div>
        ))}
      </div>
      <PaholeTable
        layout={layout}
        pahole={props.pahole}
        nested={props.nested}
        caption={`${props.title}, as pahole prints it${props.nested ? " (with the members of named structs)" : ""}`}
        sourceOf={own}
      />
      <details>
        <summary>As pahole prints it</summary>
        <pre className="pahole">{formatPahole(layout, props.pahole)}</pre>
      </details>
    </section>
  );
}
