/**
 * Issue 16, test c (pipelines): two `sightline serve --redis` replicas on one real redis-server
 * hold nothing themselves — a pipeline started on one waits (and says so) until a worker is
 * there, then is watched live, paused, resumed, consumed and terminated through the other.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { flagFromFrame } from "../helpers/workflows.js";
import { call, readEvents, type ServeProcess } from "../server/helpers.js";
import { scratchDir } from "../video/helpers.js";
import {
  Consumer,
  eventually,
  initialise,
  listPipelines,
  sample,
  startControlPlane,
  startWorkerCli,
  status,
  stopProcess,
  type FrameLine,
  type WorkerProcess,
} from "./helpers.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

const FLAG_FROM = 25;
const FRAMES = 200;

/** Flags every frame from FLAG_FROM on (is_outlier), and reports the frame number. */
const FLAGGING = flagFromFrame(FLAG_FROM);

const scratch = scratchDir("replicas");
let redis: RedisServer;
const replicas: ServeProcess[] = [];
const urls: string[] = [];
let worker: WorkerProcess | undefined;
let video = "";

beforeAll(async () => {
  video = join(scratch(), "long.mp4");
  await makeTestVideo(video, { frames: FRAMES, fps: 20 });
  redis = await startRedis();
  for (let i = 0; i < 2; i++) replicas.push(startControlPlane(redis.url));
  urls.push(...(await Promise.all(replicas.map((replica) => replica.address))));
});

afterAll(async () => {
  await Promise.all([stopProcess(worker?.child), ...replicas.map((replica) => stopProcess(replica.child))]);
  await redis?.stop();
});

describe("a pipeline started on one replica, driven through the other", () => {
  let id = "";
  const [one, other] = [() => urls[0], () => urls[1]];
  const consumer = new Consumer(other);

  it("waits while no worker runs it, and both replicas say so", async () => {
    id = await initialise(one(), { video_reference: video, workflow_specification: FLAGGING, max_fps: 20 });
    expect(await listPipelines(other())).toEqual([expect.objectContaining({ pipeline_id: id, state: "waiting", worker: null })]);
    const answer = await call(other(), "GET", `/inference_pipelines/${id}/status`);
    expect(answer.status).toBe(200);
    const report = (answer.body as { report: Record<string, unknown> }).report;
    expect(report).toMatchObject({
      pipeline_id: id,
      state: "waiting",
      frames: 0,
      sources_metadata: [{ source_id: 0, state: "INITIALISING", source_reference: video }],
    });
    const metrics = (await call(one(), "GET", "/metrics")).text;
    expect(sample(metrics, "sightline_pipelines_by_state", { state: "waiting" })).toBe(1);
    expect(sample(metrics, "sightline_redis_connected")).toBe(1);
    expect(metrics).not.toContain("sightline_worker_pipelines{");
  });

  it("runs once a worker is there; its frame events, flagged ones with a thumbnail, reach the other replica", async () => {
    worker = startWorkerCli(redis.url, ["--lease-ms", "3000", "--checkpoint-every", "10"]);
    const workerId = await worker.id;
    await eventually(
      "the worker to run it",
      () => listPipelines(other()),
      (list) => list[0]?.worker === workerId && list[0].state === "running",
    );
    const { events } = await readEvents(
      `${other()}/inference_pipelines/${id}/events`,
      (event) => event.event === "frame" && (event.data as FrameLine).frame_number > FLAG_FROM,
    );
    const frames = events.filter((event) => event.event === "frame").map((event) => event.data as FrameLine & { flagged: boolean; thumbnail?: string });
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(frame.flagged).toBe(frame.frame_number >= FLAG_FROM);
      if (frame.flagged) expect(frame.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
      else expect(frame.thumbnail).toBeUndefined();
    }
    expect(events[0]).toMatchObject({ event: "status", data: { pipeline_id: id } });
    const metrics = (await call(one(), "GET", "/metrics")).text;
    expect(sample(metrics, "sightline_pipelines_by_state", { state: "running" })).toBe(1);
    expect(sample(metrics, "sightline_worker_pipelines", { worker: workerId })).toBe(1);
    expect(sample(metrics, "sightline_worker_capacity", { worker: workerId })).toBe(8);
    expect(sample(metrics, "sightline_takeovers_total")).toBe(0);
    // checkpointed every 10 s at the latest: an age, never negative
    const snapshotAge = async () => sample((await call(one(), "GET", "/metrics")).text, "sightline_pipeline_snapshot_age_seconds", { pipeline: id });
    await eventually("a checkpoint", snapshotAge, (age) => age >= 0);
  });

  it("pauses through the other replica: both say paused, and no frame is processed", async () => {
    const pause = await call(other(), "POST", `/inference_pipelines/${id}/pause`);
    expect(pause.status, pause.text).toBe(200);
    const paused = await status(one(), id);
    expect(paused.state).toBe("paused");
    const consumed = (await consumer.consume(id)).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await status(other(), id)).frames).toBe(paused.frames);
    expect((await consumer.consume(id)).length).toBe(consumed);
  });

  it("resumes through the first; consuming from either replica shares one cursor; terminating through the other removes it", async () => {
    const resume = await call(one(), "POST", `/inference_pipelines/${id}/resume`);
    expect(resume.status, resume.text).toBe(200);
    expect((await status(other(), id)).state).toBe("running");
    const fromOne = new Consumer(one);
    await eventually(
      "more frames",
      () => fromOne.consume(id),
      (frames) => frames.length > 0,
    );
    await consumer.consume(id);
    const numbers = [...(consumer.frames.get(id) ?? []), ...(fromOne.frames.get(id) ?? [])].map((frame) => frame.frame_number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index + 1));

    const terminate = await call(other(), "POST", `/inference_pipelines/${id}/terminate`);
    expect(terminate.status, terminate.text).toBe(200);
    expect(await listPipelines(one())).toEqual([]);
    expect((await call(one(), "GET", `/inference_pipelines/${id}/status`)).status).toBe(404);
    expect(worker!.log().filter((line) => line.pipeline_id === id && line.msg === "pipeline ended")).toEqual([
      expect.objectContaining({ ended_by: "terminate" }),
    ]);
  });
});
