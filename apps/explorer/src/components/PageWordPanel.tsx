import { describeFlags, flagWordHex } from "@memdesc/kpageflags/browser";
import { useMemo } from "react";
import { routeHash } from "../lib/app-state.js";
import { valueName } from "../lib/field-names.js";
import { hex, int, wordHex } from "../lib/format.js";
import { type PageFacts, type PageWord, pageWord } from "../lib/page-word.js";
import { type AnyRegistry, descriptionOf } from "../lib/registry.js";
import { bitRange, segmentsOf } from "../lib/word-segments.js";
import { WordBits } from "./WordBits.js";

/** `a folio of 16 pages (order 4) from PFN 0x1000, this its page 3` */
function allocation(facts: PageFacts, kind: string | undefined): string {
  const e = facts.extent;
  const what = kind ?? "allocation";
  if (e.basis === "dump") {
    if (facts.use === "free")
      return `a free block of ${int(e.pages)} pages (order ${e.order}); this is its first page (only a block's first page has the buddy type)`;
    return e.pages === 1
      ? "a single page (order 0), as the report has it"
      : `a ${what} of ${int(e.pages)} pages (order ${e.order}), as the report has it (it does not say which of them this page is)`;
  }
  if (e.pages === 1)
    return e.basis === "free-run" ? "a free page on its own (order 0)" : "a single page (order 0)";
  const order =
    e.order === undefined ? "not a power of two: the map was read while it changed" : `order ${e.order}`;
  const where =
    facts.pfn === e.head ? "this is its first page" : `this is its page ${int(facts.pfn - e.head)}`;
  const block =
    e.basis === "free-run"
      ? `a free block of ${int(e.pages)} pages (${order}, inferred: the largest aligned block in this run of free pages)`
      : `a ${what} of ${int(e.pages)} pages (${order})`;
  return `${block} from PFN ${hex(e.head)}; ${where}`;
}

/**
 * What one page is under the chosen design: its flags (when from a page map), its use and the kind that
 * describes it, the allocation it belongs to, and the memdesc word it would carry — type bits, tag, and the
 * descriptor it points at (struct, variant, size, linked to the Layouts view) or the inline fields, each with
 * where its value comes from. Every number in a data-* attribute, for tests and scrapers.
 */
export function PageWordPanel({ facts, registry }: { facts: PageFacts; registry: AnyRegistry }) {
  const w = useMemo(() => pageWord(registry, facts), [registry, facts]);
  const d = registry.design;
  const plugin = w.kind ? registry.plugin(w.kind) : undefined;
  return (
    <section
      className="card page-word"
      aria-label={`PFN ${hex(facts.pfn)} under ${d.name}`}
      data-testid="page-word"
      data-pfn={facts.pfn}
      data-use={facts.use}
      data-kind={w.kind ?? ""}
      data-order={facts.extent.order ?? ""}
      data-head={facts.extent.head}
      data-pages={facts.extent.pages}
      data-word={w.word === undefined ? "" : `0x${w.word.toString(16)}`}
      data-entry={w.entry?.map((x) => `0x${x.toString(16)}`).join(" ") ?? ""}
      data-tag={w.tag ?? ""}
      data-variant={w.descriptor?.variant ?? ""}
      data-size={w.descriptor?.size ?? w.overlay?.size ?? ""}
      data-rounded={w.descriptor?.rounded ?? ""}
      data-address={w.descriptor ? `0x${w.descriptor.address.toString(16)}` : ""}
    >
      <h4>
        PFN {hex(facts.pfn)} <span className="dim">({int(facts.pfn)})</span> under {d.name}
      </h4>
      <dl className="facts">
        {facts.flags && (
          <>
            <dt>kpageflags</dt>
            <dd>
              <code>{flagWordHex(facts.flags)}</code> {describeFlags(facts.flags) || "no flags"}
            </dd>
          </>
        )}
        <dt>use</dt>
        <dd>
          {facts.use} — {descriptionOf(registry, facts.use)}
          {w.kind ? (
            <>
              ; described by <strong>{w.kind}</strong> ({plugin?.name})
            </>
          ) : null}
        </dd>
        {facts.use !== "hole" && (
          <>
            <dt>allocation</dt>
            <dd data-testid="page-allocation">{allocation(facts, w.kind)}</dd>
          </>
        )}
      </dl>
      <WordSection w={w} registry={registry} />
      {w.notes.length > 0 && (
        <ul className="notes">
          {w.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function WordSection({ w, registry }: { w: PageWord; registry: AnyRegistry }) {
  const d = registry.design;
  if (w.error)
    return (
      <p className="error" data-code={w.error.code}>
        <strong>{w.error.code}</strong>: {w.error.message}
      </p>
    );
  if (w.overlay)
    return (
      <p>
        Under {d.name} the page's entry is its {w.overlay.entryBytes}-byte struct page
        {w.overlay.struct ? (
          <>
            , and <LayoutLink kind={w.kind!} design={d.name} text={`struct ${w.overlay.struct}`} /> (
            {w.overlay.size} bytes) is another view of it: no word, no separate descriptor.
          </>
        ) : (
          "."
        )}
      </p>
    );
  if (w.word === undefined) return null;
  // The memdesc word, then each later word of the entry the kind keeps fields in (buddy-16's second word).
  const later = [...new Set((w.fields ?? []).map((f) => f.word ?? 0).filter((i) => i > 0))].sort();
  const diagrams = [0, ...later].map((index) => ({
    index,
    segments:
      w.storage === "inline"
        ? segmentsOf(d, w.fields ?? [], w.kind, w.tag, index)
        : segmentsOf(d, undefined, w.kind, w.tag, index),
    value: w.entry?.[index] ?? (index === 0 ? (w.word ?? 0n) : 0n),
  }));
  return (
    <>
      <p className="page-word-line">
        word <code data-testid="page-word-hex">{wordHex(w.word, d.wordBits)}</code>: tag {w.tag} ({w.kind},{" "}
        {w.storage})
        {later.map((i) => (
          <span key={i}>
            ; entry word {i} <code>{wordHex(w.entry?.[i] ?? 0n, d.wordBits)}</code>
          </span>
        ))}
        {w.descriptor && (
          <>
            {" "}
            with an example address: the real one is wherever the slab allocator puts the {w.kind}'s
            descriptor
          </>
        )}
      </p>
      {diagrams.map(({ index, segments, value }) => (
        <WordBits
          key={index}
          wordBits={d.wordBits}
          segments={segments}
          word={value}
          caption={`${index > 0 ? `word ${index} of the entry: ` : ""}${wordHex(value, d.wordBits)}: ${segments.map((s) => `${bitRange(s)} ${s.label}`).join(", ")}`}
        />
      ))}
      {w.descriptor && (
        <dl className="facts" data-testid="page-descriptor">
          <dt>points at</dt>
          <dd>
            <LayoutLink
              kind={w.descriptor.kind}
              variant={w.descriptor.variant}
              design={d.name}
              text={`struct ${w.descriptor.struct}`}
            />
            {w.descriptor.variant !== "default" ? ` (the ${w.descriptor.variant} variant)` : ""}:{" "}
            {w.descriptor.size} bytes, {w.descriptor.rounded} in its slab cache ({d.descriptorAlign}-byte
            aligned)
          </dd>
          <dt>address</dt>
          <dd>
            <code>{hex(w.descriptor.address)}</code> (example)
          </dd>
        </dl>
      )}
      {w.fields && (
        <div className="table-scroll">
          <table className="data small" data-testid="page-fields">
            <caption>The word's inline fields</caption>
            <thead>
              <tr>
                <th scope="col">field</th>
                <th scope="col">bits</th>
                <th scope="col" className="num">
                  value
                </th>
                <th scope="col">from</th>
              </tr>
            </thead>
            <tbody>
              {w.fields.map((f) => (
                <tr key={f.name} data-field={f.name} data-value={f.value.toString()} data-basis={f.basis}>
                  <th scope="row" className="mono">
                    {f.name}
                  </th>
                  <td className="mono">{bitRange({ high: f.bit + f.width - 1, low: f.bit })}</td>
                  <td className="num mono">
                    {f.value.toString()}
                    {valueName(w.kind ?? "", f.name, f.value)
                      ? ` ${valueName(w.kind ?? "", f.name, f.value)}`
                      : ""}
                  </td>
                  <td>
                    <span className={`basis-tag basis-${f.basis}`}>{f.basis}</span> {f.why}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function LayoutLink(props: { kind: string; variant?: string; design: string; text: string }) {
  const params: Record<string, string> = { kind: props.kind };
  if (props.variant) params.variant = props.variant;
  return (
    <a href={routeHash({ view: "layouts", design: props.design, params })} data-testid="layout-link">
      {props.text}
    </a>
  );
}
