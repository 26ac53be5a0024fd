import { type KeyboardEvent, lazy, Suspense, useEffect, useRef } from "react";
import { usePageDrop } from "./components/drop-zone.js";
import { useFocusableScrollAreas } from "./components/scroll-areas.js";
import { useAppState, type ViewId, views } from "./lib/app-state.js";
import { routeDroppedFiles } from "./lib/drop-router.js";
import { designNames, designOf } from "./lib/registry.js";

const WordView = lazy(() => import("./views/word/WordView.js"));
const LayoutsView = lazy(() => import("./views/layouts/LayoutsView.js"));
const BillView = lazy(() => import("./views/bill/BillView.js"));
const SurveyView = lazy(() => import("./views/survey/SurveyView.js"));
const FleetView = lazy(() => import("./views/fleet/FleetView.js"));

const components: Record<ViewId, React.ComponentType> = {
  word: WordView,
  layouts: LayoutsView,
  bill: BillView,
  survey: SurveyView,
  fleet: FleetView,
};

/** Keys typed into a form control are the control's, not shortcuts. */
const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName));

export function App() {
  const { view, design, setView, setDesign, registry } = useAppState();
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const main = useRef<HTMLElement>(null);
  useFocusableScrollAreas(main);
  // A file dropped anywhere loads where it belongs (a kernel's BTF in Layouts, a page map in Survey).
  const dragging = usePageDrop((files) => {
    void routeDroppedFiles(files).then((to) => {
      if (to !== view) setView(to);
    });
  });

  // Shortcuts: 1–5 pick a view, [ and ] the previous and next design.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
      const v = views.find((x) => x.key === e.key);
      if (v) {
        setView(v.id);
        return;
      }
      if (e.key === "[" || e.key === "]") {
        const i = designNames.indexOf(design as (typeof designNames)[number]);
        const next = (i + (e.key === "]" ? 1 : designNames.length - 1)) % designNames.length;
        setDesign(designNames[next]!);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [design, setView, setDesign]);

  // The tab list: arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = views.findIndex((v) => v.id === view);
    const next =
      e.key === "ArrowRight"
        ? (i + 1) % views.length
        : e.key === "ArrowLeft"
          ? (i + views.length - 1) % views.length
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? views.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    setView(views[next]!.id);
    tabs.current[next]?.focus();
  };

  const View = components[view];
  const d = designOf(design);
  return (
    <div className="app">
      <header className="app-header">
        <h1>
          <span className="logo" aria-hidden="true">
            ▦
          </span>{" "}
          memdesc explorer
        </h1>
        <div className="design-switch">
          <label htmlFor="design">Design</label>
          <select id="design" value={design} onChange={(e) => setDesign(e.target.value)}>
            {designNames.map((n) => (
              <option key={n} value={n}>
                {n} — {designOf(n).title}
              </option>
            ))}
          </select>
          <span className="design-note" data-testid="design-note">
            {d.typeBits === 0
              ? `${d.entryBytes}-byte struct page per page`
              : `${d.entryBytes} bytes per page, ${d.typeBits} type bits`}
          </span>
        </div>
        <div className="tabs" role="tablist" aria-label="Views" onKeyDown={onTabKey}>
          {views.map((v, i) => (
            <button
              key={v.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`tab-${v.id}`}
              aria-selected={v.id === view}
              aria-controls={`panel-${v.id}`}
              tabIndex={v.id === view ? 0 : -1}
              title={`${v.title} (key ${v.key})`}
              onClick={() => setView(v.id)}
            >
              {v.title}
            </button>
          ))}
        </div>
      </header>
      <main ref={main}>
        <div id={`panel-${view}`} role="tabpanel" aria-labelledby={`tab-${view}`} className="panel">
          <Suspense fallback={<p className="loading">Loading the {view} view…</p>}>
            <View />
          </Suspense>
        </div>
      </main>
      {dragging && (
        <div className="page-drop" data-testid="page-drop" aria-hidden="true">
          Drop to load: a snapshot or survey JSON (Survey), or a kernel's BTF (Layouts)
        </div>
      )}
      <footer className="app-footer">
        <p>
          Descriptor set: {[...new Set(registry.plugins.map((p) => p.name))].join(", ")} — the first-party set
          `memdesc` composes without a config, under <strong>{design}</strong>. Everything is computed in this
          page by @memdesc/core and the plugins; nothing is fetched. Keys: <kbd>1</kbd>–
          <kbd>{views.length}</kbd> views, <kbd>[</kbd> <kbd>]</kbd> previous and next design.
        </p>
      </footer>
    </div>
  );
}
