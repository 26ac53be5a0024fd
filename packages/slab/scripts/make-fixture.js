// Saves this machine's /proc/slabinfo and the /sys/kernel/slab attributes SLUB's geometry depends on as a
// fixture, so the geometry tests run where /proc/slabinfo is not readable. Run as root after `npm run build`:
//   node scripts/make-fixture.js [out-dir]
import { mkdirSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { readSlabMachine } from "../dist/node.js";

const out = process.argv[2] ?? join(import.meta.dirname, "..", "fixtures", release());
const { slabinfo, machine } = readSlabMachine("/");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "slabinfo.txt"), slabinfo);
writeFileSync(join(out, "slab-machine.json"), `${JSON.stringify(machine, null, 2)}\n`);
console.log(`${out}: ${Object.keys(machine.caches).length} caches, ${machine.cpus.present} CPUs present`);
