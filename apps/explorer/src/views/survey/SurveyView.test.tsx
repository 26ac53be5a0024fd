// @vitest-environment happy-dom
import { readSnapshot, samples, surveyBill, survey as surveyOf, surveyReport } from "@memdesc/kpageflags";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../../vite.config.js";
import { AppStateProvider } from "../../lib/app-state.js";
import { firstPartyPackages, firstPartyRegistry } from "../../lib/registry.js";
import SurveyView from "./SurveyView.js";
import { cancelLoad, loadFile, resetSurveyState, surveyStore } from "./store.js";

let json = "";
let expected: ReturnType<typeof surveyBill>;

beforeAll(async () => {
  const snap = readSnapshot(sampleSnapshot);
  const s = await surveyOf(snap.source, { root: snap.root() });
  json = JSON.stringify(surveyReport(s, firstPartyRegistry("path-32")));
  expected = surveyBill(s, firstPartyRegistry("path-32"));
});

const show = () => {
  window.history.replaceState(null, "", "#survey?design=path-32");
  return render(
    <AppStateProvider>
      <SurveyView />
    </AppStateProvider>,
  );
};

describe("Survey view", () => {
  afterEach(() => {
    cleanup();
    resetSurveyState();
  });

  it("bills a loaded survey JSON with the first-party registry, every number in data attributes", async () => {
    await act(() => loadFile(new File([json], "host.json", { type: "application/json" })));
    show();
    await screen.findByTestId("survey-results");
    expect(screen.getByTestId("load-status").textContent).toMatch(/^Showing host\.json \(the survey in/);
    const rows = [...screen.getByTestId("survey-bill").querySelectorAll<HTMLElement>("tbody tr")];
    const first = expected.designs[0]!;
    expect(rows.map((r) => r.dataset.use)).toEqual(first.uses.map((u) => u.use));
    for (const [i, row] of rows.entries()) {
      expect(Number(row.dataset.pages)).toBe(first.uses[i]!.pages);
      const cells = [...row.querySelectorAll<HTMLElement>("td[data-design]")];
      expect(cells.map((c) => [c.dataset.design, Number(c.dataset.bytes)])).toEqual(
        expected.designs.map((d) => [d.design, d.uses[i]!.total]),
      );
    }
    const totals = [...screen.getByTestId("survey-totals").querySelectorAll<HTMLElement>("tbody tr")];
    expect(totals.map((t) => Number(t.dataset.total))).toEqual(expected.designs.map((d) => d.total));
    expect(totals.find((t) => t.getAttribute("aria-current") === "true")?.dataset.design).toBe("path-32");
    // A survey JSON has no page map.
    expect(screen.queryByTestId("pagemap")).toBeNull();
    expect(screen.getByText(/load a snapshot to see every PFN/)).toBeTruthy();
  });

  it("says when a survey JSON was billed with another descriptor set", async () => {
    const other = JSON.stringify({
      ...JSON.parse(json),
      plugins: [{ package: "@memdesc/folio", version: "0.1.0", kind: "folio" }],
    });
    await act(() => loadFile(new File([other], "folio-only.json")));
    show();
    expect(screen.getByTestId("plugins-note").textContent).toMatch(
      /^folio-only\.json was billed with @memdesc\/folio; this page bills its survey with the first-party set/,
    );
    cleanup();
    resetSurveyState();
    const same = JSON.stringify({
      ...JSON.parse(json),
      plugins: firstPartyPackages.map((p) => ({ package: p, version: "0.1.0", kind: p.split("/")[1] })),
    });
    await act(() => loadFile(new File([same], "same.json")));
    show();
    await screen.findByTestId("survey-results");
    expect(screen.queryByTestId("plugins-note")).toBeNull();
  });

  it("keeps what it showed and says what is wrong when a bad file is loaded", async () => {
    await act(() => loadFile(new File([json], "host.json")));
    await act(() => loadFile(new File(['{"survey": {"uses": 3}}'], "bad.json")));
    show();
    const alert = screen.getByRole("alert");
    expect(alert.dataset.code).toBe("BAD_SURVEY");
    // The file is named once, in the heading.
    expect(alert.textContent).toMatch(/^Cannot load bad\.json: not a memdesc survey: field survey\./);
    expect(screen.getByTestId("survey-results").dataset.name).toBe("host.json");
    expect(
      screen.getByLabelText("Load a snapshot (.mdsnap) or survey JSON").getAttribute("aria-describedby"),
    ).toBe(alert.id);
  });

  it("loads the shipped sample by itself on a first visit", async () => {
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      fetched.push(String(url));
      return new Response(
        new Uint8Array(await import("node:fs").then((fs) => fs.readFileSync(sampleSnapshot))),
      );
    }) as typeof fetch;
    try {
      show();
      await waitFor(
        () =>
          expect(screen.getByTestId("load-status").textContent).toBe(
            `Showing the sample ${samples[0]!.name} (${samples[0]!.title}).`,
          ),
        {
          timeout: 20_000,
        },
      );
      expect(fetched).toHaveLength(1);
      expect(fetched[0]).toMatch(/sample.*\.mdsnap/);
      expect(screen.getByTestId("pfn-count").dataset.pfns).toBe("6553600");
      const legend = [...screen.getByTestId("pagemap-legend").querySelectorAll<HTMLElement>("li")];
      expect(legend.reduce((s, li) => s + Number(li.dataset.pages), 0)).toBe(6_553_600);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("refuses a file larger than any input, unread, with the CLI's limit", async () => {
    let read = false;
    const huge = {
      name: "huge.mdsnap",
      size: 3 * 2 ** 30,
      arrayBuffer: () => {
        read = true;
        return Promise.resolve(new ArrayBuffer(0));
      },
    } as unknown as File;
    await act(() => loadFile(huge));
    show();
    const alert = screen.getByRole("alert");
    expect(alert.dataset.code).toBe("TOO_BIG");
    expect(alert.textContent).toMatch(
      /huge\.mdsnap: 3\.0 GiB, more than the 1\.0 GiB a snapshot or survey can be/,
    );
    expect(read).toBe(false);
  });

  it("a load in progress can be cancelled, and what was shown stays", async () => {
    await act(() => loadFile(new File([json], "host.json")));
    // A file that takes forever to arrive, as a long decode would.
    const slow = { name: "slow.mdsnap", size: 100, arrayBuffer: () => new Promise<ArrayBuffer>(() => {}) };
    void loadFile(slow as unknown as File);
    show();
    expect(screen.getByTestId("load-status").textContent).toMatch(/^Loading slow\.mdsnap…/);
    await act(async () => {
      fireEvent.click(screen.getByTestId("cancel-load"));
    });
    expect(screen.getByTestId("load-status").textContent).toBe(
      "Cancelled loading slow.mdsnap. Showing host.json (the survey in `memdesc survey --json` output; no page map in a survey JSON).",
    );
    expect(screen.queryByTestId("cancel-load")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByTestId("survey-results").dataset.name).toBe("host.json");
    // Cancelling twice, or with nothing loading, does nothing.
    cancelLoad();
  });

  it("a page map to compare with loads and cancels apart from the one shown", async () => {
    await act(() => loadFile(new File([json], "host.json")));
    const slow = { name: "slow.mdsnap", size: 100, arrayBuffer: () => new Promise<ArrayBuffer>(() => {}) };
    void loadFile(slow as unknown as File, "b");
    show();
    expect(screen.getByTestId("compare-status").textContent).toMatch(/^Loading slow\.mdsnap…/);
    expect(screen.queryByTestId("cancel-load")).toBeNull();
    await act(async () => {
      fireEvent.click(screen.getByTestId("cancel-compare"));
    });
    expect(screen.getByTestId("compare-status").textContent).toBe("Cancelled loading slow.mdsnap.");
    expect(screen.getByTestId("load-status").textContent).toMatch(/^Showing host\.json/);
    expect(surveyStore.get().a.loaded?.name).toBe("host.json");
    expect(surveyStore.get().b).toMatchObject({
      loaded: undefined,
      loading: undefined,
      cancelled: "slow.mdsnap",
    });
    // A file too large for a survey is refused unread in the compare slot too.
    let read = false;
    const huge = {
      name: "huge.json",
      size: 3 * 2 ** 30,
      arrayBuffer: () => {
        read = true;
        return Promise.resolve(new ArrayBuffer(0));
      },
    };
    await act(() => loadFile(huge as unknown as File, "b"));
    expect(screen.getByTestId("compare-error").dataset.code).toBe("TOO_BIG");
    expect(read).toBe(false);
  });
});
