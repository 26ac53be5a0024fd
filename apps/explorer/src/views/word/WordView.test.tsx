// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppStateProvider } from "../../lib/app-state.js";
import { wordHex } from "../../lib/format.js";
import { firstPartyRegistry } from "../../lib/registry.js";
import { segmentsOf } from "../../lib/word-segments.js";
import WordView from "./WordView.js";

const show = (design = "memdesc-8") => {
  window.history.replaceState(null, "", `#word?design=${design}`);
  return render(
    <AppStateProvider>
      <WordView />
    </AppStateProvider>,
  );
};
const type = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label, { exact: true }), { target: { value } });

describe("Word view", () => {
  beforeEach(cleanup);
  afterEach(cleanup);

  it("encodes a folio pointer and draws the word's bits", () => {
    show();
    const codec = firstPartyRegistry("memdesc-8").codec;
    const word = codec.encode({ kind: "folio", address: 0xffff888100a3c240n });
    expect(screen.getByTestId("encoded-word").textContent).toBe(wordHex(word));
    const bits = screen.getByTestId("word-bits");
    expect(bits.querySelectorAll("[data-bit]")).toHaveLength(64);
    expect(bits.querySelector('[data-bit="1"] .bit-val')!.textContent).toBe("1");
    expect(bits.querySelector('[data-bit="0"] .bit-val')!.textContent).toBe("0");
    expect(within(bits).getByText("bits 63–4: descriptor address (16-byte aligned)")).toBeTruthy();
  });

  it("shows the codec's errors inline, under the control that caused them", () => {
    show();
    type("Descriptor address", "0xffff888100a3c248");
    const alert = screen.getByRole("alert");
    expect(alert.dataset.code).toBe("MISALIGNED");
    expect(alert.textContent).toMatch(/is not 16-byte aligned, so it would overwrite the type bits/);
    expect(screen.getByLabelText("Descriptor address", { exact: true }).getAttribute("aria-invalid")).toBe(
      "true",
    );
    type("Descriptor address", "0xfg");
    expect(screen.getByRole("alert").textContent).toMatch(/^INPUT/);
    type("Descriptor address", "0x1_0000_0000_0000_0000");
    expect(screen.getByRole("alert").dataset.code).toBe("ADDRESS_RANGE");
  });

  it("encodes an inline kind from its fields, and decoding a word fills the encoder in", () => {
    show();
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "misc" } });
    type("order (6 bits from bit 12)", "9");
    type("subtype (7 bits from bit 4)", "1");
    const codec = firstPartyRegistry("memdesc-8").codec;
    const expected = codec.encode({ kind: "misc", fields: { order: 9, subtype: 1 } });
    expect(screen.getByTestId("encoded-word").textContent).toBe(wordHex(expected));
    type("order (6 bits from bit 12)", "64");
    expect(screen.getByRole("alert").dataset.code).toBe("PAYLOAD_OVERFLOW");

    type("Word (hex)", "0x3011");
    const decoded = screen.getByTestId("decoded-word");
    expect(decoded.textContent).toContain("buddy");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("buddy");
    expect((screen.getByLabelText("order (4 bits from bit 4)") as HTMLInputElement).value).toBe("1");
    type("Word (hex)", "0x2");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("folio");
  });

  it("lists the composed set's type table, and has no word under today", () => {
    show();
    const rows = screen.getByTestId("type-table").querySelectorAll("tbody tr");
    const registry = firstPartyRegistry("memdesc-8");
    expect([...rows].map((r) => (r as HTMLElement).dataset.kind)).toEqual(
      registry.typeTable().map((t) => t.kind),
    );
    cleanup();
    show("today");
    expect(screen.queryByTestId("word-bits")).toBeNull();
    // No word to encode or decode: said once, and no error on arrival.
    expect(screen.queryAllByRole("alert")).toEqual([]);
    expect(screen.getByTestId("no-word").textContent).toMatch(/nothing to encode or decode/);
  });

  it("says when a word's tag belongs to no kind of this set, and both panes show that word", () => {
    show();
    const registry = firstPartyRegistry("memdesc-8");
    for (const [text, tag] of [
      ["0x4", 4],
      ["0b1010", 10],
      ["f", 15],
    ] as const) {
      type("Word (hex)", text);
      const kind = screen.getByTestId("decoded-word").querySelector<HTMLElement>("dd[data-kind]")!;
      expect(kind.dataset.inSet, text).toBe("false");
      const row = registry.design.typeTable.find((e) => e.tag === tag);
      expect(kind.textContent).toBe(
        row
          ? `${row.kind}: not a kind of this set — memdesc-8 sets tag ${tag} aside for ${row.meaning}, which no plugin of this set describes.`
          : `no kind: not a kind of this set — memdesc-8 assigns tag ${tag} to nothing.`,
      );
      // The encoder says the same and shows the decoder's word, not another kind's fields.
      expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("");
      expect(screen.getByTestId("encoder-foreign").textContent).toMatch(/not a kind of this set/);
      expect(screen.queryByLabelText("Descriptor address", { exact: true })).toBeNull();
      expect(screen.getByTestId("encoded-word").textContent).toBe(
        wordHex(BigInt(text.startsWith("0") ? text : `0x${text}`)),
      );
    }
    // A word of a kind of the set fills the encoder in again.
    type("Word (hex)", "0x3");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("anon");
    expect(screen.queryByTestId("encoder-foreign")).toBeNull();
  });

  it("reads a word as dump_page() prints it, bare hex; decimal with 0d or the switch", () => {
    show();
    const codec = firstPartyRegistry("memdesc-8").codec;
    type("Word (hex)", "ffff888100a3c242");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("folio");
    expect((screen.getByLabelText("Descriptor address", { exact: true }) as HTMLInputElement).value).toBe(
      "0xffff888100a3c240",
    );
    type("Word (hex)", "18");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe(codec.kindOf(0x8));
    type("Word (hex)", "0d18");
    expect(screen.getByTestId("decoded-word").querySelector("dd[data-tag]")!.textContent).toBe(
      String(18 & 15),
    );
    // The switch re-reads what is typed, in both panes.
    type("Word (hex)", "18");
    fireEvent.click(screen.getByLabelText(/Bare digits are decimal/));
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe(codec.kindOf(18 & 15));
    expect(screen.getByTestId("decoded-word").querySelector("dd[data-tag]")!.textContent).toBe(
      String(18 & 15),
    );
    type("Word (hex)", "ff");
    expect(screen.getByRole("alert").textContent).toMatch(/"ff" is not a decimal number/);
  });

  it("names Misc's subtypes from core's table, typed by name or number", () => {
    show();
    const codec = firstPartyRegistry("memdesc-8").codec;
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "misc" } });
    type("subtype (7 bits from bit 4)", "zero");
    expect(screen.getByTestId("subtype-name").textContent).toBe("1: zero");
    expect(screen.getByTestId("encoded-word").textContent).toBe(
      wordHex(codec.encode({ kind: "misc", fields: { subtype: 1 } })),
    );
    type("subtype (7 bits from bit 4)", "6");
    expect(screen.getByTestId("subtype-name").textContent).toBe("6: kmalloc_large");
    const decoded = screen.getByTestId("decoded-word").querySelector('[data-field="subtype"]')!;
    expect(decoded.textContent).toMatch(/^6 \(0x6\) kmalloc_large$/);
  });

  it("takes a dump_page() report and shows that page's word, as the page map does", () => {
    show();
    const registry = firstPartyRegistry("memdesc-8");
    fireEvent.change(screen.getByLabelText(/Paste a dump_page\(\) report/), {
      target: {
        value:
          "[  1.5] page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10c3e2\n[  1.5] head: order:1 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0\n[  1.5] flags: 0x17ffffc0000040(head|node=0|zone=2|lastcpupid=0x1fffff)\n[  1.5] page_type: f5(slab)",
      },
    });
    const panel = screen.getByTestId("page-word");
    expect(panel.dataset).toMatchObject({ pfn: String(0x10c3e2), use: "slab", kind: "slab", order: "1" });
    expect(panel.dataset.word).toBe(
      `0x${registry.codec.encode({ kind: "slab", address: 0xffff888100a3c240n }).toString(16)}`,
    );
    expect(Number(panel.dataset.size)).toBe(registry.descriptorSize("slab", 1)!.size);
    fireEvent.change(screen.getByLabelText(/Paste a dump_page\(\) report/), { target: { value: "hello" } });
    expect(screen.getByTestId("dump-page-error").textContent).toMatch(/no "page: refcount:… pfn:0x…" line/);
  });

  it("lays out a word: type bits, alignment zeros and address, or an inline kind's fields", () => {
    const registry = firstPartyRegistry("path-32");
    const d = registry.design;
    expect(segmentsOf(d, undefined).map((s) => [s.high, s.low, s.role])).toEqual([
      [63, 4, "address"],
      [3, 0, "type"],
    ]);
    // A buddy word in path-32 is a list pointer: only its low two bits are the type.
    const link = segmentsOf(d, [{ name: "link", bit: 2, width: 62 }], "buddy", 0);
    expect(link.map((s) => [s.high, s.low, s.label])).toEqual([
      [63, 2, "link"],
      [1, 0, "type"],
    ]);
  });

  it("gives every type-table row, the design and the inline fields their source", () => {
    show();
    const registry = firstPartyRegistry("memdesc-8");
    const rows = [...screen.getByTestId("type-table").querySelectorAll<HTMLElement>("tbody tr")];
    const basis = (kind: string) =>
      rows.find((r) => r.dataset.kind === kind)!.querySelector<HTMLElement>("[data-basis]")!.dataset.basis;
    for (const t of registry.typeTable()) expect(basis(t.kind), t.kind).toBe(t.provenance?.basis);
    expect(basis("ptdesc")).toBe("plan");
    expect(basis("ioptdesc")).toBe("proposal");
    expect(basis("anon")).toBe("plan");
    expect(screen.getByTestId("design-source").textContent).toMatch(/plan.*Memdescs/);
    expect(screen.getByTestId("design-source").textContent).toMatch(/u64 \(8 bytes\) on every ABI/);
    expect(screen.getByTestId("design-source").textContent).toMatch(/Outside the memmap: .*4 bytes per page/);
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "buddy" } });
    const fields = screen.getByTestId("field-table");
    expect(fields.querySelector('tr[data-field="order"] [data-basis]')!.getAttribute("data-basis")).toBe(
      "proposal",
    );
  });

  it("under buddy-16, encodes and decodes the whole 16-byte entry: next in word 0, order and prev in word 1", () => {
    show("buddy-16");
    const codec = firstPartyRegistry("buddy-16").codec;
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "buddy" } });
    type("order (4 bits from bit 0 of word 1)", "9");
    type("next (60 bits from bit 4)", "0x123");
    const entry = codec.encodeEntry({ kind: "buddy", fields: { order: 9, next: 0x123 } });
    expect(screen.getByTestId("encoded-word").textContent).toBe(wordHex(entry[0]!));
    expect(screen.getByTestId("encoded-word-1").textContent).toBe(`word 1: ${wordHex(entry[1]!)}`);
    expect(screen.getAllByTestId("word-bits")).toHaveLength(2);
    type("Word 1 of the entry (hex)", "0x55");
    const decoded = screen.getByTestId("decoded-word").textContent;
    expect(decoded).toMatch(/order5/);
    expect(decoded).toMatch(/prev5/);
    expect((screen.getByLabelText("order (4 bits from bit 0 of word 1)") as HTMLInputElement).value).toBe(
      "5",
    );
  });
});
