/**
 * `GET /info` (docs/reference/http.md#get-info): upstream's `ServerVersionInfo` — `{name, version,
 * uuid}` — which Roboflow's Python SDK reads in `get_server_info()`. Like upstream's, it answers
 * without an API key: the SDK sends none to it.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

// Two levels up from both `src/server/info.ts` and `dist/server/info.js` is the package root.
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ServerInfo {
  name: string;
  version: string;
  /** This server process, new at every start (upstream's `GLOBAL_INFERENCE_SERVER_ID`). */
  uuid: string;
}

/** The route that needs no API key. */
export const INFO_ROUTE = "/info";

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

export function registerInfoRoute(app: FastifyInstance): void {
  const info: ServerInfo = { name: "sightline", version: packageVersion(), uuid: randomUUID() };
  app.get(INFO_ROUTE, async () => info);
}
