/**
 * A cluster as users run it, for the Redis tests: `sightline serve --redis` replicas and
 * `sightline worker` processes (the built CLI in child processes) on one real `redis-server`,
 * and what the tests check them against — the same workflow run locally by `sightline run`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { CLI, runCli, writeTemp } from "../helpers/cli.js";
import { call, startServeCli, type ServeProcess } from "../server/helpers.js";

/**
 * Model-free and stateful: each frame's number, and every frame number seen so far (a buffer
 * longer than the videos). A takeover or hand-over that resumed from the wrong block state, or
 * ran frames twice through the engine, changes `seen`; one that lost or repeated a result shows
 * in the frame numbers.
 */
export const STATEFUL_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
    { type: "roboflow_core/buffer@v1", name: "seen", data: "$steps.frame.output", length: 1000 },
  ],
  outputs: [
    { type: "JsonField", name: "frame_number", selector: "$steps.frame.output" },
    { type: "JsonField", name: "seen", selector: "$steps.seen.output" },
  ],
};

export interface FrameLine {
  source: string;
  frame_number: number;
  frame_timestamp: string;
  outputs: Record<string, unknown>;
}

/** What `sightline run <workflow> --video <file>` prints for the file: the uninterrupted local run. */
export async function localRun(workflow: unknown, video: string): Promise<FrameLine[]> {
  const result = await runCli(["run", writeTemp("workflow.json", workflow), "--video", video, "--quiet"]);
  expect(result.code, result.stderr).toBe(0);
  return result.lines as FrameLine[];
}

/** The fields a consumed frame shares with the local run's line. */
export function asLine(frame: FrameLine): FrameLine {
  return { source: frame.source, frame_number: frame.frame_number, frame_timestamp: frame.frame_timestamp, outputs: frame.outputs };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Its id, once it says it runs pipelines. */
  id: Promise<string>;
  /** Its `/metrics` URL, when started with `--metrics-port`. */
  metrics: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** Its JSON log lines. */
  log(): Array<Record<string, unknown>>;
}

/** `sightline worker --redis URL …args`. */
export function startWorkerCli(redisUrl: string, args: readonly string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [CLI, "worker", "--redis", redisUrl, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const id = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const match = /worker (\S+) running pipelines/.exec(stderr);
      if (match) resolve(match[1]);
    });
    void exited.then(({ code }) => reject(new Error(`worker exited (${code}) before running: ${stderr}`)));
  });
  const metrics = new Promise<string>((resolve) => {
    child.stderr.on("data", () => {
      const match = /worker metrics on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
  });
  const log = () =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, id, metrics, exited, stdout: () => stdout, stderr: () => stderr, log };
}

/** `sightline serve --redis URL --allow-local-video …args`. */
export function startControlPlane(redisUrl: string, args: readonly string[] = []): ServeProcess {
  return startServeCli(["--redis", redisUrl, "--allow-local-video", ...args]);
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

export interface PipelineDetail {
  pipeline_id: string;
  state: string;
  worker: string | null;
}

export async function listPipelines(base: string): Promise<PipelineDetail[]> {
  const answer = await call(base, "GET", "/inference_pipelines/list");
  expect(answer.status, answer.text).toBe(200);
  return (answer.body as { details: PipelineDetail[] }).details;
}

export async function initialise(base: string, body: Record<string, unknown>): Promise<string> {
  const answer = await call(base, "POST", "/inference_pipelines/initialise", { json: body });
  expect(answer.status, answer.text).toBe(200);
  return (answer.body as { context: { pipeline_id: string } }).context.pipeline_id;
}

export async function status(base: string, id: string): Promise<{ state: string; frames: number }> {
  const answer = await call(base, "GET", `/inference_pipelines/${id}/status`);
  expect(answer.status, answer.text).toBe(200);
  return (answer.body as { report: { state: string; frames: number } }).report;
}

/** Every result consumed so far, per pipeline: consumes as the test goes. */
export class Consumer {
  readonly frames = new Map<string, FrameLine[]>();

  constructor(private readonly base: () => string) {}

  async consume(id: string): Promise<FrameLine[]> {
    const answer = await call(this.base(), "GET", `/inference_pipelines/${id}/consume`);
    expect(answer.status, answer.text).toBe(200);
    const body = answer.body as { frames: FrameLine[]; dropped: number };
    expect(body.dropped, "no result may fall out of the buffer in these tests").toBe(0);
    const all = [...(this.frames.get(id) ?? []), ...body.frames];
    this.frames.set(id, all);
    return all;
  }
}

/** Polls until `condition` holds; a hang guard, not a timing check. */
export async function eventually<T>(what: string, probe: () => Promise<T>, condition: (value: T) => boolean, limitMs = 90_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (condition(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A sample's value from Prometheus text: `name{labels…} value`; NaN when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? "").split(",");
    if (wanted.every((label) => have.includes(label))) return Number(match[3]);
  }
  return NaN;
}

export async function metricsText(url: string): Promise<string> {
  return (await fetch(url)).text();
}
