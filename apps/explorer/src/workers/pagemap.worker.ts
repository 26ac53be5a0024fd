import { analyzeSnapshot } from "./analyze.js";

/*
 * Decodes, surveys and maps a snapshot off the main thread, so the page stays responsive while 6.5 million
 * PFNs are classified. Request: { id, bytes: ArrayBuffer, name }. Reply: { id, ok: true, analysis } with the
 * typed arrays transferred, or { id, ok: false, error: { code, message, hint } }.
 */
interface Request {
  readonly id: number;
  readonly bytes: ArrayBuffer;
  readonly name: string;
}
/** The part of a dedicated worker's global scope used here (the project's types are the DOM's). */
interface WorkerScope {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async (e) => {
  const { id, bytes, name } = e.data;
  try {
    const analysis = await analyzeSnapshot(new Uint8Array(bytes), name);
    scope.postMessage({ id, ok: true, analysis }, [
      analysis.uses.end.buffer,
      analysis.uses.use.buffer,
      analysis.flags.end.buffer,
      analysis.flags.value.buffer,
      analysis.flags.values.buffer,
    ]);
  } catch (err) {
    const e2 = err as { code?: string; message?: string; hint?: string };
    scope.postMessage({
      id,
      ok: false,
      error: { code: e2.code ?? "ERROR", message: e2.message ?? String(err), hint: e2.hint },
    });
  }
};
