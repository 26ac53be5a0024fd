// Runs code as an unprivileged user from wherever the checkout is. A clone often sits in a directory only its
// owner may enter (mode 0700, as `mktemp -d` makes and `/root` is), so a child switched to `nobody` cannot reach
// the workspace's packages there. This copies a package and everything it imports at run time into a
// world-readable temporary directory, laid out as an install (`node_modules/<name>`), for that child to use.
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

/** uid and gid of `nobody` on Debian and most Linux distributions. */
export const nobody = { uid: 65534, gid: 65534 };

/** Whether this process can start a child as another user: only root can. */
export const canSwitchUser = () => process.getuid?.() === 0;

const manifestOf = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

/** The directory of package `name` as Node resolves it from `fromDir`. */
function packageDir(name, fromDir) {
  const require = createRequire(join(fromDir, "package.json"));
  try {
    return realpathSync(dirname(require.resolve(`${name}/package.json`)));
  } catch {
    // A package whose `exports` hide package.json: walk up from its entry point instead.
    let dir = dirname(require.resolve(name));
    while (!existsSync(join(dir, "package.json")) || manifestOf(dir).name !== name) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`cannot find the directory of package ${name} from ${fromDir}`);
      dir = up;
    }
    return realpathSync(dir);
  }
}

const installed = (name, fromDir) => {
  try {
    packageDir(name, fromDir);
    return true;
  } catch {
    return false;
  }
};

const skipped = new Set(["node_modules", ".turbo", "coverage", "test-artifacts"]);

/**
 * Copies the package in `dir` and its run-time dependency closure (`dependencies`, and the
 * `optionalDependencies` and `peerDependencies` that are installed) into a new directory under the system's temporary directory that
 * any user may read and enter (none may write). Returns the copied package's directory and `remove()`.
 */
export function copyForUnprivilegedUser(dir) {
  const root = mkdtempSync(join(tmpdir(), "memdesc-unprivileged-"));
  chmodSync(root, 0o755);
  const modules = join(root, "node_modules");
  mkdirSync(modules, { mode: 0o755 });
  const copies = new Map();
  const copy = (source) => {
    const real = realpathSync(source);
    const m = manifestOf(real);
    const existing = copies.get(m.name);
    if (existing) return existing;
    const dest = join(modules, m.name);
    copies.set(m.name, dest);
    cpSync(real, dest, {
      recursive: true,
      dereference: true,
      filter: (src) => src === real || !skipped.has(basename(src)),
    });
    // Peer dependencies are the installing project's to provide; here that is the workspace's copy.
    const optional = [
      ...Object.keys(m.optionalDependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}),
    ].filter((d) => installed(d, real));
    for (const dep of [...Object.keys(m.dependencies ?? {}), ...optional]) copy(packageDir(dep, real));
    return dest;
  };
  const packageCopy = copy(dir);
  readableByAll(root);
  return { root, dir: packageCopy, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Adds read (and, for directories and executables, search) permission for everyone: a clone made under a
 * umask of 077 has files only its owner can read, and the copy keeps their modes. */
function readableByAll(path) {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  const x = st.isDirectory() || st.mode & 0o100 ? 0o555 : 0o444;
  chmodSync(path, (st.mode & 0o7777 & ~0o022) | x);
  if (st.isDirectory()) for (const entry of readdirSync(path)) readableByAll(join(path, entry));
}
