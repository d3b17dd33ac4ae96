/**
 * `npm run bench:cluster`: stream pipelines on Redis against the same pipelines in one process
 * (docs/guides/service.md#redis-and-workers). Everything runs as users run it: its own
 * redis-server (appendfsync everysec, the usual production setting), the built CLI's `serve` and
 * `worker` processes, the pipeline routes over loopback HTTP. Ratios are taken inside one run,
 * alternating the two sides, because the machine is shared and its load moves.
 *
 *   (1) frames/s of a cheap model-free workflow on one file through `serve --redis` + one worker
 *       ÷ the same pipeline in `serve` without Redis (initialise → state `finished`, results
 *       consumed as it runs); median of --rounds; plus Redis commands per frame
 *       (`INFO commandstats` before/after) and one PING's round trip.
 *   (2) takeover: two workers, one pipeline; SIGKILL the worker running it; time from the kill to
 *       the first new result of that pipeline, with `--lease-ms` as set here.
 *   (3) one worker vs two on a CPU-bound workflow (a custom JavaScript step spinning --burn-ms of
 *       wall time per frame in the worker's sandbox threads, which run several pipelines' steps
 *       at once), --pipelines file pipelines: aggregate frames/s.
 *   Then `redis-benchmark -q -n 100000` (SET, GET, XADD to a capped stream) on the same Redis, and the extrapolation
 *   to 100 workers × 50 cameras at 1 frame/s.
 *
 * Options: --rounds 3  --frames 600  --lease-ms 3000  --pipelines 4  --burn-ms 20
 * Needs `npm run build` first (the script does it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeTestVideo } from "../src/video/testing.js";
import { startRedis, type RedisServer } from "../test/helpers/redis.js";
import { projectRoot } from "./fixtures.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    frames: { type: "string", default: "600" },
    "lease-ms": { type: "string", default: "3000" },
    pipelines: { type: "string", default: "4" },
    "burn-ms": { type: "string", default: "20" },
  },
});
const ROUNDS = Number(args.rounds);
const FRAMES = Number(args.frames);
const LEASE_MS = Number(args["lease-ms"]);
const PIPELINES = Number(args.pipelines);
const BURN_MS = Number(args["burn-ms"]);
const CLI = join(projectRoot(import.meta.dirname), "dist", "cli", "main.js");
/** A hang guard for waiting on a process or a pipeline, not a measurement. */
const LIMIT_MS = 300_000;

/** Cheap per frame, so that what Redis adds shows: the frame's number and size, one comparison. */
const CHEAP_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
    { type: "PropertyDefinition", name: "size", data: "$inputs.image", operations: [{ type: "ExtractImageProperty", property_name: "size" }] },
  ],
  outputs: [
    { type: "JsonField", name: "frame_number", selector: "$steps.frame.output" },
    { type: "JsonField", name: "size", selector: "$steps.size.output" },
  ],
};

/** CPU-bound per frame: a custom JavaScript step spinning for BURN_MS (in the worker's sandbox). */
const CPU_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  dynamic_blocks_definitions: [
    {
      type: "DynamicBlockDefinition",
      manifest: {
        type: "ManifestDescription",
        block_type: "Burn",
        inputs: { value: { type: "DynamicInputDefinition", selector_types: ["step_output"] } },
        outputs: { spins: { type: "DynamicOutputDefinition", kind: [] } },
      },
      code: {
        type: "JavaScriptCode",
        run_function_code: `function run({ value }) { const until = Date.now() + ${BURN_MS}; let spins = 0; while (Date.now() < until) spins += 1; return { spins: spins > 0 ? value : -1 }; }`,
      },
    },
  ],
  steps: [
    { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
    { type: "Burn", name: "burn", value: "$steps.frame.output" },
  ],
  outputs: [{ type: "JsonField", name: "frame_number", selector: "$steps.burn.spins" }],
};

// ---- processes -----------------------------------------------------------------------------------

interface CliProcess {
  child: ChildProcess;
  /** Resolves with the first match of `ready` on standard error. */
  ready: Promise<string>;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function startCli(command: readonly string[], ready: RegExp): CliProcess {
  const child = spawn(process.execPath, [CLI, ...command], { stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let stderr = "";
  const said = new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const match = ready.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`sightline ${command[0]} exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, ready: said };
}

const startServe = (extra: readonly string[]) =>
  startCli(["serve", "--port", "0", "--allow-local-video", "--max-pipelines", "32", ...extra], /serving workflows on (http:\/\/\S+)/);
const startWorker = (redisUrl: string) =>
  startCli(["worker", "--redis", redisUrl, "--lease-ms", String(LEASE_MS), "--max-pipelines", "16"], /worker (\S+) running pipelines/);

async function stop(process: CliProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const { child } = process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}

// ---- the pipeline routes -------------------------------------------------------------------------

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
  return JSON.parse(text) as T;
}

interface ConsumedFrame {
  frame_number: number;
}

const initialise = async (base: string, workflow: unknown, video: string, maxFps?: number) =>
  (
    await call<{ context: { pipeline_id: string } }>(base, "POST", "/inference_pipelines/initialise", {
      video_reference: video,
      workflow_specification: workflow,
      ...(maxFps ? { max_fps: maxFps } : {}),
    })
  ).context.pipeline_id;
/** The results consumed now, plus those the pipeline's buffer dropped since the last consume (too slow a reader). */
const consumeCounting = (base: string, id: string) => call<{ frames: ConsumedFrame[]; dropped: number }>(base, "GET", `/inference_pipelines/${id}/consume`);
const consume = async (base: string, id: string) => (await consumeCounting(base, id)).frames;
const stateOf = async (base: string, id: string) => (await call<{ report: { state: string } }>(base, "GET", `/inference_pipelines/${id}/status`)).report.state;
const workerOf = async (base: string, id: string) =>
  (await call<{ details: Array<{ pipeline_id: string; worker: string | null }> }>(base, "GET", "/inference_pipelines/list")).details.find(
    (entry) => entry.pipeline_id === id,
  )?.worker ?? null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Consumes every pipeline until all have finished; resolves with the results per pipeline (consumed or dropped). */
async function drain(base: string, ids: readonly string[]): Promise<number[]> {
  const counts = ids.map(() => 0);
  const deadline = Date.now() + LIMIT_MS;
  for (;;) {
    const states = await Promise.all(ids.map((id) => stateOf(base, id)));
    const consumed = await Promise.all(ids.map((id) => consumeCounting(base, id)));
    consumed.forEach(({ frames, dropped }, index) => (counts[index] += frames.length + dropped));
    if (states.every((state) => state === "finished" || state === "failed")) {
      if (states.includes("failed")) throw new Error(`a pipeline failed: ${states.join(", ")}`);
      return counts;
    }
    if (Date.now() > deadline) throw new Error(`pipelines still ${states.join(", ")}`);
    await sleep(50);
  }
}

/** Aggregate frames/s of `videos` run as one pipeline each, from the first initialise to the last finish. */
async function framesPerSecond(base: string, workflow: unknown, videos: readonly string[]): Promise<number> {
  const started = performance.now();
  const ids = [];
  for (const video of videos) ids.push(await initialise(base, workflow, video));
  const counts = await drain(base, ids);
  const frames = counts.reduce((a, b) => a + b, 0);
  if (frames !== videos.length * FRAMES) throw new Error(`${base}: ${frames} results consumed or dropped, expected ${videos.length * FRAMES}`);
  return frames / ((performance.now() - started) / 1000);
}

// ---- Redis ---------------------------------------------------------------------------------------

async function commandCalls(redis: RedisServer): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const line of (await redis.redisCli(["INFO", "commandstats"])).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

function callsBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [command, count] of after) {
    const added = count - (before.get(command) ?? 0);
    if (added > 0 && command !== "info") delta.set(command, added);
  }
  return delta;
}

/** PING round trips for one second (`redis-cli --latency --raw` prints min, max, avg ms and the samples, then exits). */
async function pingRoundTrip(redis: RedisServer): Promise<string> {
  const [min, max, avg, samples] = (await redis.redisCli(["--latency", "--raw", "-i", "1"])).split(/\s+/);
  return `avg ${avg} ms, min ${min}, max ${max} (${samples} PINGs)`;
}

/**
 * `redis-benchmark -q -n 100000` lines ("SET: … requests per second, p50=…"). Its 7.0 has no
 * built-in XADD test, so XADD to a capped stream (as a worker appends a result) is given as a command.
 */
function redisBenchmark(port: number): string {
  const run = (tests: readonly string[]) => {
    const result = spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-q", "-n", "100000", ...tests], { encoding: "utf8" });
    if (result.error || result.status !== 0) return ["(redis-benchmark not available)"];
    return result.stdout
      .split(/[\r\n]/)
      .map((line) => line.trim())
      .filter((line) => line.includes("requests per second"));
  };
  return [...run(["-t", "set,get"]), ...run(["XADD", "bench:results", "MAXLEN", "~", "1000", "*", "outputs", "{}"])].join("\n");
}

// ---- the scenarios -------------------------------------------------------------------------------

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const load = () =>
  `load ${loadavg()
    .map((value) => value.toFixed(1))
    .join(" ")}`;

/** Resolves with the Redis commands per frame of the last Redis round. */
async function overhead(redis: RedisServer, video: string): Promise<number> {
  const local = startServe([]);
  const control = startServe(["--redis", redis.url]);
  const worker = startWorker(redis.url);
  const [localBase, controlBase] = await Promise.all([local.ready, control.ready, worker.ready]);
  const ratios: number[] = [];
  let calls = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const inProcess = await framesPerSecond(localBase, CHEAP_WORKFLOW, [video]);
    const before = await commandCalls(redis);
    const viaRedis = await framesPerSecond(controlBase, CHEAP_WORKFLOW, [video]);
    calls = callsBetween(before, await commandCalls(redis));
    ratios.push(viaRedis / inProcess);
    console.log(
      `(1) round ${round + 1}: in-process ${fixed(inProcess)} frames/s, via Redis ${fixed(viaRedis)} frames/s, ratio ${fixed(viaRedis / inProcess, 2)}  (${load()})`,
    );
  }
  console.log(`(1) median ratio via Redis ÷ in-process: ${fixed(median(ratios), 2)} (goal ≥ 0.9)`);
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  const top = [...calls].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    `    Redis commands in the last Redis round: ${total} for ${FRAMES} frames = ${fixed(total / FRAMES, 2)} per frame (all processes: serve, worker, heartbeats)`,
  );
  console.log(`    by command: ${top.map(([command, count]) => `${command} ${count}`).join(", ")}`);
  await Promise.all([stop(worker), stop(control), stop(local)]);
  return total / FRAMES;
}

async function takeover(redis: RedisServer, video: string): Promise<void> {
  const control = startServe(["--redis", redis.url]);
  const workers = [startWorker(redis.url), startWorker(redis.url)];
  const base = await control.ready;
  const ids = await Promise.all(workers.map((worker) => worker.ready));
  for (let round = 0; round < 2; round++) {
    // at 30 frames/s the 600-frame file runs 20 s: long enough to kill it mid-run and see the rest
    const id = await initialise(base, CHEAP_WORKFLOW, video, 30);
    while ((await consume(base, id)).length === 0) await sleep(100);
    await sleep(1000);
    const runner = await workerOf(base, id);
    const victim = workers[ids.indexOf(runner ?? "")];
    if (!victim) throw new Error(`pipeline ${id} runs on ${runner}, not a worker of this bench`);
    await stop(victim, "SIGKILL");
    const killed = performance.now();
    await consume(base, id); // what the victim wrote before it died
    const deadline = Date.now() + LIMIT_MS;
    while ((await consume(base, id)).length === 0) {
      if (Date.now() > deadline) throw new Error("no worker took the pipeline over");
      await sleep(20);
    }
    const seconds = (performance.now() - killed) / 1000;
    console.log(
      `(2) round ${round + 1}: kill → first new result ${fixed(seconds, 2)} s with --lease-ms ${LEASE_MS} (goal ≤ ${fixed(LEASE_MS / 1000 + 5)} s)  (${load()})`,
    );
    await drain(base, [id]);
    // the killed worker comes back for the next round, as a supervisor would restart it
    const replacement = startWorker(redis.url);
    workers[workers.indexOf(victim)] = replacement;
    ids[ids.indexOf(runner ?? "")] = await replacement.ready;
  }
  await Promise.all([...workers.map((worker) => stop(worker)), stop(control)]);
}

async function scaling(redis: RedisServer, videos: readonly string[]): Promise<void> {
  const control = startServe(["--redis", redis.url]);
  const base = await control.ready;
  const workers = [startWorker(redis.url)];
  await workers[0].ready;
  const one = await framesPerSecond(base, CPU_WORKFLOW, videos);
  console.log(`(3) one worker, ${videos.length} pipelines, ~${BURN_MS} ms of JavaScript per frame: ${fixed(one)} frames/s  (${load()})`);
  workers.push(startWorker(redis.url));
  await workers[1].ready;
  const two = await framesPerSecond(base, CPU_WORKFLOW, videos);
  console.log(
    `(3) two workers: ${fixed(two)} frames/s, ×${fixed(two / one, 2)} (the spin is ${BURN_MS} ms of wall time in a sandbox thread; one worker's threads already keep ${cpus().length} cores busy)  (${load()})`,
  );
  await Promise.all([...workers.map((worker) => stop(worker)), stop(control)]);
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), "sightline-bench-cluster-"));
  const redis = await startRedis({ appendfsync: "everysec" });
  try {
    console.log(`node ${process.version}, ${load()}; frames per file ${FRAMES}, rounds ${ROUNDS}`);
    const video = join(scratch, "cheap.mp4");
    await makeTestVideo(video, { frames: FRAMES, fps: 30, width: 64, height: 48, background: "testsrc2" });
    const perFrameCost = await overhead(redis, video);
    console.log(`    PING round trip (redis-cli --latency, 1 s): ${await pingRoundTrip(redis)}`);
    await takeover(redis, video);
    const videos = [];
    for (let index = 0; index < PIPELINES; index++) {
      const path = join(scratch, `cpu-${index}.mp4`);
      await makeTestVideo(path, { frames: FRAMES, fps: 30, width: 64 + 16 * index, height: 48 });
      videos.push(path);
    }
    await scaling(redis, videos);
    const benchmark = redisBenchmark(redis.port);
    console.log(`redis-benchmark -q -n 100000 -t set,get and XADD (same machine, same load):\n${benchmark}`);
    const needed = 100 * 50 * perFrameCost;
    console.log(`100 workers × 50 cameras × 1 frame/s × ${fixed(perFrameCost, 2)} commands/frame ≈ ${Math.round(needed)} Redis commands/s`);
  } finally {
    await redis.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
