/**
 * `npm run bench:server`: requests/s and p50/p99 latency of `POST /workflows/run` over loopback.
 * The server runs in a child process (this file with `--serve`), so the load generator — N
 * keep-alive clients on `node:http` — does not share its event loop. Scenarios, one run:
 *
 *   (a) model-free, parameters only: the engine bench's ten formatter / flow-control steps;
 *   (b) model-free on a 64×48 JPEG sent as base64 (decode + image property + expression);
 *   (c) the same as (a) through a stateful session (`session_id`: one engine, serialised runs);
 *   (d) tiny CLIP: `roboflow_core/clip@v1` image embedding of that JPEG, on the random-weight tiny
 *       CLIP written by `createTinyClipModel` (the server's model path, not CLIP's speed: for the
 *       model itself see `bench:clip`).
 *
 * Options: --seconds 3 (per scenario)  --concurrency 8  --scenarios a,b,c,d
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { Services } from "../src/index.js";
import { createTinyClipModel } from "../src/models/index.js";
import { createServer } from "../src/server/index.js";
import { statement, tenStepWorkflow } from "./workflows.js";

const PARAMETERS_WORKFLOW = tenStepWorkflow({ type: "WorkflowParameter", name: "value" });

const IMAGE_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "PropertyDefinition", name: "size", data: "$inputs.image", operations: [{ type: "ExtractImageProperty", property_name: "size" }] },
    {
      type: "Expression",
      name: "big",
      data: { s: "$steps.size.output" },
      switch: {
        type: "CasesDefinition",
        cases: [{ type: "CaseDefinition", condition: statement("s", "(Number) >=", 1000), result: { type: "StaticCaseResult", value: true } }],
        default: { type: "StaticCaseResult", value: false },
      },
    },
  ],
  outputs: [
    { type: "JsonField", name: "size", selector: "$steps.size.output" },
    { type: "JsonField", name: "big", selector: "$steps.big.output" },
  ],
};

const CLIP_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-32" }],
  outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
};

// ---- the server process -------------------------------------------------------------------------

async function serve(modelDir: string): Promise<void> {
  const services = new Services({ models: { folders: { "ViT-B-32": modelDir }, offline: true } });
  const server = createServer({ services, maxConcurrency: 64, maxQueue: 1024 });
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  process.send?.({ address });
  process.on("disconnect", () => {
    void server
      .close()
      .then(() => services.close())
      .then(() => process.exit(0));
  });
}

// ---- the load generator -------------------------------------------------------------------------

interface Result {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** `concurrency` clients posting back to back for `seconds`. */
async function hammer(agent: Agent, url: URL, bodies: (client: number, i: number) => string, seconds: number, concurrency: number) {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const sent = performance.now();
        const status = await post(agent, url, bodies(client, i));
        latenciesMs.push(performance.now() - sent);
        if (status !== 200) errors++;
      }
    }),
  );
  return { latenciesMs, errors, seconds: (performance.now() - started) / 1000 };
}

async function load(name: string, base: string, bodies: (client: number, i: number) => string, seconds: number, concurrency: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL("/workflows/run", base);
  const status = await post(agent, url, bodies(0, 0));
  if (status !== 200) throw new Error(`${name}: the first request answered ${status}`);
  // Warm-up under the same load (JIT of both processes, plan cache, model load), then measure.
  await hammer(agent, url, bodies, Math.min(1, seconds), concurrency);
  const measured = await hammer(agent, url, bodies, seconds, concurrency);
  agent.destroy();
  return { name, requests: measured.latenciesMs.length, ...measured };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function row(result: Result): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const rate = result.requests / result.seconds;
  return `${result.name.padEnd(42)} ${Math.round(rate).toLocaleString("en").padStart(8)}  ${quantile(sorted, 0.5).toFixed(2).padStart(8)}  ${quantile(sorted, 0.99).toFixed(2).padStart(8)}  ${String(result.errors).padStart(6)}`;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      serve: { type: "string" },
      seconds: { type: "string", default: "3" },
      concurrency: { type: "string", default: "8" },
      scenarios: { type: "string", default: "a,b,c,d" },
    },
  });
  if (args.serve !== undefined) return serve(args.serve);

  const seconds = Number(args.seconds);
  const concurrency = Number(args.concurrency);
  const scenarios = new Set(args.scenarios.split(","));
  const modelDir = await createTinyClipModel(await mkdtemp(join(tmpdir(), "sightline-bench-tiny-clip-")));
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--serve", modelDir], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const base = await new Promise<string>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { address: string }).address));
    child.once("exit", (code) => reject(new Error(`the server process exited (${code})`)));
  });

  const jpeg = (
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 40 } } })
      .jpeg()
      .toBuffer()
  ).toString("base64");
  const parameters = (_client: number, i: number) => JSON.stringify({ specification: PARAMETERS_WORKFLOW, inputs: { value: (i % 10) / 20 } });
  const image = () => JSON.stringify({ specification: IMAGE_WORKFLOW, inputs: { image: { type: "base64", value: jpeg } } });
  const session = (client: number, i: number) =>
    JSON.stringify({ specification: PARAMETERS_WORKFLOW, inputs: { value: (i % 10) / 20 }, session_id: `client-${client}` });
  const clip = () => JSON.stringify({ specification: CLIP_WORKFLOW, inputs: { image: { type: "base64", value: jpeg } } });

  console.log(`server bench — ${cpus()[0]?.model ?? "cpu"} ×${cpus().length}, node ${process.version}, ${new Date().toISOString()}`);
  console.log(`${concurrency} keep-alive clients on loopback, ${seconds} s per scenario; server in a child process\n`);
  console.log(`${"scenario".padEnd(42)} ${"req/s".padStart(8)}  ${"p50 ms".padStart(8)}  ${"p99 ms".padStart(8)}  ${"errors".padStart(6)}`);
  try {
    const plan: Array<[string, string, (client: number, i: number) => string]> = [
      ["a", "(a) model-free, 10 steps, parameters", parameters],
      ["b", "(b) model-free, 64×48 JPEG base64 input", image],
      ["c", "(c) as (a), one session per client", session],
      ["d", "(d) tiny CLIP image embedding, JPEG input", clip],
    ];
    for (const [key, name, bodies] of plan) {
      if (scenarios.has(key)) console.log(row(await load(name, base, bodies, seconds, concurrency)));
    }
  } finally {
    child.disconnect();
    await new Promise((resolve) => child.once("exit", resolve));
    await rm(modelDir, { recursive: true, force: true });
  }
}

await main();
