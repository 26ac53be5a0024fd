export {
  type PtdescLayoutOptions,
  ptdescMembers,
  ptdescMemdesc,
  ptdescMemdescMembers,
  ptdescOverlayOnly,
  ptdescToday,
} from "./layout.js";
export {
  type LeafSize,
  type PageTablePages,
  type PageTablePagesOptions,
  type PagingLevels,
  PTRS_PER_TABLE,
  type PtLevel,
  pageTablePages,
  ptLevels,
  tableSpanShift,
} from "./paging.js";
export { type PtdescOptions, type PtdescPlugin, ptdesc } from "./plugin.js";
export { tableMatch } from "./rules.js";
export {
  DEFAULT_MAX_PT_FRAGMENTS,
  type PtdescSchemaOptions,
  type PtdescValue,
  ptdescValueSchema,
} from "./schema.js";
export {
  PtFragments,
  processTables,
  ptdescAlloc,
  ptdescFreeRcu,
  ptdescPageTables,
  ptdescSimulation,
} from "./simulation.js";
