import { type Classification, Classifier } from "./classify.js";
import { type HugetlbState, hugetlbNotes } from "./hugetlb.js";
import type { PageMapFiles, PageMapInfo, PageMapSource } from "./read/chunk.js";
import { largeKmallocNote, type SurveyUse, type UnseenUse, unseenUses } from "./uses.js";

/** Where a survey's page map came from. */
export interface SurveySource {
  readonly kind: PageMapInfo["kind"];
  readonly path: string;
  readonly kernelRelease: string | undefined;
  readonly machine: string | undefined;
  readonly capturedAt: string | undefined;
  readonly files: PageMapFiles;
}

/** A use kpageflags cannot show, and where its pages are counted instead. */
export interface UnseenEntry {
  readonly use: UnseenUse;
  readonly why: string;
  readonly countedAs: readonly SurveyUse[];
}

/**
 * A machine's page map classified: pages and descriptors per memory use, descriptor orders, the flag-word
 * histogram, RAM and hole accounting, the kernel quirks seen and corrected for, anomalies, and what
 * kpageflags cannot show.
 */
export interface Survey extends Classification {
  readonly source: SurveySource;
  readonly pageSize: number;
  readonly sectionPfns: number;
  /** Uses kpageflags cannot tell apart, reported rather than guessed. */
  readonly unseen: readonly UnseenEntry[];
  /** Caveats that apply to this survey, in plain words. */
  readonly notes: readonly string[];
  /** HugeTLB beyond kpageflags: HVO on or off and the pools, when read with the page map (a live survey). */
  readonly hugetlb?: HugetlbState;
}

export interface SurveyOptions {
  /** How many anomalies to keep as examples (default 16). */
  readonly maxExamples?: number | undefined;
}

/** Builds the survey from a finished classification, and the HugeTLB state read with it, if any. */
export function makeSurvey(info: PageMapInfo, c: Classification, hugetlb?: HugetlbState): Survey {
  const notes: string[] = [largeKmallocNote];
  if (!c.ram.known)
    notes.push("System RAM ranges were not known (no /proc/iomem): zero pages cannot be told from holes");
  if (info.files.kpagecount)
    notes.push(
      "kpagecount was read in lockstep with kpageflags; free pages with a mapcount mean the two disagreed",
    );
  if (c.quirks.nopage > 0) notes.push("NOPAGE seen: a kernel before 6.15, where holes read NOPAGE, not 0");
  if (c.quirks.unknownBits > 0)
    notes.push(
      `pages with bits no kernel defines: ${c.quirks.unknownBitList.join(", ")} (ERROR is bit 1, dead)`,
    );
  return {
    source: {
      kind: info.kind,
      path: info.path,
      kernelRelease: info.kernelRelease,
      machine: info.machine,
      capturedAt: info.capturedAt,
      files: info.files,
    },
    pageSize: info.pageSize,
    sectionPfns: info.sectionPfns,
    ...c,
    unseen: Object.entries(unseenUses).map(([use, u]) => ({
      use: use as UnseenUse,
      why: u.why,
      countedAs: u.countedAs,
    })),
    notes: [...notes, ...hugetlbNotes(hugetlb, c.uses.hugetlb.pages)],
    ...(hugetlb ? { hugetlb } : {}),
  };
}

/** A classifier set up for a source. */
export function classifierFor(info: PageMapInfo, options: SurveyOptions = {}): Classifier {
  return new Classifier({
    ram: info.ram,
    sectionPfns: info.sectionPfns,
    startPfn: info.startPfn,
    maxExamples: options.maxExamples,
  });
}

/** Reads a page-map source to the end and classifies it. */
export async function survey(source: PageMapSource, options: SurveyOptions = {}): Promise<Survey> {
  const classifier = classifierFor(source.info, options);
  for await (const chunk of source.chunks()) classifier.push(chunk);
  return makeSurvey(source.info, classifier.finish());
}
