import { checkPlugins, kernelMatrix, type MatrixCell } from "@memdesc/btf";
import { type AbiName, createRegistry, diffLayouts, formatPahole, type Layout } from "@memdesc/core";
import { useId, useMemo } from "react";
import { useDropZone } from "../../../components/drop-zone.js";
import { int } from "../../../lib/format.js";
import { type AnyRegistry, firstPartyPlugins } from "../../../lib/registry.js";
import { LayoutDiffTable } from "./LayoutDiffTable.js";
import { addKernelFiles, clearKernels, kernelStore } from "./store.js";

const letters = ["A", "B"] as const;

/**
 * Kernels' BTF dropped on the Layouts view: the descriptor's struct as each kernel has it, the plugin checked
 * against each (as `memdesc check --btf A --btf B`), and the difference: the plugin's layout against the one
 * kernel, or the two kernels against each other. Everything is read in the page; nothing is uploaded.
 */
export function KernelPanel(props: { kind: string; registry: AnyRegistry }) {
  const { kind, registry } = props;
  const { kernels, error, loading } = kernelStore.use();
  const fileId = useId();
  const errorId = useId();
  const drop = useDropZone((files) => void addKernelFiles(files));

  const plugin = registry.plugin(kind);
  const structName = registry.todayLayout(kind).name ?? kind;
  // The first-party set (what the app's registry holds) laid out for each kernel's ABI, as `memdesc check` does.
  const registries = useMemo(
    () =>
      kernels.map((k) =>
        createRegistry({ design: registry.design, abi: k.btf.abi as AbiName, plugins: firstPartyPlugins() }),
      ),
    [kernels, registry],
  );
  const checked = useMemo(() => {
    if (kernels.length === 0) return undefined;
    const matrix = kernelMatrix(kernels.map((k, i) => checkPlugins(k.btf, registries[i]!, [plugin])));
    return matrix.plugins[0]?.cells ?? [];
  }, [kernels, registries, plugin]);
  const layouts = useMemo(
    () =>
      kernels.map((k): Layout | undefined =>
        k.btf.findStruct(structName) !== undefined ? k.btf.layout(structName) : undefined,
      ),
    [kernels, structName],
  );

  const comparison = useMemo(() => {
    if (kernels.length === 1 && layouts[0]) {
      const mine = registries[0]!.todayLayout(kind);
      return {
        left: `${plugin.name} (${mine.abi})`,
        right: `${letters[0]}: ${kernels[0]!.name}`,
        diff: diffLayouts(mine, layouts[0]),
      };
    }
    if (kernels.length === 2 && layouts[0] && layouts[1])
      return {
        left: `${letters[0]}: ${kernels[0]!.name}`,
        right: `${letters[1]}: ${kernels[1]!.name}`,
        diff: diffLayouts(layouts[0], layouts[1]),
      };
    return undefined;
  }, [kernels, layouts, registries, kind, plugin]);

  return (
    <section aria-labelledby="kernels-heading" className="kernel-panel">
      <h2 id="kernels-heading">Against a kernel's BTF</h2>
      <section
        className={`card drop-zone${drop.dragging ? " dragging" : ""}`}
        aria-label="Load a kernel's BTF"
        data-testid="kernel-drop"
        {...drop.handlers}
      >
        <div className="load-row">
          <div className="field file-field">
            <label htmlFor={fileId}>Load a kernel's BTF</label>
            <input
              id={fileId}
              type="file"
              multiple
              aria-describedby={error ? errorId : undefined}
              onChange={(e) => {
                const files = [...(e.target.files ?? [])];
                e.target.value = "";
                void addKernelFiles(files);
              }}
            />
          </div>
          {kernels.length > 0 && (
            <button type="button" onClick={clearKernels}>
              Clear
            </button>
          )}
          <p className="hint">
            …or drop it here: a <code>vmlinux</code> or <code>.ko</code> from a build tree (ELF, any
            architecture), or a copy of <code>/sys/kernel/btf/vmlinux</code>. A second kernel is compared with
            the first; a module's <code>.ko</code> reads on the kernel dropped before it. Files stay in this
            page: nothing is uploaded.
          </p>
        </div>
        <p className="status" role="status" data-testid="kernel-status">
          {loading
            ? `Reading ${loading}…`
            : kernels.length === 0
              ? "No kernel loaded: the layouts above are the plugins' own."
              : kernels
                  .map((k, i) => `${letters[i]}: ${k.name} (${k.description}, ${int(k.btf.count)} types)`)
                  .join("; ")}
        </p>
        {error && (
          <p className="error" role="alert" id={errorId} data-testid="kernel-error">
            {error}
          </p>
        )}
      </section>

      {checked && (
        <div className="table-scroll">
          <table className="data" data-testid="kernel-check">
            <caption>
              {plugin.name} checked against each kernel, as <code>memdesc check</code> does
            </caption>
            <thead>
              <tr>
                <th scope="col">kernel</th>
                <th scope="col">result</th>
                <th scope="col">detail</th>
              </tr>
            </thead>
            <tbody>
              {checked.map((cell, i) => (
                <tr
                  key={kernels[i]!.name + String(i)}
                  data-kernel={letters[i]}
                  data-status={cell.status}
                  className={`status-${cell.status}`}
                >
                  <td>
                    {letters[i]}: {kernels[i]!.name}
                  </td>
                  <td>{cell.status}</td>
                  <td>
                    <CellDetail cell={cell} struct={structName} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {comparison && <LayoutDiffTable {...comparison} />}

      {kernels.map((k, i) => {
        const l = layouts[i];
        return (
          <details key={k.name + String(i)} data-testid="kernel-layout" data-kernel={letters[i]}>
            <summary>
              {letters[i]}: struct {structName} in {k.name}
              {l ? ` (${l.size} bytes)` : ": not in this kernel"}
            </summary>
            {l && <pre className="pahole">{formatPahole(l)}</pre>}
          </details>
        );
      })}
    </section>
  );
}

function CellDetail({ cell, struct }: { cell: MatrixCell; struct: string }) {
  if (cell.status === "absent") return <>the kernel has no struct {struct}</>;
  const lines: string[] = [];
  if (cell.size && cell.size.plugin !== cell.size.kernel)
    lines.push(`sizeof ${cell.size.plugin} in the plugin, ${cell.size.kernel} in the kernel`);
  for (const d of cell.drifted.filter((f) => f.plugin && f.kernel))
    lines.push(
      `${d.path}: plugin ${d.plugin!.offset}+${d.plugin!.size}, kernel ${d.kernel!.offset}+${d.kernel!.size}`,
    );
  const gone = cell.drifted.filter((f) => !f.kernel).length;
  if (gone) lines.push(`${gone} plugin field${gone === 1 ? "" : "s"} not in the kernel`);
  if (cell.kernelOnly.length)
    lines.push(
      `${cell.kernelOnly.length} kernel field${cell.kernelOnly.length === 1 ? "" : "s"} not in the plugin`,
    );
  for (const r of cell.rules) lines.push(r.message);
  if (lines.length === 0) return <>every field where the plugin has it; every overlay rule holds</>;
  return (
    <ul className="plain">
      {lines.map((l) => (
        <li key={l}>{l}</li>
      ))}
    </ul>
  );
}
