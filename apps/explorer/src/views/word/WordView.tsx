import { type DecodedWord, MemdescError, WordCodecError } from "@memdesc/core";
import { useEffect, useId, useMemo, useState } from "react";
import { Source } from "../../components/Source.js";
import { WordBits } from "../../components/WordBits.js";
import { useAppState } from "../../lib/app-state.js";
import { errorSentence, type ShownError, showError } from "../../lib/errors.js";
import { namedValues, valueName } from "../../lib/field-names.js";
import { parseNumber, parseWord, wordHex } from "../../lib/format.js";
import type { AnyRegistry } from "../../lib/registry.js";
import { bitRange, segmentsOf } from "../../lib/word-segments.js";
import { DumpPagePaste } from "./DumpPagePaste.js";
import { entryWords, payloadOf, typeRows, unassignedRows } from "./word-model.js";

/** A struct folio in the direct map, 16-byte aligned: the example a new visitor starts from. */
const exampleAddress = "0xffff888100a3c240";

interface EncoderState {
  readonly kind: string;
  /**
   * The decoder's word is of a tag no kind of this set has (one the design sets aside for another kind, or an
   * unassigned one): the encoder shows that word and says so, rather than another kind's fields.
   */
  readonly foreign?: { readonly tag: number; readonly kind: string | undefined } | undefined;
  readonly address: string;
  readonly fields: Readonly<Record<string, string>>;
  /** The decoder's text: the entry's words in hex, the memdesc word first (two words under buddy-16). */
  readonly words: readonly string[];
}

type Outcome<T> = { ok: true; value: T } | ({ ok: false } & ShownError);

/** What `f` gives, or the codec's (or the input's) error as the explorer shows errors. */
function attempt<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (err) {
    if (err instanceof WordCodecError || err instanceof InputError) return { ok: false, ...showError(err) };
    throw err;
  }
}

/** A word typed in that is not a number. */
class InputError extends MemdescError {
  constructor(message: string) {
    super("INPUT", message);
  }
}

function number(text: string, what: string, names?: Readonly<Record<string, number>>): bigint {
  const named = names?.[text.trim()];
  if (named !== undefined) return BigInt(named);
  const v = parseNumber(text);
  if (v === undefined)
    throw new InputError(
      `${what} "${text}" is not ${names ? `one of ${Object.keys(names).join(", ")} nor ` : ""}a whole number (decimal, 0x hex or 0b binary)`,
    );
  return v;
}

/** A word or address as the kernel prints it: bare hex, or `0x`, `0d` (decimal), `0b`; bare decimal if asked. */
function word(text: string, what: string, decimal = false): bigint {
  const v = parseWord(text, decimal);
  if (v === undefined)
    throw new InputError(
      `${what} "${text}" is not a ${decimal ? "decimal" : "hex"} number (${decimal ? "digits 0–9, or 0x… for hex" : "digits 0–9 and a–f as dump_page() prints them; 0d… for decimal"}, 0b… for binary)`,
    );
  return v;
}

/** The entry's words for the encoder's inputs: `encodeEntry` for an inline kind, the pointer word and zeros else. */
function encodeState(registry: AnyRegistry, s: Omit<EncoderState, "words">, n: number): bigint[] {
  const p = registry.plugin(s.kind);
  if (p.storage === "inline") {
    const fields = payloadOf(registry, s.kind);
    return registry.codec
      .encodeEntry({
        kind: s.kind,
        fields: Object.fromEntries(
          fields
            .filter((f) => (s.fields[f.name] ?? "").trim() !== "")
            .map((f) => [f.name, number(s.fields[f.name]!, f.name, namedValues(s.kind, f.name))]),
        ),
      })
      .slice(0, n);
  }
  const w = registry.codec.encode({ kind: s.kind, address: word(s.address, "address") });
  return [w, ...Array.from({ length: n - 1 }, () => 0n)];
}

const hexWords = (words: readonly bigint[], bits: number) => words.map((w) => wordHex(w, bits));

function initialState(registry: AnyRegistry, n: number): EncoderState {
  const kinds = registry.kinds as readonly string[];
  const kind = kinds.includes("folio") ? "folio" : (kinds[0] ?? "folio");
  const base = { kind, address: exampleAddress, fields: {} };
  const words = attempt(() => encodeState(registry, base, n));
  return {
    ...base,
    words: words.ok ? hexWords(words.value, registry.design.wordBits) : Array.from({ length: n }, () => ""),
  };
}

/**
 * The encoder's inputs for a decoded entry, so that decoding fills the encoder in; a word of a tag no kind of the
 * set has leaves the encoder's inputs as they were, marked foreign.
 */
function fromDecoded(
  registry: AnyRegistry,
  d: DecodedWord,
  words: readonly string[],
  was: EncoderState,
): EncoderState {
  if (!d.kind || !(registry.kinds as readonly string[]).includes(d.kind))
    return { ...was, words, foreign: { tag: d.tag, kind: d.kind } };
  const kind = d.kind;
  if (d.storage === "pointer") return { kind, address: `0x${d.address.toString(16)}`, fields: {}, words };
  const fields = Object.fromEntries(Object.entries(d.fields).map(([k, v]) => [k, v.toString()]));
  return { kind, address: exampleAddress, fields, words };
}

export default function WordView() {
  const { registry, design } = useAppState();
  const d = registry.design;
  const n = useMemo(() => (d.typeBits === 0 ? 1 : entryWords(registry)), [registry, d]);
  const [state, setState] = useState<EncoderState>(() => initialState(registry, n));
  // A new design has other tags and storage: start again from the example.
  useEffect(() => setState(initialState(registry, n)), [registry, n]);

  const rows = useMemo(() => typeRows(registry), [registry]);
  const spare = useMemo(() => unassignedRows(registry), [registry]);
  const storage = (registry.kinds as readonly string[]).includes(state.kind)
    ? registry.plugin(state.kind).storage
    : undefined;
  const payload = storage === "inline" ? payloadOf(registry, state.kind) : [];

  const [decimal, setDecimal] = useState(false);
  const inSet = (kind: string | undefined) =>
    kind !== undefined && (registry.kinds as readonly string[]).includes(kind);
  const readWords = (words: readonly string[], asDecimal = decimal) =>
    words.map((w, i) => word(w, i === 0 ? "word" : `word ${i}`, asDecimal));
  const parsed = attempt(() => readWords(state.words));
  // A foreign word (a tag no kind of this set has) is shown as the decoder has it, in both panes.
  const encoded: Outcome<bigint[]> = state.foreign ? parsed : attempt(() => encodeState(registry, state, n));
  const decoded = parsed.ok ? attempt(() => registry.codec.decodeEntry(parsed.value)) : parsed;
  const shown = decoded.ok ? decoded.value : undefined;
  // A kind of the set packs its fields as the registry says; a foreign inline tag, as the design's row does.
  const shownPayload =
    shown?.storage === "inline"
      ? inSet(shown.kind)
        ? payloadOf(registry, shown.kind!)
        : (d.typeTable.find((e) => e.tag === shown.tag)?.payload ?? [])
      : undefined;
  /** Word diagrams: the memdesc word, then each later word of the entry the shown kind keeps fields in. */
  const diagrams = useMemo(() => {
    if (d.typeBits === 0) return [];
    const later = [...new Set((shownPayload ?? []).map((f) => f.word ?? 0).filter((w) => w > 0))].sort();
    return [0, ...later].map((index) => ({
      index,
      segments: segmentsOf(d, shownPayload, shown?.kind, shown?.tag, index),
    }));
  }, [d, shown, shownPayload]);

  const setEncoder = (next: Omit<EncoderState, "words" | "foreign">) => {
    const out = attempt(() => encodeState(registry, next, n));
    setState(out.ok ? { ...next, words: hexWords(out.value, d.wordBits) } : { ...next, words: state.words });
  };
  const setWord = (index: number, text: string, asDecimal = decimal) => {
    const words = state.words.map((w, i) => (i === index ? text : w));
    const out = attempt(() => registry.codec.decodeEntry(readWords(words, asDecimal)));
    setState(out.ok ? fromDecoded(registry, out.value, words, state) : { ...state, words });
  };
  // The switch changes what the typed digits mean: the encoder follows the decoder's new reading.
  const setBase = (asDecimal: boolean) => {
    setDecimal(asDecimal);
    setWord(0, state.words[0] ?? "", asDecimal);
  };
  const kindFields = storage === "inline" ? payload : [];

  const ids = { kind: useId(), address: useId(), word: useId(), encErr: useId(), decErr: useId() };
  const wordId = (i: number) => (i === 0 ? ids.word : `${ids.word}-${i}`);
  return (
    <div className="view word-view">
      <section aria-labelledby="word-heading">
        <h2 id="word-heading">The memdesc word under {design}</h2>
        <p className="lede">{d.description}</p>
        <DesignSources registry={registry} />
        {d.typeBits === 0 ? (
          <p className="callout">
            {design} has no memdesc word: every page has a {d.entryBytes}-byte struct page, and each kind's
            descriptor overlays it. Pick a memdesc design in the switch above to see the word.
          </p>
        ) : (
          diagrams.map(({ index, segments }) => {
            const value = shown && parsed.ok ? parsed.value[index] : undefined;
            return (
              <WordBits
                key={index}
                wordBits={d.wordBits}
                segments={segments}
                word={value}
                caption={
                  index > 0
                    ? `word ${index} of the ${d.entryBytes}-byte entry${value === undefined ? "" : `: ${wordHex(value, d.wordBits)}`} (no type bits; ${shown?.kind ?? ""}'s fields)`
                    : shown && value !== undefined
                      ? `${wordHex(value, d.wordBits)}: tag ${shown.tag} (${shown.kind ?? "no kind"}, ${shown.storage})`
                      : `a ${d.wordBits}-bit word in a ${d.entryBytes}-byte page entry; the low ${d.typeBits} bits are the type`
                }
              />
            );
          })
        )}
        {d.tagDecoding === "buddy-low2" && (
          <p className="note">
            A word whose low two bits are 00 is a free page's <code>buddy_list.next</code> pointer: tags 0, 4,
            8 and 12 all read as buddy.
          </p>
        )}
      </section>

      {d.typeBits === 0 ? (
        <p className="note" data-testid="no-word">
          With no memdesc word under {design} there is nothing to encode or decode; the type table below says
          which struct overlays each kind's struct page.
        </p>
      ) : (
        <section aria-labelledby="codec-heading" className="codec">
          <h2 id="codec-heading">Encode and decode</h2>
          <div className="codec-grid">
            <form className="card" aria-label="Encoder" onSubmit={(e) => e.preventDefault()}>
              <h3>Type and payload → word</h3>
              <div className="field">
                <label htmlFor={ids.kind}>Kind</label>
                <select
                  id={ids.kind}
                  value={state.foreign ? "" : state.kind}
                  onChange={(e) =>
                    setEncoder({ kind: e.target.value, address: state.address, fields: state.fields })
                  }
                >
                  {state.foreign && (
                    <option value="" disabled>
                      tag {state.foreign.tag}: {state.foreign.kind ?? "unassigned"} — not a kind of this set
                    </option>
                  )}
                  {registry.kinds.map((k) => (
                    <option key={k} value={k}>
                      {k} ({registry.plugin(k).storage}
                      {registry.tagOf(k) !== undefined ? `, tag ${registry.tagOf(k)}` : ""})
                    </option>
                  ))}
                </select>
              </div>
              {state.foreign ? (
                <ForeignNote
                  registry={registry}
                  tag={state.foreign.tag}
                  kind={state.foreign.kind}
                  testId="encoder-foreign"
                />
              ) : storage === "inline" ? (
                payload.length === 0 ? (
                  <p className="note">
                    {state.kind} has no inline fields in {design}: the word is its tag alone.
                  </p>
                ) : (
                  payload.map((f) => (
                    <PayloadInput
                      key={f.name}
                      name={f.name}
                      names={namedValues(state.kind, f.name)}
                      bits={`${f.width} bits from bit ${f.bit}${f.word ? ` of word ${f.word}` : ""}`}
                      value={state.fields[f.name] ?? ""}
                      onChange={(v) =>
                        setEncoder({
                          kind: state.kind,
                          address: state.address,
                          fields: { ...state.fields, [f.name]: v },
                        })
                      }
                    />
                  ))
                )
              ) : (
                <div className="field">
                  <label htmlFor={ids.address}>Descriptor address</label>
                  <input
                    id={ids.address}
                    className="mono"
                    spellCheck={false}
                    autoComplete="off"
                    value={state.address}
                    aria-describedby={encoded.ok ? undefined : ids.encErr}
                    aria-invalid={!encoded.ok}
                    onChange={(e) =>
                      setEncoder({ kind: state.kind, address: e.target.value, fields: state.fields })
                    }
                  />
                </div>
              )}
              <output className="result mono" data-testid="encoded-word" aria-live="polite">
                {encoded.ok ? wordHex(encoded.value[0]!, d.wordBits) : "—"}
              </output>
              {n > 1 &&
                encoded.ok &&
                encoded.value
                  .map((w, index) => ({ w, index }))
                  .filter(({ index }) => index > 0)
                  .map(({ w, index }) => (
                    <output
                      key={wordId(index)}
                      className="result mono"
                      data-testid={`encoded-word-${index}`}
                      aria-label={`word ${index}`}
                    >
                      word {index}: {wordHex(w, d.wordBits)}
                    </output>
                  ))}
              {!encoded.ok && (
                <p className="error" role="alert" id={ids.encErr} data-code={encoded.code}>
                  <strong>{encoded.code}</strong>: {errorSentence(encoded)}
                </p>
              )}
            </form>

            <form className="card" aria-label="Decoder" onSubmit={(e) => e.preventDefault()}>
              <h3>Word → type and payload</h3>
              {state.words.map((w, i) => (
                <div className="field" key={wordId(i)}>
                  <label htmlFor={wordId(i)}>{i === 0 ? "Word (hex)" : `Word ${i} of the entry (hex)`}</label>
                  <input
                    id={wordId(i)}
                    className="mono"
                    spellCheck={false}
                    autoComplete="off"
                    value={w}
                    aria-describedby={decoded.ok ? undefined : ids.decErr}
                    aria-invalid={!decoded.ok}
                    onChange={(e) => setWord(i, e.target.value)}
                  />
                </div>
              ))}
              <div className="field checkbox">
                <input
                  id={`${ids.word}-decimal`}
                  type="checkbox"
                  checked={decimal}
                  onChange={(e) => setBase(e.target.checked)}
                />
                <label htmlFor={`${ids.word}-decimal`}>
                  Bare digits are decimal (else hex, as dump_page() prints a word; <code>0x</code>,{" "}
                  <code>0d</code> and <code>0b</code> say which)
                </label>
              </div>
              {decoded.ok ? (
                <dl className="decoded" data-testid="decoded-word">
                  <dt>tag</dt>
                  <dd data-tag={decoded.value.tag}>{decoded.value.tag}</dd>
                  <dt>kind</dt>
                  <dd data-kind={decoded.value.kind ?? ""} data-in-set={inSet(decoded.value.kind)}>
                    {inSet(decoded.value.kind) ? (
                      decoded.value.kind
                    ) : (
                      <ForeignNote registry={registry} tag={decoded.value.tag} kind={decoded.value.kind} />
                    )}
                  </dd>
                  <dt>storage</dt>
                  <dd>{decoded.value.storage}</dd>
                  {decoded.value.storage === "pointer" ? (
                    <>
                      <dt>address</dt>
                      <dd className="mono">{wordHex(decoded.value.address, d.wordBits)}</dd>
                      {inSet(decoded.value.kind) && (
                        <>
                          <dt>way back</dt>
                          <dd>
                            <WayBackText registry={registry} kind={decoded.value.kind!} />
                          </dd>
                        </>
                      )}
                    </>
                  ) : (
                    Object.entries(decoded.value.fields).map(([k, v]) => (
                      <div key={k} className="pair">
                        <dt>{k}</dt>
                        <dd className="mono" data-field={k} data-value={v.toString()}>
                          {v.toString()} <span className="dim">(0x{v.toString(16)})</span>
                          {valueName(decoded.value.kind ?? "", k, v) ? (
                            <span data-name=""> {valueName(decoded.value.kind ?? "", k, v)}</span>
                          ) : null}
                        </dd>
                      </div>
                    ))
                  )}
                </dl>
              ) : (
                <p className="error" role="alert" id={ids.decErr} data-code={decoded.code}>
                  <strong>{decoded.code}</strong>: {errorSentence(decoded)}
                </p>
              )}
            </form>
          </div>
        </section>
      )}
      {d.typeBits > 0 && <DumpPagePaste registry={registry} />}

      <section aria-labelledby="types-heading">
        <h2 id="types-heading">Type table of the composed set</h2>
        {d.typeBits === 0 ? (
          <table className="data stack-on-phone" data-testid="type-table">
            <caption>Kinds of the set; under {design} each overlays struct page</caption>
            <thead>
              <tr>
                <th scope="col">kind</th>
                <th scope="col">storage</th>
                <th scope="col">plugin</th>
                <th scope="col">today</th>
              </tr>
            </thead>
            <tbody>
              {registry.plugins.map((p) => (
                <tr key={p.kind} data-kind={p.kind}>
                  <td data-label="kind">{p.kind}</td>
                  <td data-label="storage">{p.storage}</td>
                  <td data-label="plugin">{p.name}</td>
                  <td data-label="today">
                    {p.title}
                    {p.today ? `: overlays struct page (${registry.todayLayout(p.kind).size} bytes)` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <div className="table-scroll">
            <table className="data stack-on-phone" data-testid="type-table">
              <caption>
                {rows.length} of {2 ** d.typeBits} tags used. Choose a row to encode that kind.
              </caption>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    tag
                  </th>
                  <th scope="col">kind</th>
                  <th scope="col">storage</th>
                  <th scope="col">plugin</th>
                  <th scope="col">meaning</th>
                  <th scope="col">inline fields</th>
                  <th scope="col">source</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <tr
                    key={t.tag}
                    data-kind={t.kind}
                    data-tag={t.tag}
                    aria-current={t.kind === state.kind || undefined}
                  >
                    <td data-label="tag" className="num">
                      {t.tag}
                    </td>
                    <td data-label="kind">
                      <button
                        type="button"
                        className="link"
                        onClick={() => setEncoder({ kind: t.kind, address: state.address, fields: {} })}
                      >
                        {t.kind}
                      </button>
                    </td>
                    <td data-label="storage">{t.storage}</td>
                    <td data-label="plugin">{t.plugin}</td>
                    <td data-label="meaning">{t.meaning}</td>
                    <td data-label="inline fields" className="mono small">
                      {t.payload
                        .map(
                          (f) =>
                            `${f.word ? `w${f.word}:` : ""}${f.name} ${f.width === 1 ? f.bit : `${f.bit + f.width - 1}..${f.bit}`}`,
                        )
                        .join(", ") || "—"}
                    </td>
                    <td data-label="source" className="small">
                      <Source provenance={t.provenance} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {kindFields.length > 0 && (
          <div className="table-scroll">
            <table className="data" data-testid="field-table">
              <caption>
                {state.kind}'s inline fields in {design}, with where each comes from
              </caption>
              <thead>
                <tr>
                  <th scope="col">field</th>
                  <th scope="col" className="num">
                    word
                  </th>
                  <th scope="col">bits</th>
                  <th scope="col">meaning</th>
                  <th scope="col">source</th>
                </tr>
              </thead>
              <tbody>
                {kindFields.map((f) => (
                  <tr key={f.name} data-field={f.name}>
                    <td className="mono">{f.name}</td>
                    <td className="num">{f.word ?? 0}</td>
                    <td className="mono small">{bitRange({ high: f.bit + f.width - 1, low: f.bit })}</td>
                    <td>{f.meaning ?? ""}</td>
                    <td className="small">
                      <Source provenance={f.provenance ?? rowProvenance(registry, state.kind)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {spare.length > 0 && (
          <details>
            <summary>
              {spare.length} {spare.length === 1 ? "tag" : "tags"} {design} sets aside for kinds not in this
              set
            </summary>
            <ul>
              {spare.map((e) => (
                <li key={e.tag}>
                  tag {e.tag}: {e.kind ?? "-"} — {e.meaning}{" "}
                  <Source provenance={e.provenance ?? d.provenance} short />
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>
    </div>
  );
}

/** The row of the type table a kind sits on: its source is the default for fields that do not give their own. */
function rowProvenance(registry: AnyRegistry, kind: string) {
  return registry.typeTable().find((t) => t.kind === kind)?.provenance;
}

/** Where the design comes from, why its word is the width it is, and the memory it needs outside the memmap. */
function DesignSources({ registry }: { registry: AnyRegistry }) {
  const d = registry.design;
  return (
    <div className="design-sources" data-testid="design-source">
      <p className="note">
        Source: <Source provenance={d.provenance} notes />
      </p>
      {d.typeBits > 0 && (
        <p className="note">
          The word is a {d.wordBits === 64 ? "u64" : `${d.wordBits}-bit word`} ({d.wordBits / 8} bytes) on
          every ABI
          {d.wordBits === 64 ? ", 32-bit kernels too, as the plan has it" : `: ${d.wordBitsReason ?? ""}`}.
        </p>
      )}
      {d.outsideMemmap.map((o) => (
        <p className="note" key={o.what}>
          Outside the memmap: {o.what}, {o.bytesPerPage} bytes per page of RAM{" "}
          <Source provenance={o.provenance} short />
        </p>
      ))}
    </div>
  );
}

/** How a pointer kind's descriptor finds its memory (its PFN field), as `memdesc layout` says it. */
function WayBackText({ registry, kind }: { registry: AnyRegistry; kind: string }) {
  if (!(registry.kinds as readonly string[]).includes(kind)) return null;
  const back = registry.wayBackOf(kind);
  if (!back) return <span className="dim">not declared by its plugin</span>;
  if ("field" in back)
    return (
      <span>
        the descriptor's <code>{back.field}</code> field holds its memory's PFN
      </span>
    );
  return (
    <span>
      {back.how} <Source provenance={back.provenance} short />
    </span>
  );
}

/**
 * A tag no kind of this set has: what the design sets it aside for (a kind the plan names but this set does not
 * compose, like KSM or Movable), or that it is unassigned.
 */
function ForeignNote(props: {
  registry: AnyRegistry;
  tag: number;
  kind: string | undefined;
  testId?: string;
}) {
  const d = props.registry.design;
  const row = d.typeTable.find((e) => e.tag === props.tag);
  return (
    <span className="foreign" data-testid={props.testId}>
      {row?.kind ?? props.kind ?? "no kind"}: not a kind of this set —{" "}
      {row
        ? `${d.name} sets tag ${props.tag} aside for ${row.meaning}, which no plugin of this set describes`
        : `${d.name} assigns tag ${props.tag} to nothing`}
      {props.testId ? "; pick a kind to encode one." : "."}
    </span>
  );
}

function PayloadInput(props: {
  name: string;
  bits: string;
  value: string;
  /** Named values the field takes (Misc's subtypes): typed by name or number, the name shown. */
  names?: Readonly<Record<string, number>> | undefined;
  onChange(v: string): void;
}) {
  const id = useId();
  const listId = useId();
  const named = props.names
    ? Object.entries(props.names).find(
        ([n, v]) => n === props.value.trim() || String(v) === props.value.trim(),
      )
    : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.name} <span className="dim">({props.bits})</span>
      </label>
      <input
        id={id}
        className="mono"
        inputMode="numeric"
        spellCheck={false}
        autoComplete="off"
        placeholder="0"
        value={props.value}
        list={props.names ? listId : undefined}
        aria-describedby={props.names ? `${listId}-name` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.names && (
        <>
          <datalist id={listId}>
            {Object.entries(props.names).map(([n, v]) => (
              <option key={n} value={n}>
                {v}
              </option>
            ))}
          </datalist>
          <span className="hint" id={`${listId}-name`} data-testid={`${props.name}-name`}>
            {named
              ? `${named[1]}: ${named[0]}`
              : `a number, or a name: ${Object.entries(props.names)
                  .map(([n, v]) => `${v} ${n}`)
                  .join(", ")}`}
          </span>
        </>
      )}
    </div>
  );
}
