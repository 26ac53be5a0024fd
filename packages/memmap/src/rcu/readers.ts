/* What RCU readers have looked up in the current read-side critical section, for the readers' debug check. */

/** One lookup of the current read-side critical section. */
export interface Lookup {
  readonly desc: number;
  readonly pfn: number;
  /** The reader took a reference on it (`tryGetSpeculative`). */
  pinned: boolean;
  /** The reader checked it still describes `pfn` (`rcuRevalidate`), after pinning. */
  validated: boolean;
}

/** What the memmap's RCU readers have looked up since the outermost `rcu_read_lock()`. */
export class RcuReaders {
  private lookups: Lookup[] = [];

  /** Records that a reader found `desc` through page `pfn`'s word. */
  record(desc: number, pfn: number): void {
    this.lookups.push({ desc, pfn, pinned: false, validated: false });
  }

  /** The latest lookup of `desc` in this critical section, if any. */
  find(desc: number): Lookup | undefined {
    for (let i = this.lookups.length - 1; i >= 0; i--)
      if (this.lookups[i]!.desc === desc) return this.lookups[i];
    return undefined;
  }

  /** Every lookup, and forgets them: the outermost critical section has ended. */
  take(): Lookup[] {
    const l = this.lookups;
    this.lookups = [];
    return l;
  }
}
