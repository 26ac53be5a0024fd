import { linux618Measured } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
import { simulationConformance } from "@memdesc/memmap/testing";
import { paholeReference } from "@memdesc/testkit";
import { describe, it } from "vitest";
import { netmem } from "./plugin.js";

describe("netmem() conforms", () => {
  for (const c of conformance(netmem(), {
    pahole: { text: paholeReference("pahole_netmem_desc.txt"), config: linux618Measured },
  }))
    it(c.name, c.run);
  for (const c of simulationConformance(netmem())) it(c.name, c.run);
});
