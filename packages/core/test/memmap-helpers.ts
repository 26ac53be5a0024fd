import { createMemmap, type MemmapOptions } from "../src/memmap/memmap.js";
import { createRegistry } from "../src/registry/registry.js";
import { refFolio, refPtdesc, refSlab } from "./reference-plugins.js";

/** A registry of the reference descriptors (core's tests cannot import the plugin packages). */
export const testRegistry = () => createRegistry({ plugins: [refFolio, refSlab, refPtdesc] });

/** A small memmap of the reference registry. */
export const testMemmap = (options: Partial<MemmapOptions> = {}) =>
  createMemmap(testRegistry(), { pages: 8192, nodes: 2, ...options });
