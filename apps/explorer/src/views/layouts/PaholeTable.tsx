import type { Layout, PaholeFormatOptions, PaholeRow, Provenance } from "@memdesc/core";
import { useMemo } from "react";
import { Source } from "../../components/Source.js";
import { layoutRows } from "./layout-model.js";

/** What a line declares, as the member column shows it: `_mm_id[2]`, `flags:1`, `union {`, `} u;`. */
function memberText(r: PaholeRow): string {
  switch (r.kind) {
    case "header":
    case "end":
    case "enumerator":
    case "bitpad":
      return r.text.trim();
    case "open":
      return `${r.aggregate} {`;
    case "close":
      return `}${r.name ? ` ${r.pointer ? "* " : ""}${r.name}${r.array ?? ""}` : ""}${r.bitSize !== undefined ? `:${r.bitSize}` : ""};`;
    case "member":
      return `${r.name ?? ""}${r.array ?? ""}${r.bitSize !== undefined ? `:${r.bitSize}` : ""}`;
    default:
      return r.note ?? r.text.trim();
  }
}

const rowClass: Partial<Record<PaholeRow["kind"], string>> = {
  hole: "hole-row",
  cacheline: "cacheline-row",
  summary: "summary-row",
  comment: "comment-row",
  open: "anon-row",
  close: "anon-row",
  header: "struct-row",
  end: "struct-row",
};

/**
 * A layout as a table with pahole's tree: one row per line of pahole's printout (`formatPahole`), in its order,
 * nested as pahole nests it — the offset, size, member (with its array dimension or bit width) and type of each
 * declaration, anonymous unions and structs opened and closed in place with the offset and size pahole gives
 * them, holes, cacheline boundaries and the summary as pahole's comments. Fields with a source of their own say
 * so. With `nested`, members of named structs follow their struct, marked as not pahole's.
 */
export function PaholeTable(props: {
  layout: Layout;
  pahole: PaholeFormatOptions;
  nested: boolean;
  caption: string;
  /** A field's own source, by access path, when it differs from the layout's. */
  sourceOf(path: string): Provenance | undefined;
}) {
  const rows = useMemo(
    () => layoutRows(props.layout, props.pahole, props.nested),
    [props.layout, props.pahole, props.nested],
  );
  return (
    <div className="table-scroll">
      <table className="data layout-table" data-testid="layout-table">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              offset
            </th>
            <th scope="col" className="num">
              size
            </th>
            <th scope="col">member</th>
            <th scope="col">type</th>
            <th scope="col">source</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((x) => {
            if (x.type === "expanded") {
              const f = x.field;
              return (
                <tr
                  key={x.key}
                  className="expanded-row"
                  data-expanded=""
                  data-path={f.path}
                  data-depth={x.depth}
                >
                  <td className="num">
                    {f.bitSize !== undefined ? `${f.offset}:${f.bitOffset ?? 0}` : f.offset}
                  </td>
                  <td className="num">{f.size}</td>
                  <td className="mono" style={{ paddingLeft: `${0.4 + x.depth * 1.1}em` }}>
                    {f.name}
                    {f.bitSize !== undefined ? `:${f.bitSize}` : ""}
                  </td>
                  <td className="mono small">{f.typeName}</td>
                  <td className="small dim">inside {f.path.slice(0, f.path.lastIndexOf("."))}</td>
                </tr>
              );
            }
            const r = x.row;
            const source = r.kind === "member" && r.path ? props.sourceOf(r.path) : undefined;
            const spans = !["member", "open", "close", "header", "end", "enumerator", "bitpad"].includes(
              r.kind,
            );
            const indent = { paddingLeft: `${0.4 + r.depth * 1.1}em` };
            return (
              <tr
                key={x.key}
                className={rowClass[r.kind]}
                data-line={r.line}
                data-kind={r.kind}
                data-depth={r.depth}
                data-offset={r.offset ?? ""}
                data-size={r.size ?? ""}
                data-bit-offset={r.bitOffset ?? ""}
                data-bits={r.bitSize ?? ""}
                data-path={r.path ?? ""}
              >
                {spans ? (
                  <>
                    <td className="num">{r.kind === "cacheline" ? r.offset : ""}</td>
                    <td className="num">{r.holeBytes ?? ""}</td>
                    <td colSpan={3} className="mono" style={indent}>
                      {r.note}
                    </td>
                  </>
                ) : (
                  <>
                    <td className="num">
                      {r.offset === undefined
                        ? ""
                        : r.bitSize !== undefined
                          ? `${r.offset}:${r.bitOffset}`
                          : r.offset}
                    </td>
                    <td className="num">{r.size ?? ""}</td>
                    <td className="mono" style={indent}>
                      {memberText(r)}
                    </td>
                    <td className="mono small">{r.kind === "member" ? r.type : ""}</td>
                    <td className="small" data-field-source={source?.basis}>
                      {source ? <Source provenance={source} short /> : null}
                    </td>
                  </>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
