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
import { PageWordPanel } from "../../components/PageWordPanel.js";
import { hex, int, parseNumber } from "../../lib/format.js";
import { type AnyRegistry, descriptionOf } from "../../lib/registry.js";
import { pageMapBackground, rgbaWord, swatchStyle, useColors, useTextures } from "../../lib/uses.js";
import type { Analysis } from "../../workers/analyze.js";
import { pagesPerUse, runAt } from "../../workers/usemap.js";
import { pageFactsAt } from "./page-facts.js";
import {
  cellRange,
  composition,
  geometry,
  type MapGeometry,
  type MapView,
  renderPageMap,
  representative,
} from "./pagemap-render.js";

const palette = Uint32Array.from(surveyUses, (u) => rgbaWord(useColors[u]));
const alternate = Uint32Array.from(surveyUses, (u) => rgbaWord(useTextures[u] ?? useColors[u]));
const background = rgbaWord(pageMapBackground);
const HEIGHT = 384;
/** A pointer that moves less than this between press and release picked a cell; more, it dragged the map. */
const TAP_SLOP = 4;

/** The cell under the mouse, for the tooltip. */
interface Hover {
  readonly start: number;
  readonly end: number;
  readonly x: number;
  readonly y: number;
}

/** The cell of `geometry` that holds PFN offset `offset`: its column and row (from the map's top). */
const cellOf = (g: MapGeometry, offset: number) => {
  const cell = Math.floor(offset / g.cellPfns);
  return { col: cell % g.cols, row: Math.floor(cell / g.cols), cell };
};

/**
 * Every PFN of the snapshot on a canvas, coloured by its use. Zoom with Ctrl + wheel (a pinch), the buttons or
 * + and −; scroll with the wheel (when zoomed in), by dragging, or with Page Up/Down; hover for a PFN's flags;
 * click, tap or move the keyboard cursor (the arrow keys) to pick a PFN and see its memdesc word below.
 */
export function PageMap({
  analysis,
  registry,
  title = "Page map",
}: {
  analysis: Analysis;
  /** The registry of the chosen design: which kind describes a use, and the word a page carries. */
  registry: AnyRegistry;
  title?: string;
}) {
  const runs = analysis.uses;
  const n = runs.pfnCount;
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [view, setView] = useState<MapView>({ level: 0, firstRow: 0 });
  const [hover, setHover] = useState<Hover | undefined>();
  /** The picked PFN (an offset from the map's first PFN): the keyboard cursor, a click, a tap, a typed PFN. */
  const [picked, setPicked] = useState<number | undefined>();
  const [pfnText, setPfnText] = useState("");
  const [pfnError, setPfnError] = useState<string | undefined>();
  const [wheelHint, setWheelHint] = useState(false);
  const firstDraw = useRef(true);
  const uid = useId();
  const ids = { pfn: `${uid}pfn`, help: `${uid}help`, pfnErr: `${uid}err`, heading: `${uid}h` };
  const kindOf = (u: SurveyUse) => registry.ownerOf(u) as string | undefined;

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
    setHover(undefined);
    setPicked(undefined);
    firstDraw.current = true;
  }, [analysis]);

  const g = useMemo(() => geometry(n, width, HEIGHT, view), [n, width, view]);
  const perUse = useMemo(() => pagesPerUse(runs, surveyUses.length), [runs]);

  // The map itself: drawn when the data, the zoom, the scroll or the size change, never for the pointer.
  useEffect(() => {
    const c = canvas.current;
    if (!c || width === 0) return;
    const ctx = c.getContext("2d");
    if (!ctx) return;
    const t0 = performance.now();
    performance.mark("pagemap:render-start");
    const image = ctx.createImageData(width, HEIGHT);
    renderPageMap(runs, g, width, HEIGHT, new Uint32Array(image.data.buffer), palette, background, alternate);
    ctx.putImageData(image, 0, 0);
    performance.mark("pagemap:render-end");
    performance.measure("pagemap:render", "pagemap:render-start", "pagemap:render-end");
    c.dataset.renderMs = (performance.now() - t0).toFixed(2);
    c.dataset.renders = String(Number(c.dataset.renders ?? 0) + 1);
    if (firstDraw.current) {
      firstDraw.current = false;
      performance.mark("pagemap:first-render");
      c.dataset.firstRenderMs = c.dataset.renderMs;
    }
  }, [runs, g, width]);

  // The probe on a canvas of its own over the map: the hovered cell and the picked one, redrawn alone.
  useEffect(() => {
    const c = overlay.current;
    if (!c || width === 0) return;
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, width, HEIGHT);
    const outline = (offset: number, color: string, lineWidth: number) => {
      const { col, row } = cellOf(g, offset);
      const y = (row - g.firstRow) * g.cellPx;
      if (y < -g.cellPx || y > HEIGHT) return;
      const x = col * g.cellPx;
      const pad = Math.max(2, lineWidth);
      ctx.lineWidth = lineWidth + 2;
      ctx.strokeStyle = "#000";
      ctx.strokeRect(x - pad, y - pad, g.cellPx + 2 * pad, g.cellPx + 2 * pad);
      ctx.lineWidth = lineWidth;
      ctx.strokeStyle = color;
      ctx.strokeRect(x - pad, y - pad, g.cellPx + 2 * pad, g.cellPx + 2 * pad);
    };
    if (hover) outline(hover.start, "#ffffff", 1);
    if (picked !== undefined) outline(picked, "#ffb000", 2);
    c.dataset.draws = String(Number(c.dataset.draws ?? 0) + 1);
  }, [g, width, hover, picked]);

  // Zoom around a point: the PFN under it stays under it.
  const zoomAt = (delta: number, y = HEIGHT / 2, x = width / 2) => {
    const under =
      picked !== undefined && x === width / 2 && y === HEIGHT / 2
        ? picked
        : (cellRange(g, n, x, y)?.[0] ?? g.firstRow * g.cols * g.cellPfns);
    const level = Math.min(g.maxLevel, Math.max(0, view.level + delta));
    const ng = geometry(n, width, HEIGHT, { level, firstRow: 0 });
    const row = Math.floor(under / (ng.cols * ng.cellPfns));
    const at =
      picked !== undefined && x === width / 2 && y === HEIGHT / 2 ? ng.visibleRows / 2 : y / ng.cellPx;
    setView({ level, firstRow: row - Math.floor(at) });
  };
  const pan = (rows: number) => setView((v) => ({ ...v, firstRow: g.firstRow + rows }));

  // The wheel scrolls the map while it has rows to scroll that way, else the page; Ctrl + wheel (and a
  // trackpad's pinch, which browsers send as one) zooms. It never keeps the page from scrolling past the map.
  useEffect(() => {
    const c = overlay.current;
    if (!c) return;
    let hintTimer: ReturnType<typeof setTimeout> | undefined;
    const onWheel = (e: WheelEvent) => {
      const r = c.getBoundingClientRect();
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        if (e.deltaY !== 0) zoomAt(e.deltaY < 0 ? 1 : -1, e.clientY - r.top, e.clientX - r.left);
        return;
      }
      if (e.deltaY === 0 || Math.abs(e.deltaX) > Math.abs(e.deltaY)) return;
      const px = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * HEIGHT : e.deltaY;
      const down = px > 0;
      const canScroll = down ? g.firstRow + g.visibleRows < g.totalRows : g.firstRow > 0;
      if (!canScroll) {
        if (view.level === 0) {
          setWheelHint(true);
          clearTimeout(hintTimer);
          hintTimer = setTimeout(() => setWheelHint(false), 1500);
        }
        return;
      }
      e.preventDefault();
      pan(Math.sign(px) * Math.max(1, Math.round(Math.abs(px) / g.cellPx)));
    };
    c.addEventListener("wheel", onWheel, { passive: false });
    return () => {
      clearTimeout(hintTimer);
      c.removeEventListener("wheel", onWheel);
    };
  });

  /** Picks the cell at a point: its representative PFN. */
  const pickAt = (x: number, y: number) => {
    const cell = cellRange(g, n, x, y);
    if (cell) setPicked(representative(runs, cell[0], cell[1]));
  };

  /**
   * Moves the keyboard cursor by `cells` (from the first cell in view when there is none yet) and the view by
   * `scroll` rows, then scrolls as little as needed to keep the cursor in view.
   */
  const moveCursor = (cells: number, scroll = 0) => {
    const last = Math.ceil(n / g.cellPfns) - 1;
    const from = picked === undefined ? g.firstRow * g.cols : cellOf(g, picked).cell + cells;
    const cell = Math.min(last, Math.max(0, from));
    const start = cell * g.cellPfns;
    setPicked(representative(runs, start, Math.min(n, start + g.cellPfns)));
    setHover(undefined);
    const row = Math.floor(cell / g.cols);
    let first = g.firstRow + scroll;
    if (row < first) first = row;
    else if (row >= first + g.visibleRows) first = row - g.visibleRows + 1;
    setView((v) => ({ ...v, firstRow: first }));
  };

  const drag = useRef<{ x: number; y: number; row: number; moved: boolean; mouse: boolean } | undefined>(
    undefined,
  );
  const point = (e: PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const { x, y } = point(e);
    const d = drag.current;
    if (d?.mouse) {
      if (!d.moved && Math.hypot(x - d.x, y - d.y) < TAP_SLOP) return;
      d.moved = true;
      setView((v) => ({ ...v, firstRow: d.row - Math.round((y - d.y) / g.cellPx) }));
      return;
    }
    if (e.pointerType !== "mouse") return;
    const cell = cellRange(g, n, x, y);
    setHover((h) =>
      cell
        ? h?.start === cell[0] && h.x === x && h.y === y
          ? h
          : { start: cell[0], end: cell[1], x, y }
        : undefined,
    );
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
      case "ArrowLeft":
        act = () => moveCursor(-1);
        break;
      case "ArrowRight":
        act = () => moveCursor(1);
        break;
      case "ArrowUp":
        act = () => moveCursor(-g.cols);
        break;
      case "ArrowDown":
        act = () => moveCursor(g.cols);
        break;
      case "PageUp":
        act = () => (picked === undefined ? pan(-page) : moveCursor(-page * g.cols, -page));
        break;
      case "PageDown":
        act = () => (picked === undefined ? pan(page) : moveCursor(page * g.cols, page));
        break;
      case "Home":
        act = () => moveCursor(-Number.MAX_SAFE_INTEGER);
        break;
      case "End":
        act = () => moveCursor(Number.MAX_SAFE_INTEGER);
        break;
      case "Escape":
        act = picked === undefined ? undefined : () => setPicked(undefined);
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
    setPicked(offset);
    // The info line follows the last thing done: a typed PFN, not where the mouse was left.
    setHover(undefined);
  };

  const hoverInfo = hover ? describe(analysis, hover.start, hover.end, kindOf) : undefined;
  const pickedInfo = picked !== undefined ? describe(analysis, picked, picked + 1, kindOf) : undefined;
  const facts = useMemo(
    () => (picked === undefined ? undefined : pageFactsAt(analysis, picked)),
    [analysis, picked],
  );
  const info = hoverInfo ?? pickedInfo;
  return (
    <section className="pagemap" aria-labelledby={ids.heading}>
      <h3 id={ids.heading}>
        {title}: {int(n)} PFNs
      </h3>
      <div className="pagemap-controls" role="toolbar" aria-label={`${title}: zoom and scroll`}>
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
            className="mono pfn-input"
            placeholder={hex(analysis.uses.startPfn + Math.floor(n / 4))}
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
      <div className="pagemap-box" ref={box} style={{ height: HEIGHT }}>
        <canvas ref={canvas} width={width} height={HEIGHT} data-testid="pagemap" />
        <canvas
          ref={overlay}
          className="pagemap-probe"
          width={width}
          height={HEIGHT}
          tabIndex={0}
          data-testid="pagemap-probe"
          data-start-pfn={analysis.uses.startPfn}
          data-cell-pfns={g.cellPfns}
          data-cell-px={g.cellPx}
          data-cols={g.cols}
          data-first-row={g.firstRow}
          data-level={view.level}
          data-picked={picked === undefined ? "" : analysis.uses.startPfn + picked}
          aria-label={`${title} of ${int(n)} PFNs coloured by use. Arrow keys move the cursor and show that PFN's word; + and − zoom, 0 fits, Page Up and Page Down scroll.`}
          aria-describedby={ids.help}
          onKeyDown={onKey}
          onPointerMove={onPointerMove}
          onPointerLeave={() => setHover(undefined)}
          onPointerDown={(e) => {
            const { x, y } = point(e);
            const mouse = e.pointerType === "mouse";
            drag.current = { x, y, row: g.firstRow, moved: false, mouse };
            if (mouse) e.currentTarget.setPointerCapture?.(e.pointerId);
          }}
          onPointerUp={(e) => {
            const d = drag.current;
            drag.current = undefined;
            if (!d || d.moved) return;
            const { x, y } = point(e);
            if (Math.hypot(x - d.x, y - d.y) < TAP_SLOP * (d.mouse ? 1 : 3)) pickAt(x, y);
          }}
          onPointerCancel={() => {
            // The browser took the touch to scroll the page: not a tap.
            drag.current = undefined;
          }}
        />
        {hover && hoverInfo && (
          <div
            className="pagemap-tooltip"
            role="tooltip"
            data-testid="pagemap-tooltip"
            style={{
              left: Math.min(hover.x + 14, Math.max(0, width - 330)),
              top: Math.min(hover.y + 14, HEIGHT - 80),
            }}
          >
            {hoverInfo.lines.map((l) => (
              <div key={l}>{l}</div>
            ))}
          </div>
        )}
        {wheelHint && (
          <p className="pagemap-wheel-hint" data-testid="wheel-hint">
            Ctrl + wheel (or pinch) zooms the map
          </p>
        )}
      </div>
      <p id={ids.help} className="hint">
        Ctrl + wheel (or pinch), + / − or the buttons zoom; the wheel, a drag or Page Up / Page Down scroll; 0
        fits. Hover for a PFN's flags; click, tap or use the arrow keys to pick one and see its word below.
      </p>
      <output className="pagemap-info mono" aria-live="polite" data-testid="pagemap-info">
        {info ? info.lines.join(" · ") : "Hover the map for a PFN's flags and use; click or tap to pick one."}
      </output>
      <ul className="legend use-legend" data-testid="pagemap-legend">
        {surveyUses.map((u, i) =>
          perUse[i] ? (
            <li key={u} data-use={u} data-pages={perUse[i]}>
              <span className="swatch" style={swatchStyle(u)} aria-hidden="true" /> {u}{" "}
              <span className="dim">
                {int(perUse[i]!)} ({((100 * perUse[i]!) / n).toFixed(1)} %) — {descriptionOf(registry, u)}
              </span>
            </li>
          ) : null,
        )}
      </ul>
      {facts && <PageWordPanel facts={facts} registry={registry} />}
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
