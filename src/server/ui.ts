/**
 * The web UI, served by the API's own process:
 *
 * - `GET /` and the UI's files (`dist/ui/`, built by `npm run build`); any other GET of a page
 *   (a browser asking for HTML at a path whose first segment no API route uses, e.g. `/run`)
 *   gets `index.html`, so the UI's own paths survive a reload. API paths are never shadowed: the
 *   first segments of every route registered after this one are reserved, and a GET there that
 *   matches no route still gets the API's JSON 404.
 * - `GET /ui/examples` → `{examples: [{name, definition}]}`: the bundled `examples/*.json`.
 *
 * The UI's files hold no data, so they are served without a key: the checks ahead of the route
 * leave these routes alone (`auth.ts`), and a request here that serves no file meets the
 * `preHandler` check before the API's 404. The UI asks for the key and sends it with its API
 * calls. `/ui/examples` is an API route like the others.
 *
 * Register it before the API routes (it learns their prefixes from fastify's `onRoute` hook).
 */
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { PACKAGE_ROOT } from "./info.js";
import type { WorkflowExample } from "./wire.js";

export interface UiOptions {
  /** The built UI; default `dist/ui` of this package. Missing: `/` answers how to build it. */
  dir?: string;
  /** Example definitions; default `examples/` of this package. */
  examplesDir?: string;
}

/** The routes whose `onRequest` serves the UI's files (before the API-key check, which exempts them). */
export const UI_FILE_ROUTES: readonly string[] = ["/", "/*"];

export const DEFAULT_UI_DIR = join(PACKAGE_ROOT, "dist", "ui");
export const DEFAULT_EXAMPLES_DIR = join(PACKAGE_ROOT, "examples");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sightline</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>sightline</h1>
<p>The web UI is not built. Run <code>npm run build</code> in the sightline folder (it writes <code>dist/ui/</code>), then reload this page.</p>
<p>The HTTP API works without it: <code>POST /workflows/run</code>, <code>GET /workflows/blocks/describe</code>, <code>/inference_pipelines/…</code>.</p>
</body></html>
`;

/** A file of `root` at the URL path `urlPath`, or null (missing, a folder, or outside `root`). */
async function fileIn(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const path = resolve(root, `.${decoded.startsWith("/") ? decoded : `/${decoded}`}`);
  if (path !== root && !path.startsWith(root + sep)) return null;
  try {
    return (await stat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

function sendFile(reply: FastifyReply, path: string): FastifyReply {
  // Vite names assets by content hash: they never change. index.html names the current ones.
  const immutable = path.includes(`${sep}assets${sep}`);
  return reply
    .type(CONTENT_TYPES[extname(path)] ?? "application/octet-stream")
    .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache")
    .header("x-content-type-options", "nosniff")
    .send(createReadStream(path));
}

function wantsPage(request: FastifyRequest): boolean {
  return (request.method === "GET" || request.method === "HEAD") && (request.headers.accept ?? "").includes("text/html");
}

export function registerUiRoutes(app: FastifyInstance, options: UiOptions = {}): void {
  const root = resolve(options.dir ?? DEFAULT_UI_DIR);
  const examplesDir = options.examplesDir ?? DEFAULT_EXAMPLES_DIR;
  const reserved = new Set<string>(["ui"]);
  app.addHook("onRoute", (route) => {
    const first = route.url.split("/")[1] ?? "";
    if (first !== "" && first !== "*" && !first.startsWith(":")) reserved.add(first);
  });

  /** Serves the UI's file for this request if it has one; otherwise lets the request go on (API-key check, then the route). */
  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const path = request.url.split("?")[0];
    const file = await fileIn(root, path === "/" ? "/index.html" : path);
    if (file) return sendFile(reply, file);
    const first = path.split("/")[1] ?? "";
    if (path === "/" || (wantsPage(request) && !reserved.has(first) && extname(path) === "")) {
      const index = await fileIn(root, "/index.html");
      return index ? sendFile(reply, index) : reply.code(503).type("text/html; charset=utf-8").send(NOT_BUILT);
    }
    return undefined;
  };

  const notFound = async (_request: FastifyRequest, reply: FastifyReply) => reply.callNotFound();
  for (const route of UI_FILE_ROUTES) app.get(route, { onRequest: serve }, notFound);

  app.get("/ui/examples", async () => {
    const names = (await readdir(examplesDir).catch(() => [] as string[])).filter((name) => name.endsWith(".json")).sort();
    const examples = await Promise.all(
      names.map(async (name): Promise<WorkflowExample> => ({
        name: name.slice(0, -".json".length),
        definition: JSON.parse(await readFile(join(examplesDir, name), "utf8")) as unknown,
      })),
    );
    return { examples };
  });
}
