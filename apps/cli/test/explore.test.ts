import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { appDir } from "@memdesc/explorer";
import { afterAll, describe, expect, it } from "vitest";
import { bin, cliRoot, expectUserError, fixtures, run } from "./helpers.js";

/** `memdesc explore` started as a user starts it; resolves once it has printed its URL. */
function startExplore(
  args: readonly string[] = [],
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, "explore", ...args], {
    cwd: fixtures,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`memdesc explore printed no URL in 20 s: ${out}${err}`));
    }, 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /the explorer is at (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => err });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`memdesc explore exited (${code}) before printing its URL: ${out}${err}`));
    });
  });
}

/** Stops it by its PID and returns its exit status. */
function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

const running: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => stop(c)));
});

describe("memdesc explore", () => {
  it("serves the built explorer from the installed package on 127.0.0.1, with the right types, and stops on SIGTERM", async () => {
    const { child, url, stderr } = await startExplore();
    running.push(child);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect.poll(stderr).toContain(appDir.replace(/\/$/, ""));

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toBe(readFileSync(join(appDir, "index.html"), "utf8"));
    // The page's own script, as the browser would ask for it.
    const script = /<script type="module" crossorigin src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, "the built page loads its entry script").toBeDefined();
    const asset = await fetch(new URL(script!, url));
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await asset.text()).toBe(readFileSync(join(appDir, script!), "utf8"));
    const css = /href="\.\/(assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect((await fetch(new URL(css!, url))).headers.get("content-type")).toBe("text/css; charset=utf-8");

    expect((await fetch(new URL("no-such-file.js", url))).status).toBe(404);
    expect((await fetch(`${url}%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);
    expect((await fetch(url, { method: "HEAD" })).headers.get("content-length")).toBe(
      String(Buffer.byteLength(html)),
    );

    expect(await stop(child)).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it("listens on the --port given, and stops on Ctrl-C (SIGINT)", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { child, url } = await startExplore(["--port", String(port)]);
    running.push(child);
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    expect((await fetch(url)).status).toBe(200);
    expect(await stop(child, "SIGINT")).toBe(0);
  });

  it("says so in one line when the port is taken or not a port", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      expectUserError(
        run(["explore", "--port", String(port)]),
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`),
      );
    } finally {
      taken.close();
    }
    expectUserError(run(["explore", "--port", "http"]), /--port http is not a port number/);
  });

  it("depends on @memdesc/explorer, which ships its built app", () => {
    const cli = JSON.parse(readFileSync(join(cliRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(cli.dependencies["@memdesc/explorer"]).toBeDefined();
    const explorer = JSON.parse(readFileSync(join(appDir, "..", "package.json"), "utf8")) as {
      files: string[];
    };
    expect(explorer.files).toContain("app");
  });
});
