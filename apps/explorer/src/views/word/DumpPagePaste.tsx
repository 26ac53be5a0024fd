import { useId, useMemo, useState } from "react";
import { PageWordPanel } from "../../components/PageWordPanel.js";
import { DumpPageError, dumpPageFacts, parseDumpPage } from "../../lib/dump-page.js";
import type { AnyRegistry } from "../../lib/registry.js";

/** A dump_page() report as the 6.18 kernel prints one, for the placeholder. */
const example = `page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10c3e2
head: order:1 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0
flags: 0x17ffffc0000040(head|node=0|zone=2|lastcpupid=0x1fffff)
page_type: f5(slab)
raw: 0017ffffc0000040 ffff888100042a00 dead000000000122 0000000000000000`;

/**
 * A page from a kernel log: a `dump_page()` report pasted in, read into the page's facts (its use, its folio's
 * order, zone and node), and the word that page would carry under the design — the same panel the page map shows
 * for a PFN picked on it.
 */
export function DumpPagePaste({ registry }: { registry: AnyRegistry }) {
  const [text, setText] = useState("");
  const id = useId();
  const errorId = useId();
  const result = useMemo(() => {
    if (text.trim() === "") return undefined;
    try {
      return { ok: true as const, ...dumpPageFacts(parseDumpPage(text)) };
    } catch (err) {
      if (err instanceof DumpPageError) return { ok: false as const, message: err.message };
      throw err;
    }
  }, [text]);
  return (
    <section aria-labelledby={`${id}-heading`} className="dump-page">
      <h2 id={`${id}-heading`}>A page from a kernel log</h2>
      <div className="field">
        <label htmlFor={id}>Paste a dump_page() report (or any of its lines)</label>
        <textarea
          id={id}
          className="mono"
          rows={5}
          spellCheck={false}
          placeholder={example}
          value={text}
          aria-invalid={result?.ok === false}
          aria-describedby={result?.ok === false ? errorId : undefined}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      {result?.ok === false && (
        <p className="error" role="alert" id={errorId} data-testid="dump-page-error">
          {result.message}
        </p>
      )}
      {result?.ok && (
        <>
          {result.notes.length > 0 && (
            <ul className="notes" data-testid="dump-page-notes">
              {result.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <PageWordPanel facts={result.facts} registry={registry} />
        </>
      )}
    </section>
  );
}
