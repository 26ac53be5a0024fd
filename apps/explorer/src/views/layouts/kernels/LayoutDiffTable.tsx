import { describeFieldDiff, type FieldPlace, type LayoutDiff, summarizeLayoutDiff } from "@memdesc/core";
import { useId, useMemo, useState } from "react";

const place = (p: FieldPlace | null) =>
  p
    ? `${p.offset}${p.bitSize !== undefined ? `:${p.bitOffset}` : ""} +${p.bitSize !== undefined ? `${p.bitSize}b` : p.size}`
    : "";

/**
 * One struct in two layouts, first to second, as `memdesc layout NAME --btf A --vs B` prints it: the sizes,
 * then a row per field that moved, changed size or type, appeared or went, in offset order; a member that went,
 * came or moved whole stands for the members inside it unless every member is asked for.
 */
export function LayoutDiffTable(props: { diff: LayoutDiff; left: string; right: string }) {
  const { diff, left, right } = props;
  const { a, b, counts } = diff;
  const [every, setEvery] = useState(false);
  const everyId = useId();
  const rows = useMemo(
    () => (every ? diff.changed.map((field) => ({ field, inside: 0 })) : summarizeLayoutDiff(diff)),
    [diff, every],
  );
  const delta = b.size - a.size;
  return (
    <div
      className="layout-diff"
      data-testid="layout-diff"
      data-same={diff.same}
      data-changed={diff.changed.length}
      data-size-a={a.size}
      data-size-b={b.size}
    >
      <p>
        <strong>{left}</strong> → <strong>{right}</strong>:{" "}
        {delta === 0
          ? `${a.size} bytes in both`
          : `${a.size} → ${b.size} bytes (${delta > 0 ? "grew" : "shrank"} by ${Math.abs(delta)})`}
        {diff.same
          ? "; the same layout."
          : `; ${counts.moved} moved, ${counts.resized} resized, ${counts.retyped} retyped, ${counts.added} added, ${counts.removed} removed, ${counts.unchanged} unchanged.`}
      </p>
      {diff.changed.length > 0 && (
        <div className="field checkbox">
          <input id={everyId} type="checkbox" checked={every} onChange={(e) => setEvery(e.target.checked)} />
          <label htmlFor={everyId}>
            Show every member (a member that went, came or moved whole stands for its own)
          </label>
        </div>
      )}
      {diff.changed.length > 0 && (
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">change</th>
                <th scope="col">field</th>
                <th scope="col" className="num">
                  {left}
                </th>
                <th scope="col" className="num">
                  {right}
                </th>
                <th scope="col">type</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ field: f, inside }) => (
                <tr
                  key={f.path}
                  data-inside={inside}
                  data-path={f.path}
                  data-changes={f.changes.join(" ")}
                  data-a={f.a?.offset ?? ""}
                  data-b={f.b?.offset ?? ""}
                  title={describeFieldDiff(f)}
                >
                  <td>{f.changes.join(", ")}</td>
                  <td className="mono">
                    {f.path}
                    {inside > 0 && <span className="dim"> and {inside} inside</span>}
                  </td>
                  <td className="num mono">{place(f.a)}</td>
                  <td className="num mono">{place(f.b)}</td>
                  <td className="mono small">
                    {f.a && f.b && f.a.type !== f.b.type ? `${f.a.type} → ${f.b.type}` : (f.b ?? f.a)!.type}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
