export {
  type NetIovType,
  netIov,
  netIovArea,
  netIovType,
  netIovTypes,
  netmemDesc,
  netmemDescMembers,
  netmemMemdesc,
  netmemMemdescDrops,
  netmemMemdescMembers,
} from "./layout.js";
export { type NetmemPlugin, netmem } from "./plugin.js";
export {
  decodeNetmemRef,
  isPagePoolMagic,
  NET_IOV,
  NetmemError,
  netIovVirtualAddr,
  netmemRef,
  POISON_POINTER_DELTA,
  PP_DMA_INDEX_BITS,
  PP_DMA_INDEX_MASK,
  PP_DMA_INDEX_SHIFT,
  PP_MAGIC_MASK,
  PP_SIGNATURE,
  ppDmaIndex,
  ppMagic,
} from "./pp.js";
export { netIovAssertOffset, netmemDescAssertOffset } from "./rules.js";
export { type NetmemValue, netmemValueSchema } from "./schema.js";
