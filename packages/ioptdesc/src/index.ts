export {
  getOrder,
  type IommuAllocation,
  type IommuAllocOptions,
  IommuPagesError,
  iommuAllocPagesNodeSz,
  ioptdescMemSize,
  isPowerOfTwo,
  roundUpPowOfTwo,
} from "./alloc.js";
export {
  type IommuModel,
  incoherentMember,
  iommuPagesList,
  ioptdesc618,
  ioptdescIncoherent,
  ioptdescMembers618,
  ioptdescMembersIncoherent,
  ioptdescMemdesc,
  ioptdescMemdescMembers,
  ioptdescMemdescNeeds,
  ioptdescMemdescProjection,
  ioptdescPfnMember,
  ioptdescProvenance,
  ioptdescSlotMembers,
} from "./layout.js";
export {
  type IommuPage,
  type IommuPagesList,
  IommuPagesListError,
  iommuPagesListAdd,
  iommuPagesListEmpty,
  iommuPagesListInit,
  iommuPagesListSplice,
  iommuPutPagesList,
  type PutPagesOptions,
  type PutPagesResult,
} from "./list.js";
export { type IoptdescOptions, type IoptdescPlugin, ioptdesc } from "./plugin.js";
export { ioptdescMatch } from "./rules.js";
export {
  IOPTDESC_MAX_SIZE,
  IOPTDESC_MIN_SIZE,
  type IoptdescValue,
  ioptdescValueSchema,
} from "./schema.js";
export {
  IommuPages,
  IommuPagesListLive,
  iommuPagesListLive,
  iommuPagesOf,
  ioptdescIommu,
  ioptdescRelease,
  ioptdescSimulation,
} from "./simulation.js";
