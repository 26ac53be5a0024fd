// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppStateProvider } from "../../lib/app-state.js";
import { wordHex } from "../../lib/format.js";
import { firstPartyRegistry } from "../../lib/registry.js";
import WordView from "./WordView.js";
import { segmentsOf } from "./word-model.js";

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
    expect(screen.getAllByRole("alert")[0]!.dataset.code).toBe("NO_WORD");
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
