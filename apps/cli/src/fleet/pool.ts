import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Picture } from "@memdesc/core";
import type { Labels } from "@memdesc/kpageflags";

/*
 * Snapshots and capture archives surveyed on threads, one per CPU: each survey is a page map's worth of work
 * (0.1–1 s), and a fleet has hundreds.
 */

export interface SurveyJob {
  readonly id: number;
  readonly kind: "snapshot" | "archive";
  readonly path: string;
}

export type SurveyResult =
  | {
      readonly id: number;
      readonly ok: true;
      readonly picture: Picture;
      readonly hostname: string | null;
      readonly kernelRelease: string | null;
      readonly arch: string | null;
      readonly capturedAt: string | null;
      readonly labels: Labels;
    }
  | { readonly id: number; readonly ok: false; readonly problem: string; readonly user: boolean };

const workerUrl = new URL("./survey-worker.js", import.meta.url);

/** Surveys the jobs on up to `threads` threads; results come back in any order, each once. */
export async function surveyAll(
  jobs: readonly SurveyJob[],
  onResult: (r: SurveyResult) => void,
  threads = Math.min(availableParallelism(), 8),
): Promise<void> {
  if (jobs.length === 0) return;
  const count = Math.max(1, Math.min(threads, jobs.length));
  let next = 0;
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(workerUrl);
          const send = () => {
            if (next >= jobs.length) {
              void w.terminate().then(() => resolve());
              return;
            }
            w.postMessage(jobs[next++]);
          };
          w.on("message", (r: SurveyResult) => {
            onResult(r);
            send();
          });
          w.on("error", reject);
          send();
        }),
    ),
  );
}
