/**
 * Issue 16, test b: one `sightline serve --redis`, three `sightline worker`s and six file
 * pipelines on a real redis-server. Pipelines go to the least-loaded worker; a worker killed with
 * SIGKILL mid-run has its pipelines taken over within its lease, and every pipeline's results —
 * consumed as it runs, across the takeover — equal the uninterrupted local run frame by frame.
 * Then SIGTERM: a worker hands its pipelines over at once, again with nothing lost or repeated.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { call, type ServeProcess } from "../server/helpers.js";
import { scratchDir } from "../video/helpers.js";
import {
  asLine,
  Consumer,
  eventually,
  initialise,
  listPipelines,
  localRun,
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

const LEASE_MS = 3000;
/** "Within the lease", generously: lease plus BullMQ's stalled-job checks plus a loaded CI machine. */
const TAKEOVER_BOUND_MS = 20_000;
const WORKER_ARGS = ["--lease-ms", String(LEASE_MS), "--checkpoint-every", "10", "--max-pipelines", "4"];

const scratch = scratchDir("takeover");
let redis: RedisServer;
let serve: ServeProcess;
let base = "";
const workers: WorkerProcess[] = [];
const videos: string[] = [];
const expected = new Map<string, FrameLine[]>();
const consumer = new Consumer(() => base);

beforeAll(async () => {
  // Three videos, each read by two pipelines: 7–9 s at max_fps 30, long enough to be killed mid-run.
  for (const [index, frames] of [240, 270, 210].entries()) {
    const video = join(scratch(), `video-${index}.mp4`);
    await makeTestVideo(video, { frames, fps: 30, width: 48 + 16 * index, height: 32 });
    videos.push(video);
    expected.set(video, await localRun(STATEFUL_WORKFLOW, video));
  }
  redis = await startRedis();
  serve = startControlPlane(redis.url, ["--max-pipelines", "16"]);
  base = await serve.address;
  for (let i = 0; i < 3; i++) workers.push(startWorkerCli(redis.url, WORKER_ARGS));
  await Promise.all(workers.map((worker) => worker.id));
});

afterAll(async () => {
  await Promise.all([...workers.map((worker) => stopProcess(worker.child)), stopProcess(serve?.child)]);
  await redis?.stop();
});

async function startPipeline(video: string): Promise<string> {
  const id = await initialise(base, { video_reference: video, workflow_specification: STATEFUL_WORKFLOW, max_fps: 30 });
  // taken by a worker before the next is started, so that the loads each worker sees are settled
  await eventually(
    "a worker to take the pipeline",
    () => listPipelines(base),
    (list) => list.some((entry) => entry.pipeline_id === id && entry.worker !== null),
  );
  return id;
}

async function consumeUntilEnded(pipelines: ReadonlyMap<string, string>): Promise<void> {
  await eventually(
    "every pipeline to finish",
    async () => {
      const states = [];
      for (const id of pipelines.keys()) {
        const { state } = await status(base, id);
        await consumer.consume(id);
        states.push(state);
      }
      return states;
    },
    (states) => states.every((state) => state === "finished" || state === "failed"),
  );
  for (const id of pipelines.keys()) await consumer.consume(id);
}

function expectUninterrupted(pipelines: ReadonlyMap<string, string>): void {
  for (const [id, video] of pipelines) {
    expect((consumer.frames.get(id) ?? []).map(asLine), `pipeline ${id} on ${video}`).toEqual(expected.get(video));
  }
}

async function metric(name: string): Promise<number> {
  return sample((await call(base, "GET", "/metrics")).text, name);
}

describe("a worker killed mid-run (SIGKILL)", () => {
  const pipelines = new Map<string, string>();

  it("has its pipelines taken over within the lease; every result stream equals the uninterrupted local run", async () => {
    for (const video of [...videos, ...videos]) pipelines.set(await startPipeline(video), video);

    // least-loaded first: two pipelines each
    const ids = await Promise.all(workers.map((worker) => worker.id));
    const placed = await listPipelines(base);
    expect(ids.map((id) => placed.filter((entry) => entry.worker === id).length)).toEqual([2, 2, 2]);

    // the victim's pipelines have results (and checkpoints) before it dies
    const victim = workers[0];
    const victimId = ids[0];
    const victims = placed.filter((entry) => entry.worker === victimId).map((entry) => entry.pipeline_id);
    await eventually(
      "results of the victim's pipelines",
      () => Promise.all(victims.map((id) => consumer.consume(id))),
      (frames) => frames.every((list) => list.length >= 20),
    );
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.exited;

    const takenOver = await eventually(
      "the victim's pipelines to run on other workers",
      () => listPipelines(base),
      (list) => victims.every((id) => list.some((entry) => entry.pipeline_id === id && entry.worker !== null && entry.worker !== victimId)),
    );
    const takeoverMs = Date.now() - killedAt;
    console.info(`takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    // the survivors share them: one each
    const survivors = ids.slice(1);
    expect(survivors.map((id) => takenOver.filter((entry) => entry.worker === id).length)).toEqual([3, 3]);

    await consumeUntilEnded(pipelines);
    expectUninterrupted(pipelines);
    for (const id of pipelines.keys()) expect((await status(base, id)).state).toBe("finished");

    expect(await metric("sightline_takeovers_total")).toBe(victims.length);
    const logged = workers.slice(1).flatMap((worker) => worker.log().filter((line) => line.msg === "pipeline taken over"));
    expect(logged.map((line) => line.pipeline_id).sort()).toEqual([...victims].sort());
    expect(logged.every((line) => line.from === victimId)).toBe(true);
  });
});

describe("a worker stopped with SIGTERM", () => {
  it("checkpoints and hands its pipelines over at once: nothing lost or repeated, no takeover counted", async () => {
    const takeoversBefore = await metric("sightline_takeovers_total");
    const leaving = workers[1];
    const leavingId = await leaving.id;
    // both survivors run 3 pipelines, all finished: new ones go to each alike; a fresh worker takes over
    const pipelines = new Map<string, string>();
    for (const video of videos.slice(0, 2)) pipelines.set(await startPipeline(video), video);
    const mine = (await listPipelines(base))
      .filter((entry) => entry.worker === leavingId && pipelines.has(entry.pipeline_id))
      .map((entry) => entry.pipeline_id);
    expect(mine.length).toBeGreaterThan(0);
    await eventually(
      "results of the leaving worker's pipelines",
      () => Promise.all(mine.map((id) => consumer.consume(id))),
      (frames) => frames.every((list) => list.length >= 20),
    );
    const fresh = startWorkerCli(redis.url, WORKER_ARGS);
    workers.push(fresh);
    await fresh.id;

    leaving.child.kill("SIGTERM");
    expect(await leaving.exited).toEqual({ code: 0, signal: null });
    expect(
      leaving
        .log()
        .filter((line) => line.msg === "pipeline handed over")
        .map((line) => line.pipeline_id),
    ).toEqual(expect.arrayContaining(mine));

    await consumeUntilEnded(pipelines);
    expectUninterrupted(pipelines);
    expect(await metric("sightline_takeovers_total")).toBe(takeoversBefore);
  });
});
