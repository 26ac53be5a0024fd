// One survey in its own process, for whole-process timing by bench/index.js. Prints PFNs and maxrss (KiB).
//   node bench/survey-live.js [--parallel=N] [--raw=FILE]
// The survey alone (reading and classifying), without the bill's zod schemas, as page-types does.
import { surveyProc, surveyRaw } from "../dist/survey.js";

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const parallel = arg("parallel") ? Number(arg("parallel")) : undefined;
const raw = arg("raw");
const s = raw ? await surveyRaw(raw, { parallel }) : await surveyProc({ parallel });
process.stdout.write(
  `${JSON.stringify({ pfns: s.pfnCount, uses: Object.keys(s.uses).length, maxRSS: process.resourceUsage().maxRSS })}\n`,
);
