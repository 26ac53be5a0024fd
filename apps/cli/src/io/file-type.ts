import type { Stats } from "node:fs";

/** What kind of file `st` is, for messages: `character device`, `FIFO (named pipe)`, `file`. */
export function fileType(st: Stats): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isFIFO()) return "FIFO (named pipe)";
  if (st.isSocket()) return "socket";
  if (st.isSymbolicLink()) return "symbolic link";
  return "special file";
}
