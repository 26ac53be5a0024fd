import { type DecodedWord, WordCodecError } from "@memdesc/core";
import { useEffect, useId, useMemo, useState } from "react";
import { useAppState } from "../../lib/app-state.js";
import { parseNumber, wordHex } from "../../lib/format.js";
import type { AnyRegistry } from "../../lib/registry.js";
import { WordBits } from "./WordBits.js";
import { payloadOf, segmentsOf, typeRows, unassignedRows } from "./word-model.js";

/** A struct folio in the direct map, 16-byte aligned: the example a new visitor starts from. */
const exampleAddress = "0xffff888100a3c240";

interface EncoderState {
  readonly kind: string;
  readonly address: string;
  readonly fields: Readonly<Record<string, string>>;
  /** The decoder's text: a word in hex. */
  readonly word: string;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** Runs a codec call; a WordCodecError (or a number that does not parse) becomes a message to show inline. */
function attempt<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (err) {
    if (err instanceof WordCodecError) return { ok: false, code: err.code, message: err.message };
    if (err instanceof InputError) return { ok: false, code: "INPUT", message: err.message };
    throw err;
  }
}

class InputError extends Error {}

function number(text: string, what: string): bigint {
  const v = parseNumber(text);
  if (v === undefined)
    throw new InputError(`${what} "${text}" is not a whole number (decimal, 0x hex or 0b binary)`);
  return v;
}

function initialState(registry: AnyRegistry): EncoderState {
  const kinds = registry.kinds as readonly string[];
  const kind = kinds.includes("folio") ? "folio" : (kinds[0] ?? "folio");
  const base = { kind, address: exampleAddress, fields: {} };
  const word = attempt(() => registry.codec.encode({ kind, address: BigInt(exampleAddress) }));
  return { ...base, word: word.ok ? wordHex(word.value, registry.design.wordBits) : "" };
}

/** The encoder's inputs for a decoded word, so that decoding fills the encoder in. */
function fromDecoded(registry: AnyRegistry, d: DecodedWord, word: string): EncoderState {
  const kind = d.kind ?? "";
  if (d.storage === "pointer") return { kind, address: `0x${d.address.toString(16)}`, fields: {}, word };
  const fields = Object.fromEntries(Object.entries(d.fields).map(([k, v]) => [k, v.toString()]));
  void registry;
  return { kind, address: exampleAddress, fields, word };
}

export default function WordView() {
  const { registry, design } = useAppState();
  const d = registry.design;
  const [state, setState] = useState<EncoderState>(() => initialState(registry));
  // A new design has other tags and storage: start again from the example.
  useEffect(() => setState(initialState(registry)), [registry]);

  const rows = useMemo(() => typeRows(registry), [registry]);
  const spare = useMemo(() => unassignedRows(registry), [registry]);
  const storage = (registry.kinds as readonly string[]).includes(state.kind)
    ? registry.plugin(state.kind).storage
    : undefined;
  const payload = storage === "inline" ? payloadOf(registry, state.kind) : [];

  const encoded = attempt(() => {
    if (storage === "inline")
      return registry.codec.encode({
        kind: state.kind,
        fields: Object.fromEntries(
          payload
            .filter((f) => (state.fields[f.name] ?? "").trim() !== "")
            .map((f) => [f.name, number(state.fields[f.name]!, f.name)]),
        ),
      });
    return registry.codec.encode({ kind: state.kind, address: number(state.address, "address") });
  });
  const decoded = attempt(() => registry.codec.decode(number(state.word, "word")));
  const shown = decoded.ok ? decoded.value : undefined;
  const segments = useMemo(() => {
    if (d.typeBits === 0) return [];
    if (shown?.storage === "inline")
      return segmentsOf(d, payloadOf(registry, shown.kind!), shown.kind, shown.tag);
    return segmentsOf(d, undefined, shown?.kind, shown?.tag);
  }, [d, registry, shown]);

  const setEncoder = (next: Omit<EncoderState, "word">) => {
    const s = { ...next, word: state.word };
    const out = attempt(() => {
      const p = registry.plugin(next.kind);
      if (p.storage === "inline") {
        const fields = payloadOf(registry, next.kind);
        return registry.codec.encode({
          kind: next.kind,
          fields: Object.fromEntries(
            fields
              .filter((f) => (next.fields[f.name] ?? "").trim() !== "")
              .map((f) => [f.name, number(next.fields[f.name]!, f.name)]),
          ),
        });
      }
      return registry.codec.encode({ kind: next.kind, address: number(next.address, "address") });
    });
    setState(out.ok ? { ...s, word: wordHex(out.value, d.wordBits) } : s);
  };
  const setWord = (word: string) => {
    const out = attempt(() => registry.codec.decode(number(word, "word")));
    setState(out.ok && out.value.kind ? fromDecoded(registry, out.value, word) : { ...state, word });
  };

  const ids = { kind: useId(), address: useId(), word: useId(), encErr: useId(), decErr: useId() };
  return (
    <div className="view word-view">
      <section aria-labelledby="word-heading">
        <h2 id="word-heading">The memdesc word under {design}</h2>
        <p className="lede">{d.description}</p>
        {d.typeBits === 0 ? (
          <p className="callout">
            {design} has no memdesc word: every page has a {d.entryBytes}-byte struct page, and each kind's
            descriptor overlays it. Pick a memdesc design in the switch above to see the word.
          </p>
        ) : (
          <WordBits
            wordBits={d.wordBits}
            segments={segments}
            word={shown ? number(state.word, "word") : undefined}
            caption={
              shown
                ? `${wordHex(number(state.word, "word"), d.wordBits)}: tag ${shown.tag} (${shown.kind ?? "no kind"}, ${shown.storage})`
                : `a ${d.wordBits}-bit word in a ${d.entryBytes}-byte page entry; the low ${d.typeBits} bits are the type`
            }
          />
        )}
        {d.tagDecoding === "buddy-low2" && (
          <p className="note">
            A word whose low two bits are 00 is a free page's <code>buddy_list.next</code> pointer: tags 0, 4,
            8 and 12 all read as buddy.
          </p>
        )}
      </section>

      <section aria-labelledby="codec-heading" className="codec">
        <h2 id="codec-heading">Encode and decode</h2>
        <div className="codec-grid">
          <form className="card" aria-label="Encoder" onSubmit={(e) => e.preventDefault()}>
            <h3>Type and payload → word</h3>
            <div className="field">
              <label htmlFor={ids.kind}>Kind</label>
              <select
                id={ids.kind}
                value={state.kind}
                onChange={(e) =>
                  setEncoder({ kind: e.target.value, address: state.address, fields: state.fields })
                }
              >
                {registry.kinds.map((k) => (
                  <option key={k} value={k}>
                    {k} ({registry.plugin(k).storage}
                    {registry.tagOf(k) !== undefined ? `, tag ${registry.tagOf(k)}` : ""})
                  </option>
                ))}
              </select>
            </div>
            {storage === "inline" ? (
              payload.length === 0 ? (
                <p className="note">
                  {state.kind} has no inline fields in {design}: the word is its tag alone.
                </p>
              ) : (
                payload.map((f) => (
                  <PayloadInput
                    key={f.name}
                    name={f.name}
                    bits={`${f.width} bits from bit ${f.bit}`}
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
              {encoded.ok ? wordHex(encoded.value, d.wordBits) : "—"}
            </output>
            {!encoded.ok && (
              <p className="error" role="alert" id={ids.encErr} data-code={encoded.code}>
                <strong>{encoded.code}</strong>: {encoded.message}
              </p>
            )}
          </form>

          <form className="card" aria-label="Decoder" onSubmit={(e) => e.preventDefault()}>
            <h3>Word → type and payload</h3>
            <div className="field">
              <label htmlFor={ids.word}>Word (hex)</label>
              <input
                id={ids.word}
                className="mono"
                spellCheck={false}
                autoComplete="off"
                value={state.word}
                aria-describedby={decoded.ok ? undefined : ids.decErr}
                aria-invalid={!decoded.ok}
                onChange={(e) => setWord(e.target.value)}
              />
            </div>
            {decoded.ok ? (
              <dl className="decoded" data-testid="decoded-word">
                <dt>tag</dt>
                <dd data-tag={decoded.value.tag}>{decoded.value.tag}</dd>
                <dt>kind</dt>
                <dd>{decoded.value.kind ?? "(no kind in this set)"}</dd>
                <dt>storage</dt>
                <dd>{decoded.value.storage}</dd>
                {decoded.value.storage === "pointer" ? (
                  <>
                    <dt>address</dt>
                    <dd className="mono">{wordHex(decoded.value.address, d.wordBits)}</dd>
                  </>
                ) : (
                  Object.entries(decoded.value.fields).map(([k, v]) => (
                    <div key={k} className="pair">
                      <dt>{k}</dt>
                      <dd className="mono">
                        {v.toString()} <span className="dim">(0x{v.toString(16)})</span>
                      </dd>
                    </div>
                  ))
                )}
              </dl>
            ) : (
              <p className="error" role="alert" id={ids.decErr} data-code={decoded.code}>
                <strong>{decoded.code}</strong>: {decoded.message}
              </p>
            )}
          </form>
        </div>
      </section>

      <section aria-labelledby="types-heading">
        <h2 id="types-heading">Type table of the composed set</h2>
        {d.typeBits === 0 ? (
          <table className="data" data-testid="type-table">
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
                  <td>{p.kind}</td>
                  <td>{p.storage}</td>
                  <td>{p.name}</td>
                  <td>
                    {p.title}
                    {p.today ? `: overlays struct page (${registry.todayLayout(p.kind).size} bytes)` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <div className="table-scroll">
            <table className="data" data-testid="type-table">
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
                    <td className="num">{t.tag}</td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        onClick={() => setEncoder({ kind: t.kind, address: state.address, fields: {} })}
                      >
                        {t.kind}
                      </button>
                    </td>
                    <td>{t.storage}</td>
                    <td>{t.plugin}</td>
                    <td>{t.meaning}</td>
                    <td className="mono small">
                      {t.payload
                        .map((f) => `${f.name} ${f.width === 1 ? f.bit : `${f.bit + f.width - 1}..${f.bit}`}`)
                        .join(", ") || "—"}
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
                  tag {e.tag}: {e.kind ?? "-"} — {e.meaning}
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>
    </div>
  );
}

function PayloadInput(props: { name: string; bits: string; value: string; onChange(v: string): void }) {
  const id = useId();
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
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}
