import { type Bill, unbackedUses } from "@memdesc/core";
import { useAppState } from "../../lib/app-state.js";
import { int, mib, percent } from "../../lib/format.js";
import { descriptionOf } from "../../lib/registry.js";

/** `+1,234` / `−56` / `0`, for differences. */
export const signed = (n: number, f: (v: number) => string = int): string =>
  n > 0 ? `+${f(n)}` : n < 0 ? `−${f(-n)}` : f(0);

/**
 * Two page maps' bills side by side: per use (pages, descriptors and bytes under the chosen design) and per
 * design (total and saving), each with the difference second minus first. Raw numbers in data-* attributes.
 */
export function Comparison(props: { a: Bill; b: Bill; nameA: string; nameB: string; design: string }) {
  const { a, b, design } = props;
  const { registry } = useAppState();
  const da = a.designs.find((d) => d.design === design) ?? a.designs[0]!;
  const db = b.designs.find((d) => d.design === design) ?? b.designs[0]!;
  const uses = [...new Set([...da.uses.map((u) => u.use), ...db.uses.map((u) => u.use)])];
  const row = (bill: typeof da, use: string) => bill.uses.find((u) => u.use === use);
  return (
    <section aria-labelledby="compare-heading" className="comparison" data-testid="comparison">
      <h3 id="compare-heading">
        {props.nameA} against {props.nameB}
      </h3>
      <p className="lede">
        A is {props.nameA} ({int(a.ramPages)} RAM pages), B is {props.nameB} ({int(b.ramPages)} RAM pages);
        every difference is B − A.
      </p>
      <div className="table-scroll">
        <table className="data" data-testid="compare-designs">
          <caption>Per-page metadata per design (MiB)</caption>
          <thead>
            <tr>
              <th scope="col">design</th>
              <th scope="col" className="num">
                A
              </th>
              <th scope="col" className="num">
                B
              </th>
              <th scope="col" className="num">
                B − A
              </th>
              <th scope="col" className="num">
                of RAM, A → B
              </th>
              <th scope="col" className="num">
                saving vs today, A → B
              </th>
            </tr>
          </thead>
          <tbody>
            {a.designs.map((x) => {
              const y = b.designs.find((d) => d.design === x.design);
              if (!y) return null;
              return (
                <tr
                  key={x.design}
                  data-design={x.design}
                  data-a={x.total}
                  data-b={y.total}
                  data-delta={y.total - x.total}
                  aria-current={x.design === design || undefined}
                >
                  <th scope="row">{x.design}</th>
                  <td className="num">{mib(x.total)}</td>
                  <td className="num">{mib(y.total)}</td>
                  <td className="num">{signed(y.total - x.total, mib)}</td>
                  <td className="num">
                    {percent(x.percentOfRam)} → {percent(y.percentOfRam)}
                  </td>
                  <td className="num">
                    {x.design === "today" ? "—" : `${mib(x.savingVsToday)} → ${mib(y.savingVsToday)}`}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="table-scroll">
        <table className="data" data-testid="compare-uses">
          <caption>Per use: pages, descriptors and MiB under {design}</caption>
          <thead>
            <tr>
              <th scope="col">use</th>
              <th scope="col" className="num">
                pages A
              </th>
              <th scope="col" className="num">
                pages B
              </th>
              <th scope="col" className="num">
                B − A
              </th>
              <th scope="col" className="num">
                descriptors B − A
              </th>
              <th scope="col" className="num">
                MiB A
              </th>
              <th scope="col" className="num">
                MiB B
              </th>
              <th scope="col" className="num">
                B − A
              </th>
            </tr>
          </thead>
          <tbody>
            {uses.map((use) => {
              const x = row(da, use);
              const y = row(db, use);
              const unbacked = unbackedUses.has(use);
              const pa = x?.pages ?? 0;
              const pb = y?.pages ?? 0;
              const ta = x?.total ?? 0;
              const tb = y?.total ?? 0;
              return (
                <tr
                  key={use}
                  data-use={use}
                  data-pages-a={pa}
                  data-pages-b={pb}
                  data-descriptors-a={x?.descriptors ?? 0}
                  data-descriptors-b={y?.descriptors ?? 0}
                  data-bytes-a={ta}
                  data-bytes-b={tb}
                  title={descriptionOf(registry, use)}
                >
                  <th scope="row">{use}</th>
                  <td className="num">{int(pa)}</td>
                  <td className="num">{int(pb)}</td>
                  <td className="num">{signed(pb - pa)}</td>
                  <td className="num">{signed((y?.descriptors ?? 0) - (x?.descriptors ?? 0))}</td>
                  <td className="num">{unbacked ? "—" : mib(ta)}</td>
                  <td className="num">{unbacked ? "—" : mib(tb)}</td>
                  <td className="num">{unbacked ? "—" : signed(tb - ta, mib)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
