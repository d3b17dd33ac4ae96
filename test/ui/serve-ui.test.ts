/**
 * The UI's routes over real HTTP (`src/server/ui.ts`): the files, the fallback for the UI's own
 * paths that never shadows the API, the API key (needed for the API, not for the UI's files), a
 * missing build, and the bundled examples.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type SightlineServer } from "../../src/server/index.js";

const INDEX = "<!doctype html><title>ui</title>";
const SCRIPT = "console.log('ui');";

let scratch: string;
const servers: SightlineServer[] = [];

async function start(options: Parameters<typeof createServer>[0]): Promise<string> {
  const server = createServer(options);
  servers.push(server);
  return server.app.listen({ host: "127.0.0.1", port: 0 });
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "sightline-ui-routes-"));
  mkdirSync(join(scratch, "ui/assets"), { recursive: true });
  writeFileSync(join(scratch, "ui/index.html"), INDEX);
  writeFileSync(join(scratch, "ui/assets/app-1234.js"), SCRIPT);
  writeFileSync(join(scratch, "secret.txt"), "outside the UI folder");
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(scratch, { recursive: true, force: true });
});

const html = { accept: "text/html,application/xhtml+xml" };

describe("the web UI's routes", () => {
  it("serves the UI's files, and index.html for the UI's own paths", async () => {
    const base = await start({ uiDir: join(scratch, "ui") });
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(root.headers.get("cache-control")).toBe("no-cache");
    expect(await root.text()).toBe(INDEX);

    const asset = await fetch(`${base}/assets/app-1234.js`);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await asset.text()).toBe(SCRIPT);

    const page = await fetch(`${base}/run`, { headers: html });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
  });

  it("never answers API paths with the UI", async () => {
    const base = await start({ uiDir: join(scratch, "ui") });
    // A browser asking for a page under an API prefix, a missing asset, a non-page request: the API's JSON 404.
    for (const [path, headers] of [
      ["/workflows/run", html],
      ["/inference_pipelines/nope/status/extra", html],
      ["/assets/missing.js", html],
      ["/run", { accept: "application/json" }],
    ] as const) {
      const answer = await fetch(`${base}${path}`, { headers });
      expect(answer.status, path).toBe(404);
      expect(((await answer.json()) as { error_type: string }).error_type, path).toBe("NotFoundError");
    }
    const catalogue = await fetch(`${base}/workflows/blocks/describe`, { headers: html });
    expect(catalogue.headers.get("content-type")).toContain("application/json");
    // Nothing outside the UI's folder, however the path is spelled.
    for (const path of ["/..%2Fsecret.txt", "/%2e%2e/secret.txt", "/assets/..%2F..%2Fsecret.txt"]) {
      const answer = await fetch(`${base}${path}`);
      expect(answer.status, path).toBe(404);
      expect(await answer.text(), path).not.toContain("outside the UI folder");
    }
  });

  it("serves the UI without the API key and the API only with it", async () => {
    const base = await start({ uiDir: join(scratch, "ui"), apiKey: "k3y" });
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/assets/app-1234.js`)).status).toBe(200);
    expect((await fetch(`${base}/run`, { headers: html })).status).toBe(200);
    expect((await fetch(`${base}/ui/examples`)).status).toBe(401);
    expect((await fetch(`${base}/workflows/blocks/describe`)).status).toBe(401);
    expect((await fetch(`${base}/ui/examples`, { headers: { authorization: "Bearer k3y" } })).status).toBe(200);
  });

  it("says how to build the UI when it is missing", async () => {
    const base = await start({ uiDir: join(scratch, "not-built") });
    const answer = await fetch(`${base}/`);
    expect(answer.status).toBe(503);
    expect(await answer.text()).toContain("npm run build");
    expect((await fetch(`${base}/workflows/execution_engine/versions`)).status).toBe(200);
  });

  it("lists the bundled examples with their definitions", async () => {
    const base = await start({ uiDir: join(scratch, "ui") });
    const { examples } = (await (await fetch(`${base}/ui/examples`)).json()) as { examples: { name: string; definition: { steps: unknown[] } }[] };
    const files = readdirSync(resolve(import.meta.dirname, "../../examples")).filter((name) => name.endsWith(".json"));
    expect(examples.map((example) => `${example.name}.json`)).toEqual(files.sort());
    expect(examples.every((example) => Array.isArray(example.definition.steps))).toBe(true);
  });
});
