import { describeFieldDiff, type FieldPlace, type LayoutDiff } from "@memdesc/core";

const place = (p: FieldPlace | null) =>
  p
    ? `${p.offset}${p.bitSize !== undefined ? `:${p.bitOffset}` : ""} +${p.bitSize !== undefined ? `${p.bitSize}b` : p.size}`
    : "";

/**
 * One struct in two layouts, first to second, as `memdesc layout NAME --btf A --vs B` prints it: the sizes,
 * then a row per field that moved, changed size or type, appeared or went, in offset order.
 */
export function LayoutDiffTable(props: { diff: LayoutDiff; left: string; right: string }) {
  const { diff, left, right } = props;
  const { a, b, counts } = diff;
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
              {diff.changed.map((f) => (
                <tr
                  key={f.path}
                  data-path={f.path}
                  data-changes={f.changes.join(" ")}
                  data-a={f.a?.offset ?? ""}
                  data-b={f.b?.offset ?? ""}
                  title={describeFieldDiff(f)}
                >
                  <td>{f.changes.join(", ")}</td>
                  <td className="mono">{f.path}</td>
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
