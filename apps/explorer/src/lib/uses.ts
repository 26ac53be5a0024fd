import type { MemoryUse } from "@memdesc/core";

/**
 * A colour per memory use, for the page map and the charts. Chosen so neighbours in a real page map (free
 * next to file, file next to anon, uninit next to everything) differ in lightness as well as hue.
 */
export const useColors: Readonly<Record<MemoryUse, string>> = {
  free: "#cfe0f0",
  pcp: "#9fc1e3",
  file: "#2f7ed8",
  anon: "#e8743b",
  ksm: "#b5532a",
  slab: "#19a979",
  largeKmalloc: "#0e6b4c",
  pagetable: "#945ecf",
  hugetlb: "#c71c1c",
  iommu: "#7a4a16",
  zsmalloc: "#d4a017",
  netmem: "#5b8c2a",
  reserved: "#6c6c6c",
  zero: "#f2c80f",
  offline: "#a0a0a0",
  hwpoison: "#000000",
  compound: "#13a4b4",
  kernel: "#525df4",
  uninit: "#eeeeee",
  hole: "#ffffff",
};

/** `#rrggbb` as a little-endian RGBA word, for writing an ImageData through a Uint32Array. */
export function rgbaWord(color: string): number {
  const r = Number.parseInt(color.slice(1, 3), 16);
  const g = Number.parseInt(color.slice(3, 5), 16);
  const b = Number.parseInt(color.slice(5, 7), 16);
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
