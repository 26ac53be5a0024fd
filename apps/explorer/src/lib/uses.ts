/** The page map's canvas: dark, so that every use's colour stands out from it by 3:1 or more. */
export const pageMapBackground = "#1e2227";

/**
 * A colour per memory use, for the page map and the charts. Chosen (and checked by `uses.test.ts`) so that each
 * is at least 3:1 against the page map's background (WCAG's contrast for graphics), and every two differ by
 * ΔE*ab ≥ 15 as seen with normal vision and as simulated for protanopia, deuteranopia and tritanopia (Machado,
 * Oliveira and Fernandes 2009): colour-blind readers can tell them apart too.
 */
export const useColors = {
  free: "#5f7492",
  pcp: "#f008f8",
  file: "#39c7ff",
  anon: "#ffdc0e",
  ksm: "#acaf7f",
  slab: "#298162",
  largeKmalloc: "#90d0b0",
  pagetable: "#d481c9",
  hugetlb: "#ceff73",
  iommu: "#c3a854",
  zsmalloc: "#e0a410",
  netmem: "#9affb1",
  reserved: "#bdcde0",
  zero: "#ffffff",
  offline: "#8e5dbb",
  hwpoison: "#d15300",
  compound: "#20ac9a",
  kernel: "#5d81ff",
  uninit: "#787743",
  hole: "#8b949e",
} as const satisfies Readonly<Record<string, string>>;

/** A use the explorer has a colour for: what a survey tells apart, and the uses the first-party set declares. */
export type ColoredUse = keyof typeof useColors;

/**
 * Uses drawn as a checkerboard of their colour and this one, so they read as a texture rather than as one more
 * colour: holes (no RAM), which must look unlike both the canvas and every use.
 */
export const useTextures: Readonly<Partial<Record<ColoredUse, string>>> = {
  hole: "#3b424b",
};

/** The swatch of a use in a legend: its colour, or its checkerboard. */
export function swatchStyle(use: ColoredUse): { background: string; backgroundSize?: string } {
  const alt = useTextures[use];
  if (!alt) return { background: useColors[use] };
  const c = useColors[use];
  return {
    background: `repeating-conic-gradient(${c} 0% 25%, ${alt} 0% 50%) 0 0 / 4px 4px`,
  };
}

/** `#rrggbb` as a little-endian RGBA word, for writing an ImageData through a Uint32Array. */
export function rgbaWord(color: string): number {
  const r = Number.parseInt(color.slice(1, 3), 16);
  const g = Number.parseInt(color.slice(3, 5), 16);
  const b = Number.parseInt(color.slice(5, 7), 16);
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
