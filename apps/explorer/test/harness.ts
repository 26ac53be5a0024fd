import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sampleSnapshotPath } from "@memdesc/kpageflags";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/*
 * What the end-to-end tests and the bench share: the built app served by `vite preview`, and Debian's
 * Chromium driven by playwright-core (never a downloaded browser).
 */

export const explorerRoot = fileURLToPath(new URL("..", import.meta.url));
export const repoRoot = join(explorerRoot, "../..");
export const appDir = join(explorerRoot, "app");
export const chromiumPath = "/usr/bin/chromium";
/** The sample the app opens on (kpageflags' default sample). */
export const sampleSnapshot = sampleSnapshotPath();
export const cliBin = join(repoRoot, "apps/cli/bin/memdesc.cjs");

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  if (!existsSync(chromiumPath))
    return `${chromiumPath} is missing (install Debian's chromium package: apt-get install chromium)`;
  if (!existsSync(join(appDir, "index.html")))
    return `the app is not built (${appDir}/index.html is missing)`;
  return undefined;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Preview {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves the built app with `vite preview` on 127.0.0.1 and a free port. The child is vite's own node
 * process (no npx in between), so stopping it by its PID stops the server.
 */
export async function startPreview(): Promise<Preview> {
  const port = await freePort();
  const vite = join(repoRoot, "node_modules/vite/bin/vite.js");
  const child: ChildProcess = spawn(
    process.execPath,
    [vite, "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
    { cwd: explorerRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}): ${output}`);
    try {
      const res = await fetch(url);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`vite preview did not answer on ${url} in 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The flags without which Chromium keeps trying to reach the network (and fails in a closed one). */
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export interface BrowserSession {
  readonly browser: BrowserContext;
  close(): Promise<void>;
}

/** A browser's screen: a desktop's by default; `phone` is a 390 px wide touch screen, as an iPhone 14's. */
export interface Screen {
  readonly viewport: { readonly width: number; readonly height: number };
  readonly hasTouch?: boolean;
  readonly isMobile?: boolean;
  readonly deviceScaleFactor?: number;
}

export const desktop: Screen = { viewport: { width: 1280, height: 900 } };
export const phone: Screen = {
  viewport: { width: 390, height: 844 },
  hasTouch: true,
  isMobile: true,
  deviceScaleFactor: 2,
};

/** Headless Chromium with a fresh user-data directory, removed on close. */
export async function launchChromium(screen: Screen = desktop): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), "memdesc-explorer-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    acceptDownloads: true,
    ...screen,
  });
  return {
    browser: context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser };

/** The built app in Chromium with one page, and what the page did: its errors and every URL it requested. */
export interface ExplorerSession {
  readonly preview: Preview;
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
  /** The requests that left the app's own origin (none may: nothing is fetched, nothing uploaded). */
  foreignRequests(): string[];
  close(): Promise<void>;
}

/** Serves the app, opens a page in Chromium and records its errors and requests. */
export async function openExplorer(screen: Screen = desktop): Promise<ExplorerSession> {
  const [preview, session] = await Promise.all([startPreview(), launchChromium(screen)]);
  const page = await session.browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("request", (r) => requests.push(r.url()));
  return {
    preview,
    page,
    errors,
    requests,
    foreignRequests: () =>
      requests.filter((u) => !u.startsWith(preview.url) && !u.startsWith("data:") && !u.startsWith("blob:")),
    close: async () => {
      await session.close();
      await preview.stop();
    },
  };
}

/** An axe-core finding: the rule, how bad, and where. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

const axeSource = () => readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core (the npm package, injected into the page) on the whole document, as it is now, against WCAG
 * 2.x A and AA and axe's best practices; returns every violation.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource() });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
      },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}
