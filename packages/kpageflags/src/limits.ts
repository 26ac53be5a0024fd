// Browser-safe and dependency-free (its own entry, `@memdesc/kpageflags/limits`, so a reader that needs only
// these numbers loads nothing else): the CLI's input reader and the explorer's file loader take their limits
// from here.

/**
 * The largest snapshot any reader accepts: 1 GiB. A snapshot stores runs of equal page-map words, not pages,
 * so a machine with terabytes of RAM makes one of a few MiB; a larger file is not a snapshot of a real
 * machine, and reading it whole would only cost memory.
 */
export const maxSnapshotBytes = 1 << 30;

/** The largest survey JSON (what `memdesc survey --json` prints, a few KiB) the readers accept: 64 MiB. */
export const maxSurveyJsonBytes = 64 << 20;
