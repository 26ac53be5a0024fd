import { afterEach, describe, expect, it } from "vitest";
import { analyzeInWorker, LoadError } from "./worker-client.js";

/**
 * A Worker that receives a decode and never answers, as a worker stuck in a long decode: what cancelling must
 * stop. Records what the client does to it.
 */
class StuckWorker {
  static made: StuckWorker[] = [];
  posted: unknown[] = [];
  terminated = false;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  constructor() {
    StuckWorker.made.push(this);
  }
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  terminate() {
    this.terminated = true;
  }
}

describe("the page-map worker's client", () => {
  const realWorker = globalThis.Worker;
  afterEach(() => {
    globalThis.Worker = realWorker;
    StuckWorker.made = [];
  });

  it("cancels a decode by ending the worker, and starts a new one for the next file", async () => {
    globalThis.Worker = StuckWorker as unknown as typeof Worker;
    const controller = new AbortController();
    const decoding = analyzeInWorker(new ArrayBuffer(64), "huge.mdsnap", controller.signal);
    await Promise.resolve();
    expect(StuckWorker.made).toHaveLength(1);
    expect(StuckWorker.made[0]!.posted).toHaveLength(1);
    controller.abort();
    const err = await decoding.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ code: "CANCELLED", message: "huge.mdsnap: loading was cancelled" });
    expect(StuckWorker.made[0]!.terminated).toBe(true);
    // The next load gets a fresh worker.
    void analyzeInWorker(new ArrayBuffer(64), "next.mdsnap").catch(() => {});
    await Promise.resolve();
    expect(StuckWorker.made).toHaveLength(2);
    expect(StuckWorker.made[1]!.terminated).toBe(false);
  });

  it("does not start a decode that was cancelled before it began", async () => {
    globalThis.Worker = StuckWorker as unknown as typeof Worker;
    const controller = new AbortController();
    controller.abort();
    await expect(analyzeInWorker(new ArrayBuffer(64), "x.mdsnap", controller.signal)).rejects.toMatchObject({
      code: "CANCELLED",
    });
    expect(StuckWorker.made).toHaveLength(0);
  });
});
