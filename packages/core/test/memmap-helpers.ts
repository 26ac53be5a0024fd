import { createMemmap, type MemmapOptions } from "../src/memmap/memmap.js";
import { createRegistry } from "../src/registry/registry.js";
import { refFolio, refPtdesc, refSlab } from "./reference-plugins.js";

/** A registry of the reference descriptors (core's tests cannot import the plugin packages). */
export const testRegistry = (design = "memdesc-8") =>
  createRegistry({ design, plugins: [refFolio, refSlab, refPtdesc] });

/** A small memmap of the reference registry, in memdesc-8 unless `design` says otherwise. */
export const testMemmap = (options: Partial<MemmapOptions> = {}, design = "memdesc-8") =>
  createMemmap(testRegistry(design), { pages: 8192, nodes: 2, ...options });
