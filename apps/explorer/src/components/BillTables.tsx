import { type Bill, type DesignBill, type MemoryUse, unbackedUses } from "@memdesc/core";
import { int, mib, percent, size } from "../lib/format.js";
import { Source } from "./Source.js";

/*
 * A bill as tables. Every number is also in a data-* attribute as the raw byte or page count, so tests (and
 * anyone scraping the page) read exact values rather than rounded text.
 */

/** One row per design: total bytes, MiB, share of RAM, and the saving against today's struct page. */
export function DesignTotals({ bill, focus, testId }: { bill: Bill; focus: string; testId?: string }) {
  return (
    <div className="table-scroll">
      <table
        className="data totals"
        data-testid={testId}
        data-ram-pages={bill.ramPages}
        data-ram-bytes={bill.ramBytes}
      >
        <caption>
          Per-page metadata for {int(bill.ramPages)} pages ({size(bill.ramBytes)}) of RAM
        </caption>
        <thead>
          <tr>
            <th scope="col">design</th>
            <th scope="col" className="num phone-hide">
              bytes per page
            </th>
            <th scope="col" className="num phone-hide">
              page entries
            </th>
            <th scope="col" className="num phone-hide">
              descriptors
            </th>
            <th scope="col" className="num phone-hide">
              outside memmap
            </th>
            <th scope="col" className="num">
              total
            </th>
            <th scope="col" className="num">
              of RAM
            </th>
            <th scope="col" className="num">
              saving vs today
            </th>
          </tr>
        </thead>
        <tbody>
          {bill.designs.map((d) => (
            <tr
              key={d.design}
              data-design={d.design}
              data-total={d.total}
              data-entries={d.entries}
              data-descriptors={d.descriptors}
              data-outside={d.outsideBytes}
              data-saving={d.savingVsToday}
              aria-current={d.design === focus || undefined}
            >
              <th scope="row">
                {d.design}
                {d.design === focus ? " (chosen)" : ""}
              </th>
              <td className="num phone-hide">{d.entryBytes}</td>
              <td className="num phone-hide">{mib(d.entries)} MiB</td>
              <td className="num phone-hide">{mib(d.descriptors)} MiB</td>
              <td
                className="num phone-hide"
                title={d.outside.map((o) => `${o.what}: ${int(o.count)} × ${o.size}`).join("; ")}
              >
                {d.outsideBytes ? `${mib(d.outsideBytes)} MiB` : "—"}
              </td>
              <td className="num">
                <strong>{mib(d.total)} MiB</strong>
              </td>
              <td className="num">{percent(d.percentOfRam)}</td>
              <td className={`num ${d.savingVsToday < 0 ? "worse" : ""}`}>
                {d.design === "today" ? "—" : `${mib(d.savingVsToday)} MiB`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Each design's arithmetic: per use `pages × entry + descriptors × size = bytes`, then the total. */
export function Arithmetic({ bill, focus }: { bill: Bill; focus: string }) {
  return (
    <div className="arithmetic" data-testid="arithmetic">
      {bill.designs.map((d) => (
        <details key={d.design} open={d.design === focus} data-design={d.design}>
          <summary>
            <strong>{d.design}</strong>: {int(d.total)} bytes = {mib(d.total)} MiB, {percent(d.percentOfRam)}{" "}
            of RAM
            {savingText(d)}
          </summary>
          <div className="table-scroll">
            <table className="data small">
              <tbody>
                {d.uses
                  .filter((u) => u.terms.length > 0 || u.note)
                  .map((u) => (
                    <tr key={u.use} data-use={u.use} data-bytes={u.total}>
                      <th scope="row">
                        {u.use}
                        {u.kind ? <span className="dim"> ({u.kind})</span> : null}
                      </th>
                      <td className="mono">{u.arithmetic}</td>
                      <td className="dim">{u.note ?? ""}</td>
                    </tr>
                  ))}
                {d.outside.map((o) => (
                  <tr key={o.what} data-outside={o.what} data-bytes={o.bytes}>
                    <th scope="row">outside memmap</th>
                    <td className="mono">
                      {int(o.count)} × {o.size} = {int(o.bytes)}
                    </td>
                    <td className="dim">
                      {o.what} <Source provenance={o.provenance} short />
                    </td>
                  </tr>
                ))}
                <tr className="total-row">
                  <th scope="row">total</th>
                  <td className="mono">
                    {int(d.entries)} (entries) + {int(d.descriptors)} (descriptors)
                    {d.outsideBytes ? ` + ${int(d.outsideBytes)} (outside memmap)` : ""} = {int(d.total)}
                  </td>
                  <td />
                </tr>
              </tbody>
            </table>
          </div>
        </details>
      ))}
    </div>
  );
}

function savingText(d: DesignBill): string {
  if (d.design === "today") return "";
  return d.savingVsToday >= 0
    ? `, saves ${mib(d.savingVsToday)} MiB against today`
    : `, costs ${mib(-d.savingVsToday)} MiB more than today`;
}

/**
 * One row per memory use: pages, descriptors, and bytes under each design (the CLI's survey table), with a
 * total row. Holes have no struct page in any design and show a dash.
 */
export function UseTable({ bill, focus, testId }: { bill: Bill; focus: string; testId?: string }) {
  const first = bill.designs[0];
  if (!first) return null;
  const descriptors = first.uses.reduce((s, u) => s + u.descriptors, 0);
  return (
    <div className="table-scroll">
      <table className="data uses" data-testid={testId}>
        <caption>Bytes of per-page metadata per use (MiB); exact bytes on hover</caption>
        <thead>
          <tr>
            <th scope="col">use</th>
            <th scope="col">kind</th>
            <th scope="col" className="num">
              pages
            </th>
            <th scope="col" className="num">
              descriptors
            </th>
            {bill.designs.map((d) => (
              <th key={d.design} scope="col" className="num" aria-current={d.design === focus || undefined}>
                {d.design}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first.uses.map((u, i) => {
            const unbacked = unbackedUses.has(u.use as MemoryUse);
            return (
              <tr key={u.use} data-use={u.use} data-pages={u.pages} data-descriptors={u.descriptors}>
                <th scope="row">{u.use}</th>
                <td>{u.kind ?? "—"}</td>
                <td className="num">{int(u.pages)}</td>
                <td className="num">{int(u.descriptors)}</td>
                {bill.designs.map((d) => {
                  const ub = d.uses[i]!;
                  return (
                    <td
                      key={d.design}
                      className="num"
                      data-design={d.design}
                      data-bytes={ub.total}
                      data-entry-bytes={ub.entryBytes}
                      data-descriptor-bytes={ub.descriptorBytes}
                      title={`${ub.arithmetic}${ub.note ? ` (${ub.note})` : ""}`}
                    >
                      {unbacked ? "—" : mib(ub.total)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr data-total="" data-pages={bill.ramPages} data-descriptors={descriptors}>
            <th scope="row">total</th>
            <td />
            <td className="num">{int(bill.ramPages)}</td>
            <td className="num">{int(descriptors)}</td>
            {bill.designs.map((d) => (
              <td key={d.design} className="num" data-design={d.design} data-bytes={d.total}>
                <strong>{mib(d.total)}</strong>
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
