// @vitest-environment happy-dom
import { bill } from "@memdesc/core";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AppStateProvider } from "../../lib/app-state.js";
import BillView from "./BillView.js";
import { defaultMix, type Mix, mixPicture, mixRegistry } from "./mix.js";

const show = (design = "memdesc-8") => {
  window.history.replaceState(null, "", `#bill?design=${design}`);
  return render(
    <AppStateProvider>
      <BillView />
    </AppStateProvider>,
  );
};
const totals = () =>
  Object.fromEntries(
    [...screen.getByTestId("bill-totals").querySelectorAll<HTMLElement>("tbody tr")].map((tr) => [
      tr.dataset.design,
      Number(tr.dataset.total),
    ]),
  );
const expected = (mix: Mix, design: string) =>
  Object.fromEntries(
    bill(mixRegistry(design, mix.folioGrowth), mixPicture(mix).picture).designs.map((d) => [
      d.design,
      d.total,
    ]),
  );
const set = (label: string, value: number) =>
  fireEvent.change(screen.getByLabelText(`${label}, exact value`), { target: { value: String(value) } });

describe("Bill view", () => {
  afterEach(cleanup);

  it("prices the mix under every design, and follows the controls", () => {
    show();
    expect(totals()).toEqual(expected(defaultMix, "memdesc-8"));
    set("Machine RAM", 128);
    set("Anonymous memory", 40);
    set("order 9 (2 MiB, THP)", 50);
    const mix: Mix = {
      ...defaultMix,
      ramGiB: 128,
      shares: { ...defaultMix.shares, anon: 40 },
      folioOrders: { ...defaultMix.folioOrders, 9: 50 },
    };
    expect(totals()).toEqual(expected(mix, "memdesc-8"));
    // The slider moves in powers of two; its value text says the GiB.
    const slider = screen.getByRole("slider", { name: "Machine RAM" });
    expect(slider.getAttribute("aria-valuetext")).toBe("128 GiB");
    fireEvent.change(slider, { target: { value: "10" } });
    expect(totals()).toEqual(expected({ ...mix, ramGiB: 1024 }, "memdesc-8"));
  });

  it("shows what the struct folio grows to, and re-prices with the grown folio", () => {
    show();
    expect(screen.getByText("memdesc-era folio: 80 bytes small, 128 large")).toBeTruthy();
    set("struct folio grows by", 48);
    expect(screen.getByText("memdesc-era folio: 128 bytes small, 176 large")).toBeTruthy();
    expect(totals()).toEqual(expected({ ...defaultMix, folioGrowth: 48 }, "memdesc-8"));
  });

  it("says when the shares add up to more than the machine, and scales them", () => {
    show();
    set("Free memory", 80);
    expect(screen.getByTestId("share-sum").textContent).toBe("These add up to 141 %: scaled down to 100 %.");
  });

  it("adds the chosen design's column when it is not one of the four billed by default, and shows its arithmetic", () => {
    show("memdesc-8-v1");
    expect(Object.keys(totals())).toEqual(["today", "path-32", "buddy-16", "memdesc-8", "memdesc-8-v1"]);
    const open = screen.getByTestId("arithmetic").querySelector<HTMLDetailsElement>("details[open]")!;
    expect(open.dataset.design).toBe("memdesc-8-v1");
    expect(open.textContent).toMatch(/file \(folio\)[\d,]+ × 8 \+ [\d,]+ × 80/);
  });

  it("takes HVO as a parameter: today's bill shrinks by the hugetlb pool's freed struct pages", () => {
    show();
    set("HugeTLB pool", 20);
    const mix: Mix = { ...defaultMix, shares: { ...defaultMix.shares, hugetlb: 20 } };
    expect(totals()).toEqual(expected(mix, "memdesc-8"));
    const before = totals();
    fireEvent.click(screen.getByLabelText("HVO on today (vm.hugetlb_optimize_vmemmap = 1)"));
    const after = totals();
    expect(after).toEqual(expected({ ...mix, hvo: true }, "memdesc-8"));
    expect(after.today).toBeLessThan(before.today!);
    expect(after["memdesc-8"]).toBe(before["memdesc-8"]);
  });

  it("shows what a design needs outside the memmap, in the totals and the arithmetic", () => {
    show();
    const row = screen.getByTestId("bill-totals").querySelector<HTMLElement>('tr[data-design="memdesc-8"]')!;
    expect(Number(row.dataset.outside)).toBe(defaultMix.ramGiB * 262_144 * 4);
    const open = screen.getByTestId("arithmetic").querySelector<HTMLDetailsElement>("details[open]")!;
    expect(open.textContent).toMatch(/outside memmap[\d,]+ × 4 = [\d,]+/);
    expect(open.textContent).toMatch(/proposal/);
  });
});
