// A fleet's survey thread: surveys snapshots and capture archives it is sent, one at a time, and sends back each
// one's memory picture and host facts (the main thread bills them, with the descriptor set it composed).
import { parentPort } from "node:worker_threads";
import { openCaptureArchive, readSnapshot, survey, surveyPicture } from "@memdesc/kpageflags";
import type { SurveyJob, SurveyResult } from "./pool.js";

const port = parentPort!;

async function run(job: SurveyJob): Promise<SurveyResult> {
  try {
    if (job.kind === "snapshot") {
      const snap = readSnapshot(job.path);
      const s = await survey(snap.source, { root: snap.root() });
      return {
        id: job.id,
        ok: true,
        picture: surveyPicture(s),
        hostname: s.kernel?.hostname ?? null,
        kernelRelease: s.source.kernelRelease ?? null,
        arch: s.source.machine ?? null,
        capturedAt: s.source.capturedAt ?? null,
        labels: snap.header.labels ?? {},
      };
    }
    const a = await openCaptureArchive(job.path);
    const s = await survey(a.source, { root: a.root });
    return {
      id: job.id,
      ok: true,
      picture: surveyPicture(s),
      hostname: s.kernel?.hostname ?? null,
      kernelRelease: s.source.kernelRelease ?? null,
      arch: s.source.machine ?? null,
      capturedAt: s.source.capturedAt ?? null,
      labels: a.meta?.labels ?? {},
    };
  } catch (err) {
    // A bad input is data: its message goes back, and the fleet names the file and skips it.
    const e = err as { message?: unknown; code?: unknown; name?: unknown };
    const user = typeof e.code === "string" && e.name !== "Error";
    return { id: job.id, ok: false, problem: String(e.message ?? err), user };
  }
}

port.on("message", (job: SurveyJob) => {
  void run(job).then((r) => port.postMessage(r));
});
