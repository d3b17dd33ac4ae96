/**
 * Issue 16, batch jobs: `sightline run <wf> --video a --video b --redis URL` spreads the sources
 * over the `sightline worker` processes on a real redis-server and prints exactly what the same
 * local run prints (same lines, same order per source) — also when a worker is killed mid-run —
 * then leaves no pipeline behind in Redis.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { runCli, writeTemp, type CliResult } from "../helpers/cli.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";
import { scratchDir } from "../video/helpers.js";
import { startWorkerCli, STATEFUL_WORKFLOW, stopProcess, type FrameLine, type WorkerProcess } from "./helpers.js";

const LEASE_MS = 3000;

const scratch = scratchDir("run-redis");
let redis: RedisServer;
let workflow = "";
const workers: WorkerProcess[] = [];
const videos: string[] = [];
/** The same run, local: what every cluster run must print. */
let local: CliResult;
const runArgs = () => ["run", workflow, "--video", videos[0], "--video", `named=${videos[1]}`];

beforeAll(async () => {
  for (const [index, frames] of [150, 180].entries()) {
    const video = join(scratch(), `video-${index}.mp4`);
    await makeTestVideo(video, { frames, fps: 30, width: 48 + 16 * index, height: 32 });
    videos.push(video);
  }
  workflow = writeTemp("workflow.json", STATEFUL_WORKFLOW, scratch());
  local = await runCli(runArgs());
  expect(local.code, local.stderr).toBe(0);
  redis = await startRedis();
  for (let i = 0; i < 2; i++) workers.push(startWorkerCli(redis.url, ["--lease-ms", String(LEASE_MS), "--checkpoint-every", "10"]));
  await Promise.all(workers.map((worker) => worker.id));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopProcess(worker.child)));
  await redis?.stop();
});

/** The lines of a run, per source, in the order printed. */
function perSource(result: CliResult): Map<string, FrameLine[]> {
  const sources = new Map<string, FrameLine[]>();
  for (const line of result.lines as FrameLine[]) sources.set(line.source, [...(sources.get(line.source) ?? []), line]);
  return sources;
}

async function pipelinesInRedis(): Promise<string> {
  return redis.redisCli(["--scan", "--pattern", "sightline:pipeline:*"]);
}

describe("run --video … --redis", () => {
  it("spreads the sources over the workers and prints what the local run prints, then leaves nothing in Redis", async () => {
    const cluster = await runCli([...runArgs(), "--redis", redis.url]);
    expect(cluster.code, cluster.stderr).toBe(0);
    expect(cluster.lines).toHaveLength(150 + 180);
    expect(perSource(cluster)).toEqual(perSource(local));
    expect(cluster.stderr).toContain("0 of 2 sources failed");
    expect(cluster.stderr).toContain("on 2 workers");
    expect(await pipelinesInRedis()).toBe("");
  });

  it("a worker killed mid-run: the other takes its source over and the output is still the local run's", async () => {
    // slowed down so that the kill lands mid-run; the lines do not depend on the pace
    const running = runCli([...runArgs(), "--max-fps", "30", "--redis", redis.url]);
    // Both sources are taken (one per worker, the least loaded) once each worker logs a start.
    const victim = workers[0];
    const victimId = await victim.id;
    await until(async () => (await statuses()).some((status) => status.includes(victimId)));
    victim.child.kill("SIGKILL");
    await victim.exited;
    const cluster = await running;
    expect(cluster.code, cluster.stderr).toBe(0);
    expect(perSource(cluster)).toEqual(perSource(local));
    expect(Number(await redis.redisCli(["GET", "sightline:takeovers"]))).toBeGreaterThanOrEqual(1);
    expect(await pipelinesInRedis()).toBe("");
    workers[0] = startWorkerCli(redis.url, ["--lease-ms", String(LEASE_MS)]);
    await workers[0].id;
  });

  it("a source that cannot be read fails the run (exit 1) naming it; the other source's lines are all printed", async () => {
    const missing = join(scratch(), "missing.mp4");
    const result = await runCli(["run", workflow, "--video", missing, "--video", videos[0], "--redis", redis.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`source 0: SourceConnectionError`);
    expect(result.stderr).toContain(missing);
    expect(perSource(result).get("1")).toHaveLength(150);
  });

  it("options whose output the workers cannot give are refused before anything starts (exit 2)", async () => {
    const result = await runCli(["run", workflow, "--video", videos[0], "--redis", redis.url, "--out", scratch()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--out cannot be combined with --redis");
    expect(await pipelinesInRedis()).toBe("");
  });
});

/** The running pipelines' owner statuses, as workers write them to Redis. */
async function statuses(): Promise<string[]> {
  const keys = (await redis.redisCli(["--scan", "--pattern", "sightline:pipeline:*:status"])).split("\n").filter(Boolean);
  return Promise.all(keys.map((key) => redis.redisCli(["GET", key])));
}

async function until(condition: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
