import { writeSync } from "node:fs";
import { UserError } from "../errors.js";
import { describeErrno, errnoOf } from "./errno.js";

/*
 * Standard output, written with write(2) directly: an error (a full disk behind `> file`, a closed pipe) is
 * seen where the write happens, as a return value, rather than as a stream 'error' event after the fact.
 */

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data` to standard output. A closed pipe ends the process quietly; any other error is one line. */
export function writeStdout(data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes, done, bytes.length - done);
    } catch (err) {
      const code = errnoOf(err);
      // A non-blocking pipe that is full: wait for the reader.
      if (code === "EAGAIN") {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      // `memdesc survey | head` closes the pipe early: the reader's choice, not an error.
      if (code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw stdoutError(err);
    }
  }
}

/** The one-line error for a failed write to standard output. */
export function stdoutError(err: unknown): UserError {
  return new UserError(
    `cannot write to standard output: ${describeErrno(err)}`,
    errnoOf(err) === "ENOSPC" || errnoOf(err) === "EDQUOT"
      ? "free some space where the output goes, or write it elsewhere"
      : "check where standard output goes",
    { code: "OUTPUT_STDOUT", cause: err },
  );
}
