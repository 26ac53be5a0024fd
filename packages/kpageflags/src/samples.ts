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
    name: "pagecache",
    file: "samples/pagecache.mdsnap",
    title: "24 GiB VM, page-cache heavy: a big file and /usr read, memmap initialised",
    note: "6.18.44-fc-v1300 on 2 vCPUs and 24 GiB: read a 23056 MiB sparse file to initialise the memmap (then deleted); wrote an 8 GiB file with O_DIRECT (past the page cache), read it back sequentially and read every file under /usr once; captured with memdesc capture while the workload held its memory",
  },
  {
    name: "thp-anon",
    file: "samples/thp-anon.mdsnap",
    title: "24 GiB VM, 8 GiB of THP-advised anonymous memory, memmap initialised",
    note: "6.18.44-fc-v1300 on 2 vCPUs and 24 GiB: read a 23128 MiB sparse file to initialise the memmap (then deleted); a process holds 8192 MiB of anonymous memory mapped with madvise(MADV_HUGEPAGE), every page written (THP enabled=madvise, defrag=madvise); captured with memdesc capture while the workload held its memory",
  },
  {
    name: "slab",
    file: "samples/slab.mdsnap",
    title: "24 GiB VM, slab heavy: a million files' inodes and dentries, memmap initialised",
    note: "6.18.44-fc-v1300 on 2 vCPUs and 24 GiB: read a 23017 MiB sparse file to initialise the memmap (then deleted); created 1,000,000 empty files in 1,000 directories on ext4 and looked up 3,000,000 names that do not exist (inodes, dentries and negative dentries in slab); captured with memdesc capture while the workload held its memory",
  },
  {
    name: "build-vm",
    file: "sample.mdsnap",
    title: "24 GiB VM, a busy build machine, its memmap half not yet initialised",
    note: "Firecracker VM, 2 vCPUs, 24 GiB, Linux 6.18, a busy build machine; after reading ~400 MB of files, with 192 MiB of anonymous memory, 66 MiB of THP-advised anonymous memory, 64 MiB in /dev/shm and a pool of 4 hugetlb pages",
  },
];

/** The sample a survey or the explorer uses when none is named. */
export const defaultSampleName: string = samples[0]!.name;

/** A sample by name, or undefined. */
export function sampleInfo(name: string): SampleInfo | undefined {
  return samples.find((s) => s.name === name);
}
