// @vitest-environment happy-dom
import { formatPahole } from "@memdesc/core";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AppStateProvider } from "../../lib/app-state.js";
import { firstPartyRegistry } from "../../lib/registry.js";
import LayoutsView from "./LayoutsView.js";
import { byteRows, layoutRows } from "./layout-model.js";

const show = (design = "memdesc-8") => {
  window.history.replaceState(null, "", `#layouts?design=${design}`);
  return render(
    <AppStateProvider>
      <LayoutsView />
    </AppStateProvider>,
  );
};

describe("layout rows and the byte map", () => {
  const registry = firstPartyRegistry("memdesc-8");

  it("follow pahole's printout line by line: nesting, arrays, holes, cachelines, the summary", () => {
    const today = registry.todayLayout("folio");
    const text = formatPahole(today);
    const rows = layoutRows(today);
    // One row per line that is not blank, in order, each row the line it came from.
    expect(rows.map((r) => (r.type === "pahole" ? r.row.text : ""))).toEqual(
      text.split("\n").filter((l) => l.trim() !== ""),
    );
    const pahole = rows.flatMap((r) => (r.type === "pahole" ? [r.row] : []));
    // What the old table lost: array sizes, and members kept inside the aggregates that hold them.
    expect(pahole.find((r) => r.name === "_usable_1")).toMatchObject({
      array: "[4]",
      size: 32,
      type: "long unsigned int",
    });
    for (const name of ["_mm_id_mapcount", "_mm_id"])
      expect(pahole.find((r) => r.name === name)?.array, name).toBe("[2]");
    // Every open has its close, deeper rows between them.
    for (const open of pahole.filter((r) => r.kind === "open")) {
      const close = pahole.find((r) => r.line === open.match)!;
      expect(close.kind).toBe("close");
      const inside = pahole.filter((r) => r.line > open.line && r.line < close.line);
      expect(
        inside.every((r) => r.depth > open.depth),
        `line ${open.line}`,
      ).toBe(true);
      expect(inside.length).toBeGreaterThan(0);
    }
    const small = layoutRows(registry.memdescLayouts("folio").small!).flatMap((r) =>
      r.type === "pahole" ? [r.row] : [],
    );
    const hole = small.findIndex((r) => r.kind === "hole");
    expect(small[hole]).toMatchObject({ holeBytes: 3 });
    expect(small[hole - 1]).toMatchObject({ kind: "member", name: "order", offset: 60 });
    expect(small[hole + 1]).toMatchObject({ kind: "cacheline", offset: 64, cacheline: 1 });
    // Members of named nested structs only when asked for, after their struct and one level deeper.
    expect(rows.some((r) => r.type === "expanded")).toBe(false);
    const nested = layoutRows(today, {}, true);
    const lru = nested.findIndex((r) => r.type === "pahole" && r.row.path === "lru");
    expect(nested[lru + 1]).toMatchObject({ type: "expanded", field: { path: "lru.next" } });
    expect((nested[lru + 1] as { depth: number }).depth).toBe(
      (nested[lru] as { row: { depth: number } }).row.depth + 1,
    );
    expect(new Set(nested.map((r) => r.key)).size).toBe(nested.length);
  });

  it("covers every byte once, in rows of eight, naming the first arm of a union", () => {
    for (const kind of ["folio", "slab", "ptdesc", "ioptdesc", "zpdesc", "netmem"]) {
      for (const l of [registry.todayLayout(kind), ...Object.values(registry.memdescLayouts(kind))]) {
        const rows = byteRows(l);
        expect(
          rows.flat().reduce((s, b) => s + b.size, 0),
          `${kind} ${l.name}`,
        ).toBe(l.size);
        expect(rows.every((r) => r.reduce((s, b) => s + b.size, 0) <= 8)).toBe(true);
      }
    }
    const small = byteRows(registry.memdescLayouts("folio").small!);
    expect(small[7]!.map((s) => [s.label, s.size, s.role])).toEqual([
      ["_pincount", 4, "member"],
      ["order", 1, "member"],
      ["hole", 3, "hole"],
    ]);
  });
});

describe("Layouts view", () => {
  afterEach(cleanup);

  it("shows today's layout beside the memdesc-era ones, and the overlay rules marked pass or fail", () => {
    show();
    const cards = screen.getAllByTestId("layout-card");
    expect(cards.map((c) => c.dataset.size)).toEqual(["256", "80", "128", "160"]);
    expect(within(cards[1]!).getByText("XXX 3 bytes hole, try to pack")).toBeTruthy();
    const summary = screen.getByTestId("rule-summary");
    const results = firstPartyRegistry("memdesc-8")
      .checkOverlays()
      .filter((r) => r.kind === "folio")
      .flatMap((r) => r.results);
    expect(Number(summary.dataset.pass)).toBe(results.filter((r) => r.status === "pass").length);
    expect(screen.getByTestId("overlay-rules").querySelectorAll("tbody tr")).toHaveLength(results.length);
    fireEvent.change(screen.getByLabelText("Descriptor"), { target: { value: "slab" } });
    const registry = firstPartyRegistry("memdesc-8");
    const slab = registry.memdescLayouts("slab").default!;
    expect(screen.getAllByTestId("layout-card").map((c) => c.dataset.size)).toEqual([
      String(registry.todayLayout("slab").size),
      String(slab.size),
    ]);
    const rounded = registry.descriptorSize("slab", 1)!.rounded;
    expect(
      screen.getByText(new RegExp(`allocated from a slab cache: ${rounded} bytes each under memdesc-8`)),
    ).toBeTruthy();
  });

  it("under today, says the descriptor costs nothing beyond struct page", () => {
    show("today");
    expect(
      screen.getByText(/Under today the descriptor costs nothing beyond the 64-byte struct page/),
    ).toBeTruthy();
  });

  it("says where each layout and field comes from, and how a descriptor finds its memory", () => {
    show();
    fireEvent.change(screen.getByLabelText("Descriptor"), { target: { value: "ptdesc" } });
    const registry = firstPartyRegistry("memdesc-8");
    const sources = registry.provenanceOf("ptdesc");
    const cards = screen.getAllByTestId("layout-card");
    const bases = cards.map((c) => within(c).getByTestId("layout-source").dataset.basis);
    expect(bases).toEqual([sources.today!.basis, ...Object.values(sources.memdesc).map((p) => p!.basis)]);
    expect(bases[0]).toBe("kernel");
    // The memdesc-era ptdesc keeps its page's PFN: 56 bytes, 64 in its cache, and says so.
    const era = cards[1]!;
    expect(era.dataset.size).toBe("56");
    expect(within(era).getByText(/64 bytes each under memdesc-8/)).toBeTruthy();
    expect(within(era).getByTestId("way-back").textContent).toMatch(/pfn field holds the PFN/);
    expect(era.querySelector('[data-field-source="inferred"]')).not.toBeNull();
    // Today's overlay needs no way back: the descriptor is the struct page.
    expect(within(cards[0]!).queryByTestId("way-back")).toBeNull();
  });
});
