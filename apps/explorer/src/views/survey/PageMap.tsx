import { memoryUses } from "@memdesc/core";
import { describeFlags, flagWordHex, type SurveyUse, surveyUses } from "@memdesc/kpageflags/browser";
import {
  type KeyboardEvent,
  type PointerEvent,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { hex, int, parseNumber } from "../../lib/format.js";
import { rgbaWord, useColors } from "../../lib/uses.js";
import type { Analysis } from "../../workers/analyze.js";
import { pagesPerUse, runAt } from "../../workers/usemap.js";
import { cellRange, composition, geometry, type MapView, renderPageMap } from "./pagemap-render.js";

const palette = Uint32Array.from(surveyUses, (u) => rgbaWord(useColors[u]));
const background = rgbaWord("#fbfbfb");
const HEIGHT = 384;

/** What the info line shows: the cell under the pointer (or the PFN asked for). */
interface Probe {
  readonly start: number;
  readonly end: number;
  readonly x: number;
  readonly y: number;
  /** Whether the pointer (not the keyboard) put it there: only then does the tooltip follow it. */
  readonly pointer: boolean;
}

/**
 * Every PFN of the snapshot on a canvas, coloured by its use: zoom with the wheel, the buttons or + and −,
 * pan by dragging or with the arrow and page keys, hover (or type a PFN) to see its flags and use.
 */
export function PageMap({
  analysis,
  kindOf,
}: {
  analysis: Analysis;
  /** The registry kind that describes a use (file → folio), for the hover. */
  kindOf: (use: SurveyUse) => string | undefined;
}) {
  const runs = analysis.uses;
  const n = runs.pfnCount;
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [view, setView] = useState<MapView>({ level: 0, firstRow: 0 });
  const [probe, setProbe] = useState<Probe | undefined>();
  const [pfnText, setPfnText] = useState("");
  const [pfnError, setPfnError] = useState<string | undefined>();
  const firstDraw = useRef(true);
  const ids = { pfn: useId(), help: useId(), info: useId(), pfnErr: useId() };

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(64, Math.floor(el.clientWidth)));
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A new snapshot starts fitted, and its first drawing is what the bench times.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the data changes
  useEffect(() => {
    setView({ level: 0, firstRow: 0 });
    setProbe(undefined);
    firstDraw.current = true;
  }, [analysis]);

  const g = useMemo(() => geometry(n, width, HEIGHT, view), [n, width, view]);
  const perUse = useMemo(() => pagesPerUse(runs, surveyUses.length), [runs]);

  useEffect(() => {
    const c = canvas.current;
    if (!c || width === 0) return;
    const ctx = c.getContext("2d");
    if (!ctx) return;
    const t0 = performance.now();
    performance.mark("pagemap:render-start");
    const image = ctx.createImageData(width, HEIGHT);
    renderPageMap(runs, g, width, HEIGHT, new Uint32Array(image.data.buffer), palette, background);
    ctx.putImageData(image, 0, 0);
    if (probe && !probe.pointer) {
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      const col = (probe.start / g.cellPfns) % g.cols;
      const row = Math.floor(probe.start / g.cellPfns / g.cols) - g.firstRow;
      ctx.strokeRect(col * g.cellPx - 1, row * g.cellPx - 1, g.cellPx + 2, g.cellPx + 2);
    }
    performance.mark("pagemap:render-end");
    performance.measure("pagemap:render", "pagemap:render-start", "pagemap:render-end");
    c.dataset.renderMs = (performance.now() - t0).toFixed(2);
    c.dataset.renders = String(Number(c.dataset.renders ?? 0) + 1);
    if (firstDraw.current) {
      firstDraw.current = false;
      performance.mark("pagemap:first-render");
      c.dataset.firstRenderMs = c.dataset.renderMs;
    }
  }, [runs, g, width, probe]);

  // Zoom around a point: the PFN under it stays under it.
  const zoomAt = (delta: number, y = HEIGHT / 2, x = width / 2) => {
    const under = cellRange(g, n, x, y)?.[0] ?? g.firstRow * g.cols * g.cellPfns;
    const level = Math.min(g.maxLevel, Math.max(0, view.level + delta));
    const ng = geometry(n, width, HEIGHT, { level, firstRow: 0 });
    const row = Math.floor(under / (ng.cols * ng.cellPfns));
    setView({ level, firstRow: row - Math.floor(y / ng.cellPx) });
  };
  const pan = (rows: number) => setView((v) => ({ ...v, firstRow: g.firstRow + rows }));

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1 : -1, e.clientY - r.top, e.clientX - r.left);
    };
    c.addEventListener("wheel", onWheel, { passive: false });
    return () => c.removeEventListener("wheel", onWheel);
  });

  const drag = useRef<{ y: number; row: number } | undefined>(undefined);
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    if (drag.current) {
      setView((v) => ({ ...v, firstRow: drag.current!.row - Math.round((y - drag.current!.y) / g.cellPx) }));
      return;
    }
    const cell = cellRange(g, n, x, y);
    setProbe(cell ? { start: cell[0], end: cell[1], x, y, pointer: true } : undefined);
  };

  const onKey = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const page = Math.max(1, g.visibleRows - 1);
    // A switch, not a table of arrow functions keyed "ArrowUp", which linters take for components.
    let act: (() => void) | undefined;
    switch (e.key) {
      case "+":
      case "=":
        act = () => zoomAt(1);
        break;
      case "-":
      case "_":
        act = () => zoomAt(-1);
        break;
      case "0":
        act = () => setView({ level: 0, firstRow: 0 });
        break;
      case "ArrowUp":
        act = () => pan(-1);
        break;
      case "ArrowDown":
        act = () => pan(1);
        break;
      case "PageUp":
        act = () => pan(-page);
        break;
      case "PageDown":
        act = () => pan(page);
        break;
      case "Home":
        act = () => pan(-g.totalRows);
        break;
      case "End":
        act = () => pan(g.totalRows);
        break;
    }
    if (act) {
      e.preventDefault();
      e.stopPropagation();
      act();
    }
  };

  const inspect = (text: string) => {
    setPfnText(text);
    if (text.trim() === "") return setPfnError(undefined);
    const v = parseNumber(text);
    const start = analysis.uses.startPfn;
    if (v === undefined || v < BigInt(start) || v >= BigInt(start + n)) {
      setPfnError(`give a PFN from ${hex(start)} to ${hex(start + n - 1)} (decimal or 0x hex)`);
      return;
    }
    setPfnError(undefined);
    const offset = Number(v) - start;
    // Zoom until one cell is one PFN at least 4 pixels wide, and scroll the PFN into the middle.
    const one = geometry(n, width, HEIGHT, { level: 0, firstRow: 0 });
    const level = Math.ceil(Math.log2(Math.max(1, Math.ceil(n / (one.cols * one.visibleRows))))) + 2;
    const ng = geometry(n, width, HEIGHT, { level, firstRow: 0 });
    const row = Math.floor(offset / (ng.cols * ng.cellPfns));
    setView({ level, firstRow: row - Math.floor(ng.visibleRows / 2) });
    setProbe({ start: offset, end: offset + 1, x: 0, y: 0, pointer: false });
  };

  const info = probe ? describe(analysis, probe.start, probe.end, kindOf) : undefined;
  return (
    <section className="pagemap" aria-labelledby="pagemap-heading">
      <h3 id="pagemap-heading">Page map: {int(n)} PFNs</h3>
      <div className="pagemap-controls" role="toolbar" aria-label="Page map zoom">
        <button type="button" onClick={() => zoomAt(1)} disabled={view.level >= g.maxLevel}>
          Zoom in
        </button>
        <button type="button" onClick={() => zoomAt(-1)} disabled={view.level <= 0}>
          Zoom out
        </button>
        <button type="button" onClick={() => setView({ level: 0, firstRow: 0 })}>
          Fit all
        </button>
        <button
          type="button"
          onClick={() => pan(-Math.max(1, g.visibleRows - 1))}
          disabled={g.firstRow === 0}
        >
          Page up
        </button>
        <button
          type="button"
          onClick={() => pan(Math.max(1, g.visibleRows - 1))}
          disabled={g.firstRow + g.visibleRows >= g.totalRows}
        >
          Page down
        </button>
        <div className="field inline">
          <label htmlFor={ids.pfn}>Inspect PFN</label>
          <input
            id={ids.pfn}
            className="mono"
            placeholder="0x158000"
            value={pfnText}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={pfnError !== undefined}
            aria-describedby={pfnError ? ids.pfnErr : undefined}
            onChange={(e) => inspect(e.target.value)}
          />
        </div>
        <span className="dim scale" data-testid="pagemap-scale">
          {g.cellPfns > 1
            ? `${int(g.cellPfns)} PFNs per pixel (each pixel: their most common use)`
            : `1 PFN per ${g.cellPx > 1 ? `${g.cellPx}×${g.cellPx} cell` : "pixel"}`}
          , rows {int(g.firstRow + 1)}–{int(Math.min(g.totalRows, g.firstRow + g.visibleRows))} of{" "}
          {int(g.totalRows)}
        </span>
      </div>
      {pfnError && (
        <p className="error" role="alert" id={ids.pfnErr}>
          {pfnError}
        </p>
      )}
      <div className="pagemap-box" ref={box}>
        <canvas
          ref={canvas}
          width={width}
          height={HEIGHT}
          tabIndex={0}
          data-testid="pagemap"
          aria-label={`Page map of ${int(n)} PFNs coloured by use. Keys: + and − zoom, 0 fits, arrows and Page Up/Down scroll.`}
          aria-describedby={ids.help}
          onKeyDown={onKey}
          onPointerMove={onPointerMove}
          onPointerLeave={() => {
            drag.current = undefined;
            setProbe((p) => (p?.pointer ? undefined : p));
          }}
          onPointerDown={(e) => {
            const r = e.currentTarget.getBoundingClientRect();
            drag.current = { y: e.clientY - r.top, row: g.firstRow };
            e.currentTarget.setPointerCapture?.(e.pointerId);
          }}
          onPointerUp={() => {
            drag.current = undefined;
          }}
        />
        {probe?.pointer && info && (
          <div
            className="pagemap-tooltip"
            role="tooltip"
            data-testid="pagemap-tooltip"
            style={{
              left: Math.min(probe.x + 14, Math.max(0, width - 330)),
              top: Math.min(probe.y + 14, HEIGHT - 80),
            }}
          >
            {info.lines.map((l) => (
              <div key={l}>{l}</div>
            ))}
          </div>
        )}
      </div>
      <p id={ids.help} className="hint">
        Wheel or + / − to zoom, drag or arrows / Page Up / Page Down to scroll, 0 to fit. Hover a pixel, or
        type a PFN above, for its flags and use.
      </p>
      <output className="pagemap-info mono" id={ids.info} aria-live="polite" data-testid="pagemap-info">
        {info ? info.lines.join(" · ") : "Hover the map for a PFN's flags and use."}
      </output>
      <ul className="legend use-legend" data-testid="pagemap-legend">
        {surveyUses.map((u, i) =>
          perUse[i] ? (
            <li key={u} data-use={u} data-pages={perUse[i]}>
              <span className="swatch" style={{ background: useColors[u] }} aria-hidden="true" /> {u}{" "}
              <span className="dim">
                {int(perUse[i]!)} ({((100 * perUse[i]!) / n).toFixed(1)} %) — {memoryUses[u]}
              </span>
            </li>
          ) : null,
        )}
      </ul>
    </section>
  );
}

/** The PFN (or range) under the probe: its flags, decoded with kpageflags' names, and its use. */
function describe(
  a: Analysis,
  start: number,
  end: number,
  kindOf: (use: SurveyUse) => string | undefined,
): { lines: string[] } {
  const named = (u: SurveyUse) => {
    const k = kindOf(u);
    return k ? `${u} (${k})` : u;
  };
  const base = a.uses.startPfn;
  const fr = runAt(a.flags.end, start);
  const v = a.flags.value[fr]!;
  const word = { lo: a.flags.values[2 * v]!, hi: a.flags.values[2 * v + 1]! };
  const names = describeFlags(word) || "no flags";
  if (end - start === 1) {
    const use = surveyUses[a.uses.use[runAt(a.uses.end, start)]!]!;
    return {
      lines: [
        `PFN ${hex(base + start)} (${int(base + start)})`,
        `flags ${flagWordHex(word)}: ${names}`,
        `use: ${named(use)}`,
      ],
    };
  }
  const parts = composition(a.uses, start, end)
    .slice(0, 3)
    .map(([u, c]) => `${named(surveyUses[u]!)} ${int(c)}`);
  return {
    lines: [
      `PFNs ${hex(base + start)}–${hex(base + end - 1)} (${int(end - start)})`,
      `mostly ${parts.join(", ")}`,
      `first PFN's flags ${flagWordHex(word)}: ${names}`,
    ],
  };
}
