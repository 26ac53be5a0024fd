// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { App } from "./App.js";
import { AppStateProvider, parseRoute, routeHash } from "./lib/app-state.js";

const renderApp = () =>
  render(
    <AppStateProvider>
      <App />
    </AppStateProvider>,
  );

describe("the app shell", () => {
  beforeEach(() => {
    window.history.replaceState(null, "", "#word");
  });
  afterEach(cleanup);

  it("keeps the view, the design and the view's own state in the URL", () => {
    expect(parseRoute("")).toEqual({ view: "survey", design: "memdesc-8", params: {} });
    expect(parseRoute("#bill?design=path-32")).toEqual({ view: "bill", design: "path-32", params: {} });
    expect(parseRoute("#nowhere?design=memdesc-99")).toEqual({
      view: "survey",
      design: "memdesc-8",
      params: {},
    });
    expect(parseRoute("#layouts?kind=slab&design=today&nested=1")).toEqual({
      view: "layouts",
      design: "today",
      params: { kind: "slab", nested: "1" },
    });
    expect(routeHash({ view: "layouts", design: "memdesc-8" })).toBe("#layouts");
    expect(routeHash({ view: "word", design: "today" })).toBe("#word?design=today");
    expect(
      routeHash({ view: "bill", design: "path-32", params: { from: "sample:x y", grow: "32", ram: "" } }),
    ).toBe("#bill?design=path-32&from=sample%3Ax+y&grow=32");
    for (const h of ["#bill?design=path-32&from=sample%3Ax+y&grow=32", "#layouts?kind=slab&nested=1"])
      expect(routeHash(parseRoute(h))).toBe(h);
  });

  it("remembers each view's state when going to another view and back, and a link restores it", async () => {
    window.history.replaceState(null, "", "#layouts?kind=slab");
    renderApp();
    const select = await screen.findByLabelText("Descriptor", {}, { timeout: 15_000 });
    expect((select as HTMLSelectElement).value).toBe("slab");
    fireEvent.change(select, { target: { value: "ptdesc" } });
    expect(window.location.hash).toBe("#layouts?kind=ptdesc");
    fireEvent.click(screen.getByRole("tab", { name: "Word" }));
    expect(window.location.hash).toBe("#word");
    fireEvent.click(screen.getByRole("tab", { name: "Layouts" }));
    expect(window.location.hash).toBe("#layouts?kind=ptdesc");
    // Back and forward walk the views, each with its state.
    act(() => {
      window.history.replaceState(null, "", "#layouts?kind=folio&nested=1");
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    expect((screen.getByLabelText("Descriptor") as HTMLSelectElement).value).toBe("folio");
    expect((screen.getByLabelText(/Show members of nested structs/) as HTMLInputElement).checked).toBe(true);
  });

  it("has labelled tabs and a labelled design switch that applies everywhere", async () => {
    renderApp();
    const tabs = screen.getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Word", "Layouts", "Bill", "Survey", "Fleet"]);
    expect(screen.getByRole("tab", { name: "Word" }).getAttribute("aria-selected")).toBe("true");
    await screen.findByRole("heading", { name: "The memdesc word under memdesc-8" });
    const design = screen.getByLabelText("Design") as HTMLSelectElement;
    fireEvent.change(design, { target: { value: "path-32" } });
    expect(window.location.hash).toBe("#word?design=path-32");
    await screen.findByRole("heading", { name: "The memdesc word under path-32" });
    expect(screen.getByText(/tags 0, 4, 8\s+and 12 all read as buddy/)).toBeTruthy();
  });

  it("switches views with the number keys, the arrow keys on the tabs, and [ ] for designs", async () => {
    renderApp();
    await screen.findByRole("heading", { name: "The memdesc word under memdesc-8" });
    act(() => {
      fireEvent.keyDown(window, { key: "2" });
    });
    // The Layouts view is loaded on first use (with @memdesc/btf for its kernel panel): in a cold test run its
    // modules are transformed then, which can take longer than findBy's default second on a busy machine.
    await screen.findByRole("heading", { name: "Descriptor layouts" }, { timeout: 15_000 });
    expect(window.location.hash).toBe("#layouts");
    fireEvent.keyDown(screen.getByRole("tablist"), { key: "ArrowRight" });
    expect(screen.getByRole("tab", { name: "Bill" }).getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(screen.getByRole("tab", { name: "Bill" }));
    fireEvent.keyDown(window, { key: "]" });
    expect((screen.getByLabelText("Design") as HTMLSelectElement).value).toBe("memdesc-8-2025");
    fireEvent.keyDown(window, { key: "[" });
    fireEvent.keyDown(window, { key: "[" });
    expect((screen.getByLabelText("Design") as HTMLSelectElement).value).toBe("buddy-16");
    // Keys typed into a control belong to it.
    fireEvent.keyDown(screen.getByLabelText("Design"), { key: "1" });
    expect(screen.getByRole("tab", { name: "Bill" }).getAttribute("aria-selected")).toBe("true");
    act(() => {
      fireEvent.keyDown(window, { key: "5" });
    });
    await screen.findByRole("heading", { name: "A fleet's saving, host by host" }, { timeout: 10_000 });
    expect(window.location.hash).toBe("#fleet?design=buddy-16");
  });
});
