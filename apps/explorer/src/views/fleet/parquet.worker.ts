import { fleetFromParquet } from "./load.js";

/*
 * Decodes a fleet's Parquet off the main thread, where the page can stop it: a hostile file can make the Parquet
 * reader loop for minutes (a run length of billions in a page), and only ending the thread stops that.
 * Request: { bytes: ArrayBuffer, name }. Reply: { ok: true, fleet } or { ok: false, error: { code, message, hint } }.
 */
interface WorkerScope {
  onmessage: ((e: MessageEvent<{ bytes: ArrayBuffer; name: string }>) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async (e) => {
  try {
    scope.postMessage({ ok: true, fleet: await fleetFromParquet(e.data.bytes, e.data.name) });
  } catch (err) {
    const x = err as { code?: string; message: string; hint?: string };
    scope.postMessage({ ok: false, error: { code: x.code ?? "ERROR", message: x.message, hint: x.hint } });
  }
};
