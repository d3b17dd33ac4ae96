/**
 * The event record end to end (issue 17 "Done when": events), with the built CLI: a generated
 * video with red frames planted at known frame numbers, a model-free workflow that flags red
 * frames from their pixels, `sightline serve --data-dir` — the events API lists exactly the
 * planted frames with their snapshots and the frames around them (fewer at the end of the
 * stream), and again after a SIGKILL mid-run of another pipeline (the frames run again after the
 * kill are not recorded twice); the export route's archive opens with `tar` and holds a COCO
 * dataset; `sightline run --video --events DIR --event-frames-around 1` writes the same layout,
 * which `sightline events export` reads. One server start and one restart; no timing is asserted.
 */
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CocoDataset, EventJson, EventPage, EventRecord, EventSummaryJson } from "../../src/events/index.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import { imageBlockDefinition, MEAN_COLOUR_RUN_START } from "../helpers/workflows.js";
import { call, startServeCli, type ServeProcess } from "../server/helpers.js";
import { eventually } from "../service/helpers.js";
import { scratchDir } from "../video/helpers.js";

/** Flags a frame whose mean colour is red; its score is the mean red. */
const RED_FRAMES = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  dynamic_blocks_definitions: [
    imageBlockDefinition(
      "RedFrame",
      { is_outlier: ["boolean"], score: ["float"] },
      [...MEAN_COLOUR_RUN_START, "  return { is_outlier: mean[0] > 180 && mean[1] < 90, score: mean[0] };", "}"].join("\n"),
    ),
  ],
  steps: [
    { type: "RedFrame", name: "red", image: "$inputs.image" },
    { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
  ],
  outputs: [
    { type: "JsonField", name: "red", selector: "$steps.red.*" },
    { type: "JsonField", name: "frame_number", selector: "$steps.frame.output" },
  ],
};

const FRAMES = 30;
/** A run of three, one alone, and two at the very end (the last has no frames after it). */
const PLANTED = [5, 6, 7, 15, 29, 30];
/** Paces the SIGKILL run so that the kill finds it mid-way. */
const MAX_FPS = 10;
/** `--event-frames-around`'s default. */
const AROUND = 2;

const scratch = scratchDir("events-api");
let video: string;
let cliRun: Promise<CliResult>;
const runEventsDir = () => join(scratch(), "run-events");
const servers: ServeProcess[] = [];

beforeAll(async () => {
  video = join(scratch(), "planted.mp4");
  await makeTestVideo(video, {
    frames: FRAMES,
    fps: 10,
    background: "gray",
    anomalies: [
      { from: 5, to: 7, color: "red" },
      { from: 15, color: "red" },
      { from: 29, to: 30, color: "red" },
    ],
  });
  // The CLI run needs no server: it runs while the server's tests do.
  const workflow = join(scratch(), "red.json");
  await writeFile(workflow, JSON.stringify(RED_FRAMES));
  cliRun = runCli(["run", workflow, "--video", `cam=${video}`, "--events", runEventsDir(), "--event-frames-around", "1", "--quiet"]);
  cliRun.catch(() => undefined); // awaited by its test
});

afterAll(() => {
  for (const server of servers) server.child.kill("SIGKILL");
});

async function serve(dataDir: string): Promise<{ server: ServeProcess; url: string }> {
  const server = startServeCli(["--data-dir", dataDir, "--checkpoint-every", "5"]);
  servers.push(server);
  return { server, url: await server.address };
}

async function ok(url: string, path: string, init: { method?: string; json?: unknown } = {}): Promise<Record<string, unknown>> {
  const answer = await call(url, init.method ?? "GET", path, init.json === undefined ? {} : { json: init.json });
  expect(answer.status, `${path}: ${answer.text}`).toBe(200);
  return answer.body as Record<string, unknown>;
}

async function initialise(url: string, maxFps?: number): Promise<string> {
  const body = await ok(url, "/inference_pipelines/initialise", {
    method: "POST",
    json: { video_reference: `cam=${video}`, workflow_specification: RED_FRAMES, ...(maxFps ? { max_fps: maxFps } : {}) },
  });
  return (body.context as { pipeline_id: string }).pipeline_id;
}

const state = async (url: string, id: string) => ((await ok(url, `/inference_pipelines/${id}/status`)).report as { state: string }).state;

/** Every event of the pipeline, page by page (3 at a time, to walk the cursor), oldest first. */
async function eventsOf(url: string, pipelineId: string): Promise<EventSummaryJson[]> {
  const all: EventSummaryJson[] = [];
  let cursor: string | null = null;
  do {
    const page = (await ok(url, `/events?pipeline_id=${pipelineId}&limit=3${cursor ? `&cursor=${cursor}` : ""}`)) as unknown as EventPage<EventSummaryJson>;
    all.push(...page.events);
    cursor = page.next_cursor;
  } while (cursor);
  return all.reverse();
}

/** The mean red of a JPEG served at `path`, after checking its type and size. */
async function red(url: string, path: string): Promise<number> {
  const response = await fetch(`${url}${path}`);
  expect(response.headers.get("content-type"), path).toBe("image/jpeg");
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([64, 48]);
  return data[0];
}

/** The frames around each planted frame: N before and N after it, fewer at the ends, each its own frame (red when planted). */
async function expectAround(url: string, events: readonly EventSummaryJson[]): Promise<void> {
  for (const summary of events) {
    const event = (await ok(url, `/events/${summary.id}`)) as unknown as EventJson;
    const f = event.frame_number;
    const numbers = [...Array(2 * AROUND + 1).keys()].map((i) => f - AROUND + i).filter((n) => n !== f && n >= 1 && n <= FRAMES);
    expect(
      event.around.map((frame) => [frame.offset, frame.frame_number]),
      `frames around ${f}`,
    ).toEqual(numbers.map((n) => [n - f, n]));
    for (const frame of event.around) {
      expect(frame.image_url).toBe(`/events/${event.id}/around/${frame.frame_number}`);
      const planted = PLANTED.includes(frame.frame_number);
      expect((await red(url, frame.image_url)) > 180, `frame ${frame.frame_number} around ${f} is ${planted ? "red" : "grey"}`).toBe(planted);
    }
  }
  const [first] = events;
  const missing = await call(url, "GET", `/events/${first.id}/around/${first.frame_number}`);
  expect(missing.status, "the event's own frame is its snapshot, not a frame around it").toBe(404);
  expect(missing.body).toMatchObject({ error_type: "NotFoundError", message: expect.stringContaining("keeps no frame") });
}

/** The events are exactly the planted frames, each with a JPEG snapshot and thumbnail of the frame. */
async function expectPlanted(url: string, pipelineId: string): Promise<void> {
  const events = await eventsOf(url, pipelineId);
  expect(events.map((event) => event.frame_number)).toEqual(PLANTED);
  for (const event of events) {
    expect(event).toMatchObject({ pipeline_id: pipelineId, source: "cam", source_index: 0, flags: ["red.is_outlier"], score_output: "red.score" });
    expect(event.score).toBeGreaterThan(180);
    expect(await red(url, event.image_url!), "the snapshot is the red frame").toBeGreaterThan(180);
    const thumbnail = await fetch(`${url}${event.thumbnail_url}`);
    expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).format).toBe("jpeg");
  }
  const one = (await ok(url, `/events/${events[0].id}`)) as unknown as EventJson;
  expect(one.outputs).toMatchObject({ frame_number: PLANTED[0], red: { is_outlier: true } });
}

describe("serve --data-dir: the events of a pipeline", () => {
  const dataDir = () => join(scratch(), "data");
  let url: string;
  let server: ServeProcess;
  let finished: string;

  it("lists exactly the planted frames with their snapshots and the frames around them", async () => {
    ({ server, url } = await serve(dataDir()));
    finished = await initialise(url);
    await eventually(
      "the pipeline to finish",
      () => state(url, finished),
      (value) => value === "finished",
    );
    await expectPlanted(url, finished);
    await expectAround(url, await eventsOf(url, finished));
  });

  it("answers an unknown id with 404, a malformed query with 400, in the server's error shape", async () => {
    const unknown = await call(url, "GET", "/events/20260101T000000000Z-00000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_type: "NotFoundError", message: expect.stringContaining("never recorded, or removed by retention") });
    expect((await call(url, "GET", "/events/..%2Fetc/image")).status).toBe(404);
    const [event] = await eventsOf(url, finished);
    expect((await call(url, "GET", `/events/${event.id}/around/..%2F..%2Findex.jsonl`)).status).toBe(404);
    const malformed = await call(url, "GET", "/events?since=yesterday&limit=0");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error_type: "BadRequestError", message: expect.stringMatching(/since: expected an ISO 8601 date.*limit/) });
  });

  it("exports the selection as a tar archive holding a COCO dataset", async () => {
    const response = await fetch(`${url}/events/export?pipeline_id=${finished}`);
    expect(response.headers.get("content-type")).toBe("application/x-tar");
    const out = join(scratch(), "archive");
    await mkdir(out);
    await writeFile(join(out, "events.tar"), Buffer.from(await response.arrayBuffer()));
    await promisify(execFile)("tar", ["-xf", "events.tar"], { cwd: out });
    const coco = JSON.parse(await readFile(join(out, "annotations.json"), "utf8")) as CocoDataset;
    expect(coco.images.map((image) => image.sightline.frame_number).sort((a, b) => a - b)).toEqual(PLANTED);
    for (const image of coco.images) {
      const metadata = await sharp(await readFile(join(out, "images", image.file_name))).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(["jpeg", image.width, image.height]);
    }
  });

  it("a pipeline killed with SIGKILL mid-run resumes and records each planted frame once; the other's events are as they were", async () => {
    const before = await eventsOf(url, finished);
    const killed = await initialise(url, MAX_FPS);
    await eventually(
      "the first planted frames to be recorded",
      () => eventsOf(url, killed),
      (events) => events.length >= 3,
    );
    server.child.kill("SIGKILL");
    await server.exited;
    const onDisk = (await readdir(join(dataDir(), "events"))).filter((name) => name.endsWith(".json"));
    expect(onDisk.length).toBeGreaterThanOrEqual(PLANTED.length + 3);

    ({ server, url } = await serve(dataDir()));
    expect(await eventsOf(url, finished)).toEqual(before);
    await expectAround(url, before);
    await eventually(
      "the resumed pipeline to finish",
      () => state(url, killed),
      (value) => value === "finished",
    );
    await expectPlanted(url, killed);
    const all = (await ok(url, "/events?limit=500")) as unknown as EventPage;
    expect(all.total).toBe(2 * PLANTED.length);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});

describe("sightline run --video --events DIR", () => {
  it("writes the same layout, which sightline events export reads", async () => {
    const dir = runEventsDir();
    const run = await cliRun;
    expect(run.code, run.stderr).toBe(0);
    const runId = /events of run (\S+) in/.exec(run.stderr)![1];
    const flaggedLines = (run.lines as Array<{ frame_number: number; outputs: { red: { is_outlier: boolean } } }>)
      .filter((line) => line.outputs.red.is_outlier)
      .map((line) => line.frame_number);
    expect(flaggedLines).toEqual(PLANTED);

    const files = await readdir(dir);
    expect(files).toContain("index.jsonl");
    for (const kind of [/-[0-9a-f]{8}\.json$/, /-[0-9a-f]{8}\.jpg$/, /\.thumb\.jpg$/, /\.around$/])
      expect(files.filter((name) => kind.test(name)).length, String(kind)).toBe(PLANTED.length);
    const around = await Promise.all(
      files
        .filter((name) => name.endsWith(".json") && name !== "index.jsonl")
        .map(async (name) => JSON.parse(await readFile(join(dir, name), "utf8")) as EventRecord),
    );
    // One frame before and one after each, none after the last frame of the video.
    expect(around.map((event) => event.around.map((frame) => frame.offset)).sort()).toEqual([[-1, 1], [-1, 1], [-1, 1], [-1, 1], [-1, 1], [-1]].sort());

    const out = join(scratch(), "run-dataset");
    const exported = await runCli(["events", "export", "--events", dir, "--out", out, "--pipeline-id", runId]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain(`${PLANTED.length} event image(s) written`);
    const coco = JSON.parse(await readFile(join(out, "annotations.json"), "utf8")) as CocoDataset;
    expect(coco.images.map((image) => [image.sightline.pipeline_id, image.sightline.frame_number])).toEqual(PLANTED.map((frame) => [runId, frame]));

    const neither = await runCli(["events", "export", "--out", out]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/exactly one of --data-dir DIR .* or --events DIR/);
  });
});
