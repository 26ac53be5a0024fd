export { FolioError } from "./errors.js";
export {
  anonFolioFieldUses,
  anonFolioProvenance,
  folioHugetlbFields,
  folioLargeFields,
  folioProvenance,
  folioSmallFields,
  type MemdescFolioParts,
  memdescFolio,
} from "./memdesc.js";
export {
  type FolioFieldPlace,
  type FolioLayoutOptions,
  folioFieldPlace,
  folioFieldPlaces,
  folioNrPages,
  folioOrder,
  hugetlbOrders,
  isFolioOrder,
  largeFieldsAt,
  largeFolioFieldPlaces,
  maxFolioOrder,
  minOrderForPage,
  needsLargeDescriptor,
} from "./order.js";
export { folioMatch, folioOverlay, folioSize } from "./overlay.js";
export { anonFolio, type FolioOptions, folio, folioOptionsSchema } from "./plugin.js";
export { type FolioValue, type FolioValueInput, folioValueSchema } from "./schema.js";
export {
  folioGet,
  folioInit,
  folioLookupRcu,
  folioMap,
  folioMapcount,
  folioOrderOf,
  folioPut,
  folioRefCount,
  folioSimulation,
  folioSplit,
  folioTryGet,
  folioUnmap,
} from "./simulation.js";
export { folioPageMembers, folioToday, mmIdMapcountT, mmIdMembers, mmIdT } from "./today.js";
