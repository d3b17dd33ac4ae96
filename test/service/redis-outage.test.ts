/**
 * Issue 16, test d: Redis goes away mid-run (SIGKILL; the append-only file keeps what it
 * acknowledged) and comes back. Meanwhile the workers keep processing into their bounded results
 * buffers — their own `/metrics` say Redis is down and how many results they hold — and the
 * control plane answers 503; then they reconnect, and every file pipeline finishes with exactly
 * the results of an uninterrupted local run.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { call, type ServeProcess } from "../server/helpers.js";
import { scratchDir } from "../video/helpers.js";
import {
  asLine,
  Consumer,
  eventually,
  initialise,
  localRun,
  metricsText,
  sample,
  startControlPlane,
  startWorkerCli,
  STATEFUL_WORKFLOW,
  status,
  stopProcess,
  type FrameLine,
  type WorkerProcess,
} from "./helpers.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

/** Longer than the outage: the workers keep their pipelines through it. */
const LEASE_MS = 20_000;
const RESULTS_BUFFER = 40;

const scratch = scratchDir("redis-outage");
let redis: RedisServer;
let serve: ServeProcess;
let base = "";
const workers: WorkerProcess[] = [];
let video = "";
let expected: FrameLine[] = [];

beforeAll(async () => {
  video = join(scratch(), "video.mp4");
  await makeTestVideo(video, { frames: 240, fps: 30 });
  expected = await localRun(STATEFUL_WORKFLOW, video);
  redis = await startRedis();
  serve = startControlPlane(redis.url);
  base = await serve.address;
  const args = ["--lease-ms", String(LEASE_MS), "--results-buffer", String(RESULTS_BUFFER), "--metrics-port", "0"];
  for (let i = 0; i < 2; i++) workers.push(startWorkerCli(redis.url, args));
  await Promise.all(workers.map((worker) => worker.id));
});

afterAll(async () => {
  await Promise.all([...workers.map((worker) => stopProcess(worker.child)), stopProcess(serve?.child)]);
  await redis?.stop();
});

it("workers hold results while Redis is down, reconnect, and every pipeline's results are complete", async () => {
  const consumer = new Consumer(() => base);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await initialise(base, { video_reference: video, workflow_specification: STATEFUL_WORKFLOW, max_fps: 30 }));
  await eventually(
    "results of every pipeline",
    () => Promise.all(ids.map((id) => consumer.consume(id))),
    (frames) => frames.every((list) => list.length >= 10),
  );

  await redis.kill();
  const metrics = await Promise.all(workers.map((worker) => worker.metrics));
  // Each worker: Redis down, and its pipelines' results held up to the bound, where they wait.
  const full = await eventually(
    "the workers' results buffers to fill",
    () => Promise.all(metrics.map(metricsText)),
    (texts) =>
      texts.every(
        (text) =>
          sample(text, "sightline_redis_connected") === 0 &&
          sample(text, "sightline_results_buffered") === RESULTS_BUFFER * sample(text, "sightline_worker_pipelines"),
      ),
  );
  expect(full.map((text) => sample(text, "sightline_worker_pipelines")).reduce((sum, count) => sum + count, 0)).toBe(ids.length);
  const refused = await call(base, "GET", `/inference_pipelines/${ids[0]}/status`);
  expect(refused.status).toBe(503);
  expect(refused.body).toMatchObject({ error_type: "RedisError" });

  await redis.restart();
  await eventually(
    "the control plane to reach Redis again",
    () => call(base, "GET", "/inference_pipelines/list"),
    (answer) => answer.status === 200,
  );
  await eventually(
    "every pipeline to finish",
    async () => {
      const states = [];
      for (const id of ids) {
        states.push((await status(base, id)).state);
        await consumer.consume(id);
      }
      return states;
    },
    (states) => states.every((state) => state === "finished"),
  );
  for (const id of ids) expect((await consumer.consume(id)).map(asLine), `pipeline ${id}`).toEqual(expected);

  for (const worker of workers) {
    const messages = worker.log().map((line) => line.msg);
    expect(messages).toContain("redis unreachable: pipelines go on, results are held; reconnecting");
    expect(messages).toContain("redis reconnected");
    expect(messages).not.toContain("pipeline lease lost: another worker runs it");
  }
  const after = await Promise.all(metrics.map(metricsText));
  for (const text of after) {
    expect(sample(text, "sightline_redis_connected")).toBe(1);
    expect(sample(text, "sightline_redis_outages_total")).toBe(1);
    expect(sample(text, "sightline_results_buffered")).toBe(0);
  }
});
