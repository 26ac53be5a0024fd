// One survey of this machine in its own process, for whole-process timing by bench/index.js: the page map read
// by one reader per CPU (or --workers=N), the counters, classification and attribution (no plugins, no bill:
// what page-types does and a little more). Prints PFNs, readers and maxrss (KiB).
//   node bench/survey-live.js [--workers=N] [--raw=FILE]
import { defaultReaders, surveyMachine, surveyRaw } from "../dist/survey.js";

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const workers = arg("workers") ? Number(arg("workers")) : undefined;
const raw = arg("raw");
const s = raw ? await surveyRaw(raw, { workers }) : await surveyMachine({ workers });
process.stdout.write(
  `${JSON.stringify({ pfns: s.pfnCount, readers: workers ?? defaultReaders(), uses: Object.keys(s.billed).length, maxRSS: process.resourceUsage().maxRSS })}\n`,
);
