import { runAt, type UseRuns } from "../../workers/usemap.js";

/** How the page map is zoomed: PFNs per cell, cell size in pixels, and the first row shown. */
export interface MapView {
  readonly level: number;
  readonly firstRow: number;
}

/** What a zoom level means on a canvas of a given size. */
export interface MapGeometry {
  /** PFNs summarised by one cell (its colour is their most common use). */
  readonly cellPfns: number;
  /** Cell edge in pixels (1 until every cell is one PFN, then 2, 4, …). */
  readonly cellPx: number;
  readonly cols: number;
  /** Rows that fit on the canvas. */
  readonly visibleRows: number;
  /** Rows the whole map takes at this zoom. */
  readonly totalRows: number;
  readonly maxLevel: number;
  /** The first row, clamped so the map never scrolls past its end. */
  readonly firstRow: number;
}

const MAX_CELL_PX = 32;

/**
 * The geometry of zoom level `level`: level 0 fits every PFN on the canvas (each pixel a range of PFNs);
 * each level halves the PFNs per cell until a cell is one PFN, then doubles the cell's size.
 */
export function geometry(pfnCount: number, width: number, height: number, view: MapView): MapGeometry {
  const w = Math.max(1, Math.floor(width));
  const h = Math.max(1, Math.floor(height));
  const fit = Math.max(1, Math.ceil(pfnCount / (w * h)));
  const levelsToOne = Math.ceil(Math.log2(fit));
  const maxLevel = levelsToOne + Math.log2(MAX_CELL_PX);
  const level = Math.min(Math.max(0, view.level), maxLevel);
  const cellPfns = Math.max(1, Math.ceil(fit / 2 ** level));
  const cellPx = level > levelsToOne ? 2 ** (level - levelsToOne) : 1;
  const cols = Math.max(1, Math.floor(w / cellPx));
  const visibleRows = Math.max(1, Math.ceil(h / cellPx));
  const totalRows = Math.max(1, Math.ceil(pfnCount / (cols * cellPfns)));
  const firstRow = Math.min(Math.max(0, Math.round(view.firstRow)), Math.max(0, totalRows - visibleRows));
  return { cellPfns, cellPx, cols, visibleRows, totalRows, maxLevel, firstRow };
}

/**
 * Draws the page map into a pixel buffer (one little-endian RGBA word per pixel, `width` × `height`): every
 * cell in the colour of the most common use among its PFNs. Walks the use runs alongside the cells, so the
 * cost is cells + runs, not PFNs: the whole 6.5-million-PFN sample is a few hundred thousand steps. A use whose
 * `alternate` colour differs from its `palette` colour is drawn as a checkerboard of the two (holes), so it
 * reads as a texture, not as one more colour.
 */
export function renderPageMap(
  runs: UseRuns,
  g: MapGeometry,
  width: number,
  height: number,
  pixels: Uint32Array,
  palette: Uint32Array,
  background: number,
  alternate: Uint32Array = palette,
): void {
  pixels.fill(background);
  const { end, use } = runs;
  const n = runs.pfnCount;
  if (n === 0 || end.length === 0) return;
  const counts = new Float64Array(palette.length);
  let offset = g.firstRow * g.cols * g.cellPfns;
  let k = offset < n ? runAt(end, offset) : end.length;
  for (let r = 0; r < g.visibleRows; r++) {
    const y0 = r * g.cellPx;
    if (y0 >= height) break;
    const y1 = Math.min(height, y0 + g.cellPx);
    for (let c = 0; c < g.cols; c++, offset += g.cellPfns) {
      if (offset >= n) return;
      const cellEnd = Math.min(n, offset + g.cellPfns);
      while (end[k]! <= offset) k++;
      let color: number;
      if (end[k]! >= cellEnd) color = use[k]!;
      else {
        // Several runs meet in this cell: count each use's PFNs and take the most common.
        counts.fill(0);
        let at = offset;
        let j = k;
        while (at < cellEnd) {
          const e = Math.min(end[j]!, cellEnd);
          counts[use[j]!]! += e - at;
          at = e;
          if (at < cellEnd) j++;
        }
        let best = 0;
        for (let u = 1; u < counts.length; u++) if (counts[u]! > counts[best]!) best = u;
        color = best;
        k = j;
      }
      const rgba = palette[color]!;
      const alt = alternate[color]!;
      const x0 = c * g.cellPx;
      const x1 = Math.min(width, x0 + g.cellPx);
      if (alt === rgba) {
        if (g.cellPx === 1) pixels[y0 * width + x0] = rgba;
        else for (let y = y0; y < y1; y++) pixels.fill(rgba, y * width + x0, y * width + x1);
      } else
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++) pixels[y * width + x] = (x + y) & 1 ? alt : rgba;
    }
  }
}

/** The PFN offsets a cell covers, or undefined past the end of the map. */
export function cellRange(
  g: MapGeometry,
  pfnCount: number,
  x: number,
  y: number,
): [number, number] | undefined {
  const col = Math.floor(x / g.cellPx);
  const row = g.firstRow + Math.floor(y / g.cellPx);
  if (col < 0 || col >= g.cols || row < 0) return undefined;
  const start = (row * g.cols + col) * g.cellPfns;
  if (start >= pfnCount) return undefined;
  return [start, Math.min(pfnCount, start + g.cellPfns)];
}

/**
 * The PFN a cell stands for when it is picked: the first of its most common use (the colour it is drawn in), so
 * clicking a file-coloured pixel picks a page-cache page.
 */
export function representative(runs: UseRuns, start: number, endOffset: number): number {
  const top = composition(runs, start, endOffset)[0];
  if (!top) return start;
  let j = runAt(runs.end, start);
  while (j < runs.end.length && runs.use[j] !== top[0]) j++;
  return j === 0 ? start : Math.max(start, runs.end[j - 1]!);
}

/** PFNs per use in [start, end), most first. */
export function composition(runs: UseRuns, start: number, endOffset: number): [use: number, pfns: number][] {
  const counts = new Map<number, number>();
  let at = start;
  let j = runAt(runs.end, start);
  while (at < endOffset && j < runs.end.length) {
    const e = Math.min(runs.end[j]!, endOffset);
    counts.set(runs.use[j]!, (counts.get(runs.use[j]!) ?? 0) + e - at);
    at = e;
    j++;
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}
