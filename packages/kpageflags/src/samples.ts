/**
 * The sample snapshots this package ships (in `fixtures/`): real captures of real machines, each with what ran
 * on it. `memdesc survey --sample NAME` surveys one; the explorer offers them all. The first is the default.
 * Works in a browser: names and notes only; `sampleSnapshotPath(name)` (Node entry) gives a file's path.
 */
export interface SampleInfo {
  /** What `--sample NAME` takes. */
  readonly name: string;
  /** The file under `fixtures/`. */
  readonly file: string;
  /** One line: the machine and what its memory is used for. */
  readonly title: string;
  /** What ran on the machine before the capture: the note the snapshot itself carries (`capture --note`). */
  readonly note: string;
}

export const samples: readonly SampleInfo[] = [
  {
    name: "vm-24g",
    file: "sample.mdsnap",
    title: "24 GiB VM, memmap mostly not yet initialised",
    note: "Firecracker VM (2 vCPUs, 24 GiB) shortly after boot, after reading ~400 MB of files, with a process holding 192 MiB of anonymous memory and 64 MiB of madvise(MADV_HUGEPAGE) anonymous memory, 64 MiB in /dev/shm and 4 hugetlb pages reserved",
  },
];

/** The sample a survey or the explorer uses when none is named. */
export const defaultSampleName: string = samples[0]!.name;

/** A sample by name, or undefined. */
export function sampleInfo(name: string): SampleInfo | undefined {
  return samples.find((s) => s.name === name);
}
