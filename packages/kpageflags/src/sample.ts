import { fileURLToPath } from "node:url";
import { KpageflagsError } from "./errors.js";
import { packageFileUrl } from "./package-file.js";
import { defaultSampleName, sampleInfo, samples } from "./samples.js";

/**
 * Path of a sample snapshot that ships with the package (`samples` lists them with what ran on each; the
 * default when no name is given). It is what a survey uses where /proc/kpageflags cannot be read, and what
 * `memdesc survey --sample NAME` surveys. An unknown name is a BAD_OPTION error listing the samples.
 */
export function sampleSnapshotPath(name: string = defaultSampleName): string {
  const info = sampleInfo(name);
  if (!info)
    throw new KpageflagsError(
      "BAD_OPTION",
      `there is no sample named "${name}"`,
      `the samples: ${samples.map((s) => `${s.name} (${s.title})`).join("; ")}`,
    );
  return fileURLToPath(packageFileUrl(`fixtures/${info.file}`));
}
