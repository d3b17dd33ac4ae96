/**
 * `sightline serve --data-dir` (docs/guides/service.md#the-data-folder), issue 16 "Done when" a:
 * real `serve` processes killed with SIGKILL or stopped with SIGTERM and started again on the
 * same folder. Each file's results across the restarts must equal an uninterrupted run
 * (`sightline run --video`) frame by frame; the workflow keeps block state (outliers and changes
 * of a vector made from each frame's pixels), so a wrong state after a restart shows in the
 * results. Then, in this process, `createServer({ dataDir })` restarted without custom blocks.
 * No timing is asserted: conditions are polled, with a hang guard.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server/index.js";
import { makeTestVideo, serveTestStream, type TestStream } from "../../src/video/testing.js";
import type { Checkpoint } from "../../src/service/types.js";
import type { PipelineReport } from "../../src/service/upstream-report.js";
import type { FrameRecord, SourceEvent } from "../../src/video/index.js";
import { runCli } from "../helpers/cli.js";
import { call, startServeCli, type ServeProcess } from "../server/helpers.js";
import { scratchDir } from "../video/helpers.js";

/** A vector of each frame's mean colour and its number, with two stateful detectors over it. */
const STATEFUL = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  dynamic_blocks_definitions: [
    {
      type: "DynamicBlockDefinition",
      manifest: {
        type: "ManifestDescription",
        block_type: "FrameVector",
        inputs: { image: { type: "DynamicInputDefinition", selector_types: ["input_image"] } },
        outputs: { vector: { type: "DynamicOutputDefinition", kind: ["embedding"] } },
      },
      code: {
        type: "JavaScriptCode",
        run_function_code: [
          "function run({ image }) {",
          "  const sums = [0, 0, 0];",
          "  for (let i = 0; i < image.data.length; i++) sums[i % 3] += image.data[i];",
          "  const n = image.data.length / 3;",
          "  const frame = image.video_metadata.frame_number;",
          "  return { vector: [1 + sums[0] / n, 1 + sums[1] / n, 1 + sums[2] / n, 60 + 50 * Math.sin(frame / 5)] };",
          "}",
        ].join("\n"),
      },
    },
  ],
  steps: [
    { type: "FrameVector", name: "vector", image: "$inputs.image" },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.vector.vector", warmup: 3, window_size: 16 },
    { type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$steps.vector.vector", warmup: 3 },
  ],
  outputs: [
    { type: "JsonField", name: "vector", selector: "$steps.vector.vector" },
    { type: "JsonField", name: "outliers", selector: "$steps.outliers.*" },
    { type: "JsonField", name: "changes", selector: "$steps.changes.*" },
  ],
};

const FRAMES = 150;
/** Paces the files, so that a kill finds them mid-run. */
const MAX_FPS = 25;
const CHECKPOINT_EVERY = 10;

const scratch = scratchDir("data-dir");
const videos: Record<"a" | "b", string> = { a: "", b: "" };
/** Each video's lines from `sightline run --video`: the uninterrupted run. */
const uninterrupted: Record<string, FrameRecord[]> = {};
const servers: ServeProcess[] = [];
const streams: TestStream[] = [];

beforeAll(async () => {
  videos.a = join(scratch(), "a.mp4");
  videos.b = join(scratch(), "b.mp4");
  await makeTestVideo(videos.a, { frames: FRAMES, fps: 20, background: "testsrc2" });
  await makeTestVideo(videos.b, { frames: FRAMES, fps: 20, background: "smptebars", anomalies: [{ from: 60, to: 70, color: "red" }] });
  const workflow = join(scratch(), "stateful.json");
  await writeFile(workflow, JSON.stringify(STATEFUL));
  for (const [name, path] of Object.entries(videos)) {
    const run = await runCli(["run", workflow, "--video", path, "--quiet"]);
    expect(run.code, run.stderr).toBe(0);
    uninterrupted[path] = run.lines as FrameRecord[];
    expect(
      uninterrupted[path].map((frame) => frame.frame_number),
      name,
    ).toEqual(numbered(1, FRAMES));
  }
});

afterAll(async () => {
  for (const server of servers) server.child.kill("SIGKILL");
  await Promise.all(streams.map((stream) => stream.kill()));
});

function numbered(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

async function serve(dataDir: string): Promise<{ server: ServeProcess; url: string }> {
  const server = startServeCli(["--data-dir", dataDir, "--checkpoint-every", String(CHECKPOINT_EVERY)]);
  servers.push(server);
  return { server, url: await server.address };
}

async function stopWith(server: ServeProcess, signal: NodeJS.Signals): Promise<number | null> {
  server.child.kill(signal);
  return server.exited;
}

async function ok(url: string, method: string, path: string, json?: unknown): Promise<Record<string, unknown>> {
  const answer = await call(url, method, path, json === undefined ? {} : { json });
  expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(200);
  return answer.body as Record<string, unknown>;
}

async function initialise(url: string, reference: string, options: { maxFps?: number } = {}): Promise<string> {
  const body = await ok(url, "POST", "/inference_pipelines/initialise", {
    video_reference: reference,
    workflow_specification: STATEFUL,
    ...(options.maxFps ? { max_fps: options.maxFps } : {}),
  });
  return (body.context as { pipeline_id: string }).pipeline_id;
}

const status = async (url: string, id: string) => (await ok(url, "GET", `/inference_pipelines/${id}/status`)).report as PipelineReport;
const consume = async (url: string, id: string) => (await ok(url, "GET", `/inference_pipelines/${id}/consume`)).frames as FrameRecord[];

/** Polls until `condition` holds of what `read` gives; fails after a generous limit (a hang guard, not a timing check). */
async function until<T>(what: string, read: () => Promise<T>, condition: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await read();
    if (condition(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function checkpointOf(dataDir: string, id: string): Promise<Checkpoint | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, "pipelines", id, "checkpoint.json"), "utf8")) as Checkpoint;
  } catch {
    return null;
  }
}

/** Until the pipeline has a checkpoint and has run `ticks` ticks past it. */
async function pastCheckpoint(url: string, dataDir: string, id: string, ticks: number): Promise<void> {
  await until(
    `pipeline ${id} to run ${ticks} ticks past a checkpoint`,
    async () => ({ checkpoint: await checkpointOf(dataDir, id), report: await status(url, id) }),
    ({ checkpoint, report }) => checkpoint !== null && report.ticks >= checkpoint.counts.ticks + ticks,
  );
}

/** Consumes until the pipeline's run has ended and nothing is left. */
async function consumeToEnd(url: string, id: string, into: FrameRecord[]): Promise<PipelineReport> {
  return until(
    `pipeline ${id} to end`,
    async () => {
      const report = await status(url, id); // before consuming: the results of an ended run are all stored
      into.push(...(await consume(url, id)));
      return report;
    },
    (report) => report.state === "finished" || report.state === "failed",
  );
}

/** The results as `sightline run --video` prints them. */
const asLines = (frames: readonly FrameRecord[]) =>
  frames.map(({ source, frame_number, frame_timestamp, outputs, error }) => ({ source, frame_number, frame_timestamp, outputs, ...(error ? { error } : {}) }));

describe("serve --data-dir, killed with SIGKILL mid-run and started again", () => {
  const dataDir = () => join(scratch(), "killed");
  const consumed: Record<string, FrameRecord[]> = {};
  let live: TestStream;
  let ids: { a: string; b: string; live: string };
  let url: string;
  let lastLiveBefore = 0;
  /** Each pipeline's last checkpoint before the kill. */
  const before: Record<string, Checkpoint> = {};

  it("runs two files and a live stream; a second serve on the folder is refused while the first holds it", async () => {
    live = await serveTestStream({ fps: 10 });
    streams.push(live);
    const first = await serve(dataDir());
    url = first.url;
    ids = {
      a: await initialise(url, videos.a, { maxFps: MAX_FPS }),
      b: await initialise(url, videos.b, { maxFps: MAX_FPS }),
      live: await initialise(url, `cam=${live.url}`),
    };
    for (const id of Object.values(ids)) consumed[id] = [];

    const second = await runCli(["serve", "--port", "0", "--data-dir", dataDir()]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`The data folder ${dataDir()} is in use by process ${first.server.child.pid} on`);
    expect(second.stderr).toMatch(/another folder \(--data-dir DIR\)/);

    // Some results consumed, then a checkpoint and a few ticks past it, then the kill.
    for (const id of Object.values(ids)) {
      await until(
        `results of ${id}`,
        () => consume(url, id).then((frames) => consumed[id].push(...frames)),
        () => consumed[id].length >= 5,
      );
    }
    for (const id of Object.values(ids)) await pastCheckpoint(url, dataDir(), id, 3);
    lastLiveBefore = consumed[ids.live].at(-1)!.frame_number;
    expect(await stopWith(first.server, "SIGKILL")).toBe(null);
    for (const id of Object.values(ids)) before[id] = (await checkpointOf(dataDir(), id))!;
    for (const id of [ids.a, ids.b]) expect(before[id].positions[0]).toBeLessThan(FRAMES);
  });

  it("started again, every pipeline continues: the files where they were, the live stream from now with the gap in its status", async () => {
    // The camera's server took the killed process as its only client; it serves the next one.
    await live.kill();
    live = await serveTestStream({ port: live.port, fps: 10 });
    streams.push(live);
    url = (await serve(dataDir())).url;

    const listed = (await ok(url, "GET", "/inference_pipelines/list")).pipelines as string[];
    expect(listed.sort()).toEqual(Object.values(ids).sort());
    for (const id of Object.values(ids)) expect((await status(url, id)).state).toMatch(/^(starting|running)$/);

    const liveReport = await until(
      "the live source to deliver after the restart",
      async () => {
        consumed[ids.live].push(...(await consume(url, ids.live)));
        return status(url, ids.live);
      },
      () => consumed[ids.live].at(-1)!.frame_number > lastLiveBefore + 5,
    );
    expect(liveReport.state).toBe("running");
    const resumed = liveReport.source_events.find((event) => event.type === "resumed") as SourceEvent & { type: "resumed" };
    // The gap: from the checkpoint to now, after the last frame stored.
    expect(resumed).toMatchObject({ live: true, since: before[ids.live].taken_at });
    expect(resumed.afterFrame).toBeGreaterThanOrEqual(lastLiveBefore);
    expect(liveReport.video_source_status_updates).toContainEqual(
      expect.objectContaining({
        event_type: "SOURCE_RESUMED",
        payload: expect.objectContaining({ after_frame: resumed.afterFrame, gap_since: resumed.since }),
      }),
    );

    await ok(url, "POST", `/inference_pipelines/${ids.live}/pause`); // no tick after this
    consumed[ids.live].push(...(await consume(url, ids.live)));
    const paused = await status(url, ids.live);
    // Numbered on after the frames it had: none repeated, none reordered, and every frame run
    // since the restart stored (none taken for one run before).
    const liveNumbers = consumed[ids.live].map((frame) => frame.frame_number);
    expect(liveNumbers).toEqual([...new Set(liveNumbers)].sort((x, y) => x - y));
    const sinceRestart = consumed[ids.live].filter((frame) => frame.frame_number > resumed.afterFrame);
    expect(sinceRestart.length).toBe(paused.frames - before[ids.live].counts.frames);
    await ok(url, "POST", `/inference_pipelines/${ids.live}/terminate`);
  });

  it("each file's results across the restart equal the uninterrupted run's, frame by frame; the counters count each frame once", async () => {
    for (const [video, id] of [
      [videos.a, ids.a],
      [videos.b, ids.b],
    ]) {
      const final = await consumeToEnd(url, id, consumed[id]);
      expect(final).toMatchObject({ state: "finished", frames: FRAMES, failure: null });
      expect(consumed[id].map((frame) => frame.frame_number)).toEqual(numbered(1, FRAMES));
      expect(asLines(consumed[id])).toEqual(uninterrupted[video]);
    }
  });
});

describe("serve --data-dir, stopped with SIGTERM and started again", () => {
  const dataDir = () => join(scratch(), "stopped");
  let url: string;
  let server: ServeProcess;
  const ids = { running: "", paused: "", terminated: "", damaged: "" };
  const consumed: FrameRecord[] = [];
  let pausedFrames = 0;

  it("checkpoints every pipeline at SIGTERM and exits 0", async () => {
    ({ server, url } = await serve(dataDir()));
    ids.running = await initialise(url, videos.a, { maxFps: MAX_FPS });
    ids.paused = await initialise(url, videos.b, { maxFps: MAX_FPS });
    ids.terminated = await initialise(url, videos.b, { maxFps: MAX_FPS });
    ids.damaged = await initialise(url, videos.a, { maxFps: MAX_FPS });
    await until(
      "the pipelines to run a while",
      () => status(url, ids.paused),
      (report) => report.frames >= 20,
    );
    await ok(url, "POST", `/inference_pipelines/${ids.paused}/pause`);
    pausedFrames = (await status(url, ids.paused)).frames;
    await ok(url, "POST", `/inference_pipelines/${ids.terminated}/terminate`);
    await pastCheckpoint(url, dataDir(), ids.running, 3);
    await until(
      "results",
      () => consume(url, ids.running).then((frames) => consumed.push(...frames)),
      () => consumed.length >= 10,
    );

    expect(await stopWith(server, "SIGTERM")).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM — checkpointing pipelines \(they resume at the next start\) and closing/);
    // The last checkpoint is the last frame run: nothing runs twice after the restart.
    const stoppedAt = (await checkpointOf(dataDir(), ids.running))!;
    expect(stoppedAt.positions[0]).toBe(stoppedAt.counts.frames);
    expect(stoppedAt.positions[0]).toBeLessThan(FRAMES);
    await writeFile(join(dataDir(), "pipelines", ids.damaged, "checkpoint.json"), '{"taken_at": "2025-01-01T00:00');
  });

  it("started again: running pipelines continue after their last frame, paused stays paused, terminated is gone, a damaged checkpoint fails its pipeline alone", async () => {
    ({ server, url } = await serve(dataDir()));
    const listed = (await ok(url, "GET", "/inference_pipelines/list")).pipelines as string[];
    expect(listed.sort()).toEqual([ids.running, ids.paused, ids.damaged].sort());
    expect((await call(url, "GET", `/inference_pipelines/${ids.terminated}/status`)).status).toBe(404);

    const resumption = (id: string) =>
      until(
        `${id} to resume`,
        () => status(url, id),
        (report) => report.state !== "starting",
      );
    const damaged = await resumption(ids.damaged);
    expect(damaged.state).toBe("failed");
    expect(damaged.failure).toMatchObject({ error_type: "SnapshotError", message: expect.stringMatching(/checkpoint\.json cannot be read/) });

    const paused = await resumption(ids.paused);
    expect(paused).toMatchObject({ state: "paused", frames: pausedFrames });

    const final = await consumeToEnd(url, ids.running, consumed);
    // Counted once each: the frames after the SIGTERM's checkpoint were not run again.
    expect(final).toMatchObject({ state: "finished", frames: FRAMES });
    expect(asLines(consumed)).toEqual(uninterrupted[videos.a]);
    expect(server.stdout()).toMatch(/"resumed_after":\[\d+\]/);

    await ok(url, "POST", `/inference_pipelines/${ids.paused}/resume`);
    const resumed: FrameRecord[] = [];
    expect(await consumeToEnd(url, ids.paused, resumed)).toMatchObject({ state: "finished", frames: FRAMES });
    expect(asLines(resumed)).toEqual(uninterrupted[videos.b]);

    await ok(url, "POST", `/inference_pipelines/${ids.damaged}/terminate`);
    expect((await call(url, "GET", `/inference_pipelines/${ids.damaged}/status`)).status).toBe(404);
    expect(await stopWith(server, "SIGTERM")).toBe(0);
  });
});

describe("createServer({ dataDir }) in the library", () => {
  it("a pipeline whose definition no longer compiles after a restart reports failed with the reason; its results can still be consumed", async () => {
    const dataDir = join(scratch(), "library");
    const first = createServer({ dataDir, allowLocalVideo: true, checkpointEveryTicks: CHECKPOINT_EVERY });
    const url = await first.app.listen({ host: "127.0.0.1", port: 0 });
    const id = await initialise(url, videos.a, { maxFps: MAX_FPS });
    await pastCheckpoint(url, dataDir, id, 1);
    await first.close(); // checkpointed, to resume at the next start

    // Restarted without custom blocks: the definition's FrameVector no longer compiles.
    const second = createServer({ dataDir, allowLocalVideo: true, dynamicBlocks: null });
    try {
      const again = await second.app.listen({ host: "127.0.0.1", port: 0 });
      const details = (await ok(again, "GET", "/inference_pipelines/list")).details;
      expect(details).toEqual([expect.objectContaining({ pipeline_id: id, state: expect.stringMatching(/^(starting|failed)$/) })]);
      const report = await until(
        "the resumption to fail",
        () => status(again, id),
        (current) => current.state !== "starting",
      );
      expect(report).toMatchObject({ state: "failed", failure: { error_type: "DynamicBlockError" } });
      const stored = await consume(again, id);
      expect(stored.map((frame) => frame.frame_number)).toEqual(numbered(1, stored.length));
      expect(asLines(stored)).toEqual(uninterrupted[videos.a].slice(0, stored.length));
      await ok(again, "POST", `/inference_pipelines/${id}/terminate`);
      expect((await call(again, "GET", `/inference_pipelines/${id}/status`)).status).toBe(404);
    } finally {
      await second.close();
    }
  });
});
