// The web example's own little server (`blindml local --web`): the page (examples/web), the
// browser bundles and the engine module (dist/web), and /config.json telling the page where the
// local S3 and SageMaker runtime are. Static files come from two fixed folders, by name only
// (no subfolders, no dot files), with a Content-Security-Policy that allows exactly what the page
// needs: its own scripts and worker, WebAssembly compilation, and fetches to the two endpoints.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** What the page reads from /config.json (the local stack's endpoints and fixed credentials). */
export interface PageConfig {
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly s3Endpoint: string;
  readonly runtimeEndpoint: string;
  readonly modelUri: string;
  readonly endpointName: string;
  readonly uploadPrefix: string;
  /** Example inputs the page offers (e.g. held-out digits), with their true labels. */
  readonly samples?: readonly { readonly label: number; readonly row: readonly number[] }[];
}

export interface WebAppOptions {
  /** The page's folder (default examples/web of this package). */
  pageDir?: string;
  /** The bundles' folder (default dist/web, made by `npm run build:web`). */
  bundleDir?: string;
  /** The configuration, read per request (it is known only once the stack is up). */
  config: () => PageConfig | undefined;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export function createWebApp(options: WebAppOptions): Hono {
  const pageDir = options.pageDir ?? join(ROOT, "examples", "web");
  const bundleDir = options.bundleDir ?? join(ROOT, "dist", "web");
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    const config = options.config();
    const endpoints = config ? ` ${origin(config.s3Endpoint)} ${origin(config.runtimeEndpoint)}` : "";
    c.header("Content-Security-Policy", `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'${endpoints}; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
  });
  app.get("/config.json", (c) => {
    const config = options.config();
    return config ? c.json(config) : c.json({ error: "The local stack is still starting." }, 503);
  });
  app.get("/", (c) => serveFile(c.req.raw, pageDir, "index.html"));
  app.get("/blindml/:file", (c) => serveFile(c.req.raw, bundleDir, c.req.param("file")));
  app.get("/:file", (c) => serveFile(c.req.raw, pageDir, c.req.param("file")));
  return app;
}

async function serveFile(_request: Request, dir: string, name: string): Promise<Response> {
  const type = TYPES[name.slice(name.lastIndexOf("."))];
  if (!type || !/^[\w][\w.-]*$/.test(name)) return notFound(name);
  try {
    const bytes = await readFile(join(dir, name));
    return new Response(bytes, { headers: { "Content-Type": type } });
  } catch {
    return notFound(name);
  }
}

function notFound(name: string): Response {
  return new Response(`Not found: ${name}\n`, { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

function origin(url: string): string {
  return new URL(url).origin;
}
