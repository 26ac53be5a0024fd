import { formatProvenance, type Provenance } from "@memdesc/core";

/**
 * Where a fact comes from, as `memdesc types` and `memdesc layout` print it: a badge with its basis (kernel,
 * plan, inferred, proposal) and, unless `short`, the source itself (a kernel file and release, a plan page and
 * its revision, the reasoning of an inference or a proposal). Undeclared when a plugin does not say.
 */
export function Source(props: { provenance: Provenance | undefined; short?: boolean; notes?: boolean }) {
  const p = props.provenance;
  if (!p)
    return (
      <span className="source" data-basis="undeclared">
        <span className="basis basis-undeclared">undeclared</span>
      </span>
    );
  const full = formatProvenance(p, { notes: true });
  const text = formatProvenance(p, { notes: props.notes ?? false });
  const detail = text.slice(text.indexOf(":") + 1).trim();
  return (
    <span className="source" data-basis={p.basis} title={full}>
      <span className={`basis basis-${p.basis}`}>{p.basis}</span>
      {props.short ? null : <span className="source-text"> {detail}</span>}
    </span>
  );
}
