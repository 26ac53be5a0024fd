import { spawn } from "node:child_process";
import { createReadStream, existsSync, type Stats, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, relative, resolve, sep } from "node:path";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";

/** Content types of what the explorer's build holds (and a few more a later build may add). */
const mimeTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".mdsnap": "application/octet-stream",
};

export function contentType(path: string): string {
  return mimeTypes[extname(path).toLowerCase()] ?? "application/octet-stream";
}

const host = "127.0.0.1";

/**
 * `memdesc explore`: serves the built explorer (the `app/` folder of the installed @memdesc/explorer package)
 * on 127.0.0.1, on a free port unless `--port` names one, and prints the URL. Nothing is built at run time;
 * the server runs until Ctrl-C (SIGINT) or SIGTERM.
 */
export default async function explore(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const port = parsePort(opts.port);
  const dir = await appDirectory();
  const server = createServer((req, res) => serve(dir, req, res));
  await listen(server, port);
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const url = `http://${host}:${bound}/`;
  ctx.err(`serving ${dir}; press Ctrl-C to stop\n`);
  ctx.out(`memdesc explore: the explorer is at ${url}\n`);
  if (opts.open) openBrowser(url, ctx);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close(() => done());
      server.closeAllConnections();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function parsePort(value: unknown): number {
  if (value === undefined) return 0;
  const text = String(value);
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UserError(
      `--port ${text} is not a port number`,
      "give a number from 1 to 65535, or leave --port out for a free port",
    );
  return n;
}

/** The built app inside the installed @memdesc/explorer package. */
async function appDirectory(): Promise<string> {
  let appDir: string;
  try {
    ({ appDir } = await import("@memdesc/explorer"));
  } catch (err) {
    throw new UserError(
      `the explorer (@memdesc/explorer) is not installed: ${(err as Error).message.split("\n")[0]}`,
      "reinstall memdesc (npm install -g memdesc), or in the repository run npm ci && npm run build",
      { cause: err, code: "EXPLORER_NOT_FOUND" },
    );
  }
  if (!existsSync(join(appDir, "index.html")))
    throw new UserError(
      `the explorer is not built: ${join(appDir, "index.html")} is missing`,
      "in the repository, run npm run build (or npm run build -w @memdesc/explorer); a published memdesc ships it built",
      { code: "EXPLORER_NOT_BUILT" },
    );
  return resolve(appDir);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE")
        fail(
          new UserError(
            `port ${port} on ${host} is in use`,
            "pick another --port, or leave it out for a free one",
            {
              cause: err,
              code: "PORT_IN_USE",
            },
          ),
        );
      else if (err.code === "EACCES")
        fail(
          new UserError(`port ${port} needs privileges to listen on`, "pick a port above 1023", {
            cause: err,
            code: "PORT_DENIED",
          }),
        );
      else fail(err);
    });
    server.listen(port, host, () => done());
  });
}

/** Answers GET and HEAD with files under `dir` only; `/` is index.html. */
export function serve(dir: string, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
    res.end(req.method === "HEAD" ? undefined : `${text}\n`);
  };
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(405, "method not allowed", { Allow: "GET, HEAD" });
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    send(400, "bad request");
    return;
  }
  if (path.endsWith("/")) path += "index.html";
  const file = resolve(dir, `.${path}`);
  // Nothing outside the app's folder, however the path is spelled.
  const rel = relative(dir, file);
  let stat: Stats | undefined;
  if (!rel.startsWith("..") && !rel.includes(`..${sep}`) && !path.includes("\0")) {
    try {
      stat = statSync(file);
    } catch {
      stat = undefined;
    }
  }
  if (!stat?.isFile()) {
    send(404, "not found");
    return;
  }
  res.writeHead(200, {
    "Content-Type": contentType(file),
    "Content-Length": String(stat.size),
    // Vite names built assets by their content hash, so they never change; the page itself may.
    "Cache-Control": rel.startsWith(`assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
}

/** Opens the URL in the desktop's browser; where there is none, says so and keeps serving. */
function openBrowser(url: string, ctx: Context): void {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => ctx.err(`could not start ${cmd} to open a browser; open ${url} yourself\n`));
    child.unref();
  } catch {
    ctx.err(`could not start ${cmd} to open a browser; open ${url} yourself\n`);
  }
}
