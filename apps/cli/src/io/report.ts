import { PendingOutput } from "./output.js";
import { writeStdout } from "./stdout.js";

/**
 * Where a command's report (its table or its `--json`) goes: standard output as it is written, or, with
 * `-o FILE`, a file that appears complete when the command succeeds (or its check fails, which is a report
 * too) and not at all when it fails.
 */
export interface ReportSink {
  /** Standard output, and a terminal: colour and notes meant for a person are allowed. */
  readonly terminal: boolean;
  /** Whether the report goes to standard output (rather than a file given with -o). */
  readonly stdout: boolean;
  /** Text, or bytes for a binary format (Parquet). */
  write(data: string | Uint8Array): void;
  /** The command is done: a file output is put in place. */
  finish(): void;
  /** The command failed: a file output is thrown away. */
  abort(): void;
}

/** The sink for `-o ARG` (undefined or `-`: standard output). The path is checked at once. */
export function openReport(arg: string | undefined, cwd: string): ReportSink {
  if (arg === undefined || arg === "-")
    return {
      terminal: process.stdout.isTTY === true,
      stdout: true,
      write: writeStdout,
      finish() {},
      abort() {},
    };
  const pending = PendingOutput.open(arg, cwd);
  const parts: (string | Uint8Array)[] = [];
  let closed = false;
  return {
    terminal: false,
    stdout: false,
    write: (data) => {
      parts.push(data);
    },
    finish() {
      if (closed) return;
      closed = true;
      pending.write(Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))));
      pending.commit();
    },
    abort() {
      if (closed) return;
      closed = true;
      pending.abort();
    },
  };
}
