/** uid and gid of `nobody` on Debian and most Linux distributions. */
export declare const nobody: { readonly uid: number; readonly gid: number };
/** Whether this process can start a child as another user: only root can. */
export declare function canSwitchUser(): boolean;
/** A world-readable copy of a package and its run-time dependencies, laid out as an install. */
export interface UnprivilegedCopy {
  /** The temporary directory holding `node_modules/`. */
  readonly root: string;
  /** The copied package's directory, `<root>/node_modules/<name>`. */
  readonly dir: string;
  remove(): void;
}
/**
 * Copies the package in `dir` and its run-time dependency closure (`dependencies`, and the
 * `optionalDependencies` and `peerDependencies` that are installed) into a new directory under the system's temporary directory that
 * any user may read and enter (none may write), so a child running as `nobody` can use it wherever the
 * checkout is.
 */
export declare function copyForUnprivilegedUser(dir: string): UnprivilegedCopy;
