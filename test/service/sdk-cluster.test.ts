/**
 * Issue 16, test e: Roboflow's Python SDK drives the pipeline routes — initialise, list, status,
 * consume, pause, resume, terminate, with the request bodies upstream's SDK sends — against a
 * cluster (`sightline serve --redis` and one `sightline worker` on a real redis-server), with the
 * same checks as against one `sightline serve` (test/sdk/harness.ts). The worker runs the tiny
 * generated CLIP, mapped as serve's is.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTinyClipModel } from "../../src/models/index.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { driveSdk, expectPipelineCalls, PIPELINE_WORKFLOW, type PipelineCalls } from "../sdk/harness.js";
import type { ServeProcess } from "../server/helpers.js";
import { scratchDir } from "../video/helpers.js";
import { listPipelines, startControlPlane, startWorkerCli, stopProcess, type WorkerProcess } from "./helpers.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

const scratch = scratchDir("sdk-cluster");
let redis: RedisServer;
let serve: ServeProcess;
let worker: WorkerProcess;
let video = "";
let result: { pipeline: PipelineCalls; calls: number };

beforeAll(async () => {
  const model = await createTinyClipModel(join(scratch(), "tiny-clip"));
  video = join(scratch(), "clip.mp4");
  // Long enough (20 s at max_fps 30) never to end before the SDK has paused and terminated it.
  await makeTestVideo(video, { frames: 600, fps: 30, width: 64, height: 48 });
  const models = ["--offline", "--model", `ViT-B-32=${model}`];
  redis = await startRedis();
  serve = startControlPlane(redis.url, models);
  worker = startWorkerCli(redis.url, models);
  await worker.id;
  const config = { url: await serve.address, api_key: null, video, pipeline_workflow: PIPELINE_WORKFLOW, only: "pipelines" };
  result = await driveSdk(config, join(scratch(), "config.json"));
});

afterAll(async () => {
  await Promise.all([stopProcess(worker?.child), stopProcess(serve?.child)]);
  await redis?.stop();
});

it("the SDK's pipeline methods do what they do against one server", () => {
  expectPipelineCalls(result.pipeline, video);
});

it("the worker ran the pipeline, and terminating it left nothing behind", async () => {
  const id = result.pipeline.pipeline_id;
  const taken = worker.log().filter((line) => line.pipeline_id === id);
  expect(taken.map((line) => line.msg)).toEqual(["pipeline started", "pipeline ended"]);
  expect(taken[1]).toMatchObject({ ended_by: "terminate" });
  expect(await listPipelines(await serve.address)).toEqual([]);
  expect(await redis.redisCli(["--scan", "--pattern", `sightline:pipeline:${id}*`])).toBe("");
});
