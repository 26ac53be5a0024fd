// The kernel types the fixtures keep: the memdesc descriptors and what overlays them (structs), and the enums
// pahole's reference files print. Shared by make-fixture.js (the running kernel) and kernels/make-fixtures.js.
export const structs = [
  "page",
  "folio",
  "slab",
  "ptdesc",
  "ioptdesc",
  "zpdesc",
  "net_iov",
  "netmem_desc",
  "memdesc_flags_t",
  "iommu_pages_list",
];
export const enums = ["pageflags", "pagetype", "net_iov_type"];
