import { formatProvenance, type PayloadField, type Provenance } from "@memdesc/core";
import type { Context } from "../context.js";
import { printJson } from "../output/json.js";
import { table } from "../output/table.js";
import type { TypesOutput } from "../schemas.js";
import { type AnyRegistry, composeFrom } from "./shared.js";

/** `memdesc types`: the design's word layout and the composed set's type table. */
export default async function types(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const comp = await composeFrom(ctx.cwd, opts);
  const output = typesOutput(comp.registry);
  if (ctx.json) return printJson(ctx, output);
  const { c } = ctx;
  const d = output.design;
  const notes = new Footnotes();
  let out = `${c.bold(`${d.name}: ${d.title}`)}\n`;
  if (d.description) out += wrap(d.description, 100, "  ");
  out += `  source: ${d.provenance ? formatProvenance(d.provenance, { notes: true }) : "undeclared"}\n`;
  out += "\n";
  if (d.typeBits === 0) {
    out += `no memdesc word: every page has a ${d.entryBytes}-byte struct page, and each kind's descriptor overlays it\n\n`;
    out += table(
      [{ header: "kind" }, { header: "storage" }, { header: "plugin" }, { header: "what" }],
      output.types.map((t) => [t.kind, t.storage, t.plugin, t.meaning]),
      { header: c.bold },
    );
    return ctx.out(out);
  }
  const u64 = d.wordBits === 64 ? "a u64, 8 bytes on 32-bit kernels too" : `${d.wordBitsReason}`;
  out += `${c.bold("word")}: ${d.wordBits} bits (${u64}), in a page entry of ${d.entryBytes} bytes; the low ${d.typeBits} bits are the type\n`;
  out += `${diagram(output.word, d.wordBits)}\n`;
  if (d.tagDecoding === "buddy-low2")
    out +=
      "  a word whose low two bits are 00 is a buddy page's list pointer: tags 0, 4, 8 and 12 all read as buddy\n";
  out += `\n${c.bold("type table")} (${output.types.length} of ${2 ** d.typeBits} tags used)\n`;
  const rows: string[][] = [];
  for (const t of output.types) {
    rows.push([String(t.tag), t.kind, t.storage, t.plugin, t.meaning, notes.ref(t.provenance)]);
    if (t.payload.length > 0)
      for (const line of payloadLines(t.payload, t.provenance, notes)) rows.push(["", "", "", "", ...line]);
  }
  out += table(
    [
      { header: "tag", align: "right" },
      { header: "kind" },
      { header: "storage" },
      { header: "plugin" },
      { header: "meaning" },
      { header: "source" },
    ],
    rows,
    { header: c.bold },
  );
  if (output.unassigned.length > 0) {
    out += `\nset aside by ${d.name} for kinds not in this set:\n`;
    out += table(
      [{ header: "tag", align: "right" }, { header: "kind" }, { header: "meaning" }, { header: "source" }],
      output.unassigned.map((u) => [String(u.tag), u.kind ?? "-", u.meaning, notes.ref(u.provenance)]),
    );
  }
  for (const o of d.outsideMemmap)
    out += `\noutside the memmap: ${o.what}, ${o.bytesPerPage} bytes per page of RAM ${notes.ref(o.provenance)}\n`;
  out += `\n${c.bold("sources")}\n${notes.text()}`;
  ctx.out(out);
}

/** Numbered sources for a table: `plan [1]`, and the list of what each number stands for. */
class Footnotes {
  private readonly list: string[] = [];
  ref(p: Provenance | null | undefined): string {
    if (!p) return "undeclared";
    const text = formatProvenance(p, { notes: true });
    let i = this.list.indexOf(text);
    if (i < 0) i = this.list.push(text) - 1;
    return `${p.basis} [${i + 1}]`;
  }
  text(): string {
    return this.list.map((t, i) => `  [${i + 1}] ${t}\n`).join("");
  }
}

/**
 * An inline kind's fields as table cells, grouped by source: `inline: subtype 10..4, mappable 11, order 17..12`
 * beside its row's source, then the fields whose place has a source of its own (inferred, a proposal).
 */
function payloadLines(
  fields: TypesOutput["types"][number]["payload"],
  row: Provenance | null | undefined,
  notes: Footnotes,
): [string, string][] {
  const groups = new Map<string, { p: Provenance | null | undefined; fields: typeof fields }>();
  for (const f of fields) {
    const p = f.provenance ?? row;
    const key = JSON.stringify(p ?? null);
    const g = groups.get(key) ?? { p, fields: [] };
    g.fields.push(f);
    groups.set(key, g);
  }
  return [...groups.values()].map((g, i) => [
    `${i === 0 ? "inline: " : "        "}${payloadText(g.fields)}`,
    notes.ref(g.p),
  ]);
}

export function typesOutput(registry: AnyRegistry): TypesOutput {
  const design = registry.design;
  const table = registry.typeTable();
  const alignBits = Math.log2(design.descriptorAlign);
  const word: TypesOutput["word"] = [];
  if (design.typeBits > 0) {
    word.push({
      high: design.wordBits - 1,
      low: alignBits,
      field: `descriptor address (${design.descriptorAlign}-byte aligned)`,
    });
    if (alignBits > design.typeBits)
      word.push({ high: alignBits - 1, low: design.typeBits, field: "zero (alignment)" });
    word.push({ high: design.typeBits - 1, low: 0, field: "type" });
  }
  const types = table.map((t) => ({
    tag: t.tag,
    kind: t.kind,
    storage: t.storage,
    plugin: t.plugin,
    meaning: t.meaning,
    provenance: t.provenance ?? null,
    payload: registry.payloadOf(t.kind).map(payloadOut),
  }));
  if (design.typeBits === 0)
    for (const p of registry.plugins)
      types.push({
        tag: 0,
        kind: p.kind,
        storage: p.storage,
        plugin: p.name,
        meaning: p.today
          ? `${p.title}: overlays struct page (${registry.todayLayout(p.kind).size} bytes)`
          : p.title,
        provenance: registry.provenanceOf(p.kind).today ?? null,
        payload: [],
      });
  const taken = new Set(table.map((t) => t.tag));
  const kinds = new Set(table.map((t) => t.kind));
  // Tags that alias a kind of the set (buddy's 4, 8 and 12 in path-32) are not free for others either.
  const unassigned = design.typeTable
    .filter((e) => !taken.has(e.tag) && !(e.kind && kinds.has(e.kind)))
    .map((e) => ({
      tag: e.tag,
      kind: e.kind ?? null,
      meaning: e.meaning,
      storage: e.storage,
      provenance: e.provenance ?? design.provenance ?? null,
    }));
  return {
    design: {
      name: design.name,
      title: design.title,
      description: design.description,
      provenance: design.provenance ?? null,
      entryBytes: design.entryBytes,
      wordBits: design.wordBits,
      wordBitsReason: design.wordBitsReason ?? null,
      typeBits: design.typeBits,
      descriptorAlign: design.descriptorAlign,
      overlay: design.overlay,
      tagDecoding: design.tagDecoding,
      outsideMemmap: design.outsideMemmap.map((o) => ({ ...o })),
    },
    word,
    types: design.typeBits === 0 ? types.map((t) => ({ ...t, tag: 0 })) : types,
    unassigned,
  };
}

/** A payload field as the JSON gives it. */
function payloadOut(f: PayloadField): TypesOutput["types"][number]["payload"][number] {
  return {
    name: f.name,
    word: f.word ?? 0,
    bit: f.bit,
    width: f.width,
    meaning: f.meaning ?? null,
    provenance: f.provenance ?? null,
  };
}

/** `subtype 10..4, mappable 11, order 17..12`; `prev 63..4 of word 1` for a field past the memdesc word. */
function payloadText(fields: readonly { name: string; bit: number; width: number; word?: number }[]): string {
  return fields
    .map(
      (f) =>
        `${f.name} ${f.width === 1 ? f.bit : `${f.bit + f.width - 1}..${f.bit}`}${f.word ? ` of word ${f.word}` : ""}`,
    )
    .join(", ");
}

/**
 * The word as boxes, high bit on the left, like the diagrams in the kernel's Documentation/:
 *
 *    63                                     4 3      0
 *   +----------------------------------------+--------+
 *   | descriptor address (16-byte aligned)   |  type  |
 *   +----------------------------------------+--------+
 */
function diagram(fields: TypesOutput["word"], wordBits: number): string {
  const widths = fields.map((f) =>
    Math.max(f.field.length + 2, String(f.high).length + String(f.low).length + 3),
  );
  const top = fields
    .map((f, i) => {
      const w = widths[i]!;
      const hi = String(f.high);
      const lo = String(f.low);
      return f.high === f.low ? hi.padEnd(w) : hi + lo.padStart(w - hi.length);
    })
    .join(" ");
  const rule = `+${widths.map((w) => "-".repeat(w)).join("+")}+`;
  const mid = `|${fields.map((f, i) => center(f.field, widths[i]!)).join("|")}|`;
  void wordBits;
  return [`   ${top}`, `  ${rule}`, `  ${mid}`, `  ${rule}`].join("\n");
}

const center = (s: string, w: number) => {
  const left = Math.floor((w - s.length) / 2);
  return " ".repeat(left) + s + " ".repeat(w - s.length - left);
};

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && indent.length + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}\n`).join("");
}
