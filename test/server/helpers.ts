/**
 * A real sightline server on 127.0.0.1 with an ephemeral port per test file — in this process, or
 * as `sightline serve` in a child process — plain `fetch` as the client, a local HTTP server for
 * image URLs, and blocks that hold a run open until released (for the concurrency and timeout
 * tests).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { z } from "zod";
import { defineBlock, selector, type BlockPlugin } from "../../src/block-api/index.js";
import { createRegistry } from "../../src/index.js";
import { createServer, type ServerOptions, type SightlineServer } from "../../src/server/index.js";
import { CLI } from "../helpers/cli.js";
import { testBlocks } from "../helpers/test-blocks.js";

export interface RunningServer {
  server: SightlineServer;
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const server = createServer({ registry: serverTestRegistry, ...options });
  const url = await server.app.listen({ host: "127.0.0.1", port: 0 });
  return { server, url, close: () => server.close() };
}

export interface ServeProcess {
  child: ChildProcess;
  /** Where it listens, once it says so on stderr. */
  address: Promise<string>;
  exited: Promise<number | null>;
  /** Its log: JSON lines. */
  stdout(): string;
  stderr(): string;
}

/**
 * `sightline serve --port 0 …args` as a user runs it: the built CLI in a child process. Without a
 * `--data-dir` of the test's own, `--no-data-dir`: test files run at once, and the default data
 * folder takes one server at a time.
 */
export function startServeCli(args: readonly string[], env: Record<string, string> = {}): ServeProcess {
  const storage = args.some((arg) => /^--(no-)?data-dir(=|$)/.test(arg)) ? [] : ["--no-data-dir"];
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...storage, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const address = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const match = /serving workflows on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, address, exited, stdout: () => stdout, stderr: () => stderr };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One request; `json` is sent as JSON, `raw` as-is. The answer's body is parsed when it is JSON. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { json?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined = options.raw;
  if (options.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get("content-type") ?? "").includes("application/json")) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export type Json = Record<string, unknown>;

/** Runs held by `server_test/hold@v1`: each waits until `releaseHeld()` or until its run is aborted. */
const held: Array<() => void> = [];
export const heldRuns = { entered: 0 };

export function releaseHeld(): void {
  for (const release of held.splice(0)) release();
}

const hold = defineBlock({
  manifest: {
    type: "server_test/hold@v1",
    name: "Hold",
    family: "test",
    description: "Waits until the test releases it or the run is aborted.",
    properties: z.object({ value: selector() }),
    outputs: [{ name: "value", kinds: ["*"] }],
  },
  async run({ value }, ctx) {
    heldRuns.entered++;
    await new Promise<void>((resolve, reject) => {
      held.push(resolve);
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error), { once: true });
    });
    return { value };
  },
});

const serverTestBlocks: BlockPlugin = (registry) => {
  registry.register(hold);
};

export const serverTestRegistry = createRegistry(testBlocks, serverTestBlocks);

/** A workflow whose one step holds the run. */
export const HOLD_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "value" }],
  steps: [{ type: "server_test/hold@v1", name: "hold", value: "$inputs.value" }],
  outputs: [{ type: "JsonField", name: "value", selector: "$steps.hold.value" }],
};

/** A small PNG of one colour. */
export async function pngImage(width: number, height: number, rgb: [number, number, number] = [40, 120, 200]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

/** Serves fixed files over HTTP on 127.0.0.1 (image URLs for `/workflows/run`). */
export async function serveFiles(files: Record<string, { body: Buffer; type: string }>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createHttpServer((request, response) => {
    const file = files[request.url ?? ""];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": file.type, "content-length": file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ServerSentEvent {
  event: string;
  data: unknown;
}

/**
 * Reads an event stream until `until` returns true for an event or the stream ends; then
 * disconnects. Comment lines (heartbeats) are counted, not returned.
 */
export async function readEvents(
  url: string,
  until: (event: ServerSentEvent) => boolean,
  headers: Record<string, string> = {},
): Promise<{ events: ServerSentEvent[]; status: number; contentType: string | null }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: ServerSentEvent[] = [];
  if (!response.body) return { events, status: response.status, contentType: response.headers.get("content-type") };
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n").filter((line) => !line.startsWith(":"));
        const event = lines.find((line) => line.startsWith("event: "))?.slice(7);
        const data = lines.find((line) => line.startsWith("data: "))?.slice(6);
        if (event === undefined || data === undefined) continue;
        const parsed = { event, data: JSON.parse(data) as unknown };
        events.push(parsed);
        if (until(parsed)) return { events, status: response.status, contentType: response.headers.get("content-type") };
      }
    }
  } finally {
    controller.abort();
    await reader.cancel().catch(() => undefined);
  }
  return { events, status: response.status, contentType: response.headers.get("content-type") };
}
