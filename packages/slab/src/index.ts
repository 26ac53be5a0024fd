export { SlabError } from "./errors.js";
export {
  calcSlabOrder,
  calculateAlignment,
  calculateOrder,
  calculateSizes,
  fls,
  getOrder,
  MAX_OBJS_PER_PAGE,
  orderObjects,
  PAGE_ALLOC_COSTLY_ORDER,
  type SlubCache,
  type SlubGeometry,
  type SlubParams,
  type SlubParamsInput,
  slabGeometry,
  slubConfig,
  slubMinObjects,
  slubParams,
  slubParamsSchema,
  slubTrack,
} from "./geometry.js";
export { memdescSlab } from "./memdesc.js";
export { freelistAbaSize, slabMatch } from "./overlay.js";
export { type SlabOptions, slab, slabOptionsSchema } from "./plugin.js";
export { counterBits, type SlabValue, type SlabValueInput, slabValueSchema } from "./schema.js";
export { simulatedSlabGeometry, slabSimulation } from "./simulation.js";
export {
  checkSlabinfo,
  parseSlabinfo,
  parseSlabMachine,
  parseSlubBootParams,
  type SlabCacheCheck,
  type SlabinfoEntry,
  type SlabinfoReport,
  type SlabMachine,
  type SysSlabCache,
  slabMachineSchema,
  sysCacheToSlubCache,
  sysSlabCacheSchema,
} from "./slabinfo.js";
export { FREELIST_ABA, freelistAbaT, freelistFullT, slabCoreMembers, slabToday } from "./today.js";
