/**
 * Stream pipelines over HTTP on videos made at test time (real FFmpeg): initialise, status,
 * consume, pause/resume, terminate, independence of pipelines, failing sources, uploads, the
 * live event stream and the metrics.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { flagFromFrame } from "../helpers/workflows.js";
import { scratchDir } from "../video/helpers.js";
import { call, readEvents, startServer, type Json, type RunningServer } from "./helpers.js";

const FLAG_FROM = 25;

/** Flags every frame from FLAG_FROM on (is_outlier), and reports the frame number. */
const FLAGGING = flagFromFrame(FLAG_FROM);

interface Report {
  state: string;
  frames: number;
  flagged: number;
  sources: Array<{ source: string; state: string }>;
  source_events: Array<{ type: string; source: string; message?: string }>;
  results_dropped: number;
}

interface Frame {
  source: string;
  frame_number: number;
  frame_timestamp: string;
  outputs: { frame_number: number; is_outlier: boolean };
  flagged: boolean;
  error?: Json;
  thumbnail?: string;
}

const scratch = scratchDir("server-pipelines");
let short: string; // 30 frames
let long: string; // 200 frames
let server: RunningServer;

beforeAll(async () => {
  short = join(scratch(), "short.mp4");
  long = join(scratch(), "long.mp4");
  await makeTestVideo(short, { frames: 30 });
  await makeTestVideo(long, { frames: 200, fps: 20 });
  server = await startServer({ allowLocalVideo: true, sseStatusIntervalMs: 200 });
});

afterAll(async () => {
  await server?.close();
});

async function initialise(base: string, body: Json): Promise<string> {
  const answer = await call(base, "POST", "/inference_pipelines/initialise", { json: { workflow_specification: FLAGGING, ...body } });
  expect(answer.status, answer.text).toBe(200);
  const { status, context } = answer.body as { status: string; context: { request_id: string; pipeline_id: string } };
  expect(status).toBe("success");
  expect(context.request_id).toMatch(/^[0-9a-f-]{36}$/);
  return context.pipeline_id;
}

async function report(base: string, id: string): Promise<Report> {
  const answer = await call(base, "GET", `/inference_pipelines/${id}/status`);
  expect(answer.status, answer.text).toBe(200);
  return (answer.body as { report: Report }).report;
}

/** Polls the status route until `condition` holds. */
async function until(base: string, id: string, what: string, condition: (report: Report) => boolean): Promise<Report> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const current = await report(base, id);
    if (condition(current)) return current;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(current)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ended = (r: Report) => r.state === "finished" || r.state === "failed";

describe("a pipeline on a video file", () => {
  it("processes every frame; status, consume (then empty), metrics; terminate removes it", async () => {
    const id = await initialise(server.url, { video_reference: short });
    const final = await until(server.url, id, "the video to end", ended);
    expect(final).toMatchObject({ state: "finished", frames: 30, flagged: 30 - FLAG_FROM + 1, errors: 0 });
    expect(final.sources).toEqual([expect.objectContaining({ source: "0", state: "ended" })]);

    const consumed = (await call(server.url, "GET", `/inference_pipelines/${id}/consume`)).body as {
      frames: Frame[];
      dropped: number;
      outputs: Json[];
      frames_metadata: Json[];
    };
    expect(consumed.dropped).toBe(0);
    expect(consumed.frames.map((frame) => frame.frame_number)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const frame of consumed.frames) {
      expect(frame.outputs).toEqual({ frame_number: frame.frame_number, is_outlier: frame.frame_number >= FLAG_FROM });
      expect(frame.flagged).toBe(frame.frame_number >= FLAG_FROM);
      expect(frame.source).toBe("0");
      expect(frame).not.toHaveProperty("error");
    }
    // Upstream's ConsumePipelineResponse form, aligned with `frames`.
    expect(consumed.outputs).toEqual(consumed.frames.map((frame) => frame.outputs));
    expect(consumed.frames_metadata[4]).toEqual({ frame_id: 5, source_id: 0, frame_timestamp: consumed.frames[4].frame_timestamp });

    const again = (await call(server.url, "POST", `/inference_pipelines/${id}/consume`, { json: {} })).body as { frames: Frame[]; dropped: number };
    expect(again).toMatchObject({ frames: [], dropped: 0 });

    const metrics = await call(server.url, "GET", "/metrics");
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toContain(`sightline_pipeline_frames_total{pipeline="${id}"} 30`);
    expect(metrics.text).toContain(`sightline_pipeline_flagged_frames_total{pipeline="${id}"} ${30 - FLAG_FROM + 1}`);
    expect(metrics.text).toContain(`sightline_pipeline_errors_total{pipeline="${id}"} 0`);
    expect(metrics.text).toContain(`sightline_pipeline_state{pipeline="${id}",state="finished"} 1`);
    expect(metrics.text).toMatch(new RegExp(`sightline_pipeline_latency_seconds_count\\{pipeline="${id}",stage="inference"\\} \\d+`));
    expect(metrics.text).toMatch(new RegExp(`sightline_pipeline_latency_seconds\\{pipeline="${id}",stage="end_to_end",quantile="0.99"\\} [0-9.e-]+`));
    expect(metrics.text).toMatch(/sightline_http_requests_total\{method="GET",route="\/inference_pipelines\/:id\/status",status="200"\} \d+/);

    const listed = (await call(server.url, "GET", "/inference_pipelines/list")).body as { pipelines: string[]; details: Json[] };
    expect(listed.pipelines).toContain(id);
    expect(listed.details).toContainEqual(expect.objectContaining({ pipeline_id: id, state: "finished" }));

    expect((await call(server.url, "POST", `/inference_pipelines/${id}/terminate`)).body).toMatchObject({ status: "success", context: { pipeline_id: id } });
    const gone = await call(server.url, "GET", `/inference_pipelines/${id}/status`);
    expect(gone.status).toBe(404);
    expect((gone.body as Json).error_type).toBe("ProcessesManagerNotFoundError");
  });

  it("a bounded results buffer: consume says how many results were dropped; excluded_fields applies", async () => {
    const small = await startServer({ allowLocalVideo: true, pipelineResultsBuffer: 10 });
    try {
      const id = await initialise(small.url, { video_reference: short });
      await until(small.url, id, "the video to end", ended);
      expect((await report(small.url, id)).results_dropped).toBe(20);
      const consumed = (await call(small.url, "POST", `/inference_pipelines/${id}/consume`, { json: { excluded_fields: ["frame_number"] } })).body as {
        frames: Frame[];
        dropped: number;
      };
      expect(consumed.dropped).toBe(20);
      expect(consumed.frames.map((frame) => frame.frame_number)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
      expect(consumed.frames[0].outputs).toEqual({ is_outlier: false });
    } finally {
      await small.close();
    }
  });

  it("pause holds processing, resume continues it", async () => {
    const id = await initialise(server.url, { video_reference: long, max_fps: 20 });
    await until(server.url, id, "the first frames", (r) => r.state === "running" && r.frames > 0);
    await call(server.url, "POST", `/inference_pipelines/${id}/pause`);
    expect((await report(server.url, id)).state).toBe("paused");
    // At most the tick in progress completes after pausing; then the count stays put.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const settled = (await report(server.url, id)).frames;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await report(server.url, id)).frames).toBe(settled);
    await call(server.url, "POST", `/inference_pipelines/${id}/resume`);
    await until(server.url, id, "frames after resuming", (r) => r.state === "running" && r.frames > settled);
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
  });

  it("terminating one pipeline leaves another running", async () => {
    const first = await initialise(server.url, { video_reference: long, max_fps: 20 });
    const second = await initialise(server.url, { video_reference: long, max_fps: 20 });
    await until(server.url, first, "the first pipeline to run", (r) => r.frames > 0);
    await until(server.url, second, "the second pipeline to run", (r) => r.frames > 0);
    expect((await call(server.url, "POST", `/inference_pipelines/${first}/terminate`)).status).toBe(200);
    const after = (await report(server.url, second)).frames;
    const later = await until(server.url, second, "the second pipeline to go on", (r) => r.frames > after + 2);
    expect(later.state).toBe("running");
    expect(later.sources[0].state).toBe("running");
    const listed = (await call(server.url, "GET", "/inference_pipelines/list")).body as { pipelines: string[] };
    expect(listed.pipelines).toContain(second);
    expect(listed.pipelines).not.toContain(first);
    await call(server.url, "POST", `/inference_pipelines/${second}/terminate`);
  });

  it("a source that cannot be read shows as failed in the status; the other source runs to its end", async () => {
    const missing = join(scratch(), "no-such-video.mp4");
    const id = await initialise(server.url, { video_reference: [short, `broken=${missing}`] });
    const final = await until(server.url, id, "both sources to finish", ended);
    expect(final.frames).toBe(30);
    expect(final.sources).toEqual([expect.objectContaining({ source: "0", state: "ended" }), expect.objectContaining({ source: "broken", state: "failed" })]);
    expect(final.source_events).toContainEqual(expect.objectContaining({ type: "failed", source: "broken", message: expect.any(String) }));
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
  });

  it("a frame whose run fails carries its error; the other frames go on; the errors are counted", async () => {
    const failing = {
      ...FLAGGING,
      steps: [...FLAGGING.steps, { type: "test/fail@v1", name: "picky", value: "$steps.frame.output", bad: 3 }],
      outputs: [...FLAGGING.outputs, { type: "JsonField", name: "picked", selector: "$steps.picky.value" }],
    };
    const id = await initialise(server.url, { video_reference: short, workflow_specification: failing });
    const final = await until(server.url, id, "the video to end", ended);
    expect(final).toMatchObject({ state: "finished", frames: 30, errors: 1 });
    const { frames } = (await call(server.url, "GET", `/inference_pipelines/${id}/consume`)).body as { frames: Frame[] };
    const bad = frames.filter((frame) => frame.error);
    expect(bad.map((frame) => frame.frame_number)).toEqual([3]);
    expect(bad[0].error).toMatchObject({ error_type: "StepExecutionError", blocks_errors: [expect.objectContaining({ block_id: "picky" })] });
    expect(frames[3].outputs).toMatchObject({ frame_number: 4, picked: 4 });
    const metrics = (await call(server.url, "GET", "/metrics")).text;
    expect(metrics).toContain(`sightline_pipeline_errors_total{pipeline="${id}"} 1`);
    expect(metrics).toContain('sightline_step_errors_total{block_type="test/fail@v1",error_type="StepExecutionError",origin="pipeline"} 1');
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
  });

  it("bad requests: compile error → 400, no frame input → 400, no video → 422, unknown id → 404", async () => {
    const compileError = await call(server.url, "POST", "/inference_pipelines/initialise", {
      json: { video_reference: short, workflow_specification: { ...FLAGGING, outputs: [{ type: "JsonField", name: "x", selector: "$steps.nope.output" }] } },
    });
    expect(compileError.status).toBe(400);
    expect((compileError.body as Json).error_type).toBe("InvalidReferenceTargetError");
    const noInput = await call(server.url, "POST", "/inference_pipelines/initialise", {
      json: { video_reference: short, workflow_specification: FLAGGING, image_input_name: "frame" },
    });
    expect(noInput.status).toBe(400);
    expect((noInput.body as Json).message).toMatch(/no input named "frame"/);
    const noVideo = await call(server.url, "POST", "/inference_pipelines/initialise", { json: { workflow_specification: FLAGGING } });
    expect(noVideo.status).toBe(422);
    for (const path of ["/inference_pipelines/nope/status", "/inference_pipelines/nope/consume"]) {
      expect((await call(server.url, "GET", path)).status).toBe(404);
    }
    expect((await call(server.url, "POST", "/inference_pipelines/nope/pause")).status).toBe(404);
  });

  it("accepts upstream's nested InitialisePipelinePayload", async () => {
    const answer = await call(server.url, "POST", "/inference_pipelines/initialise", {
      json: {
        video_configuration: { type: "VideoConfiguration", video_reference: short, max_fps: null },
        processing_configuration: { type: "WorkflowConfiguration", workflow_specification: FLAGGING, image_input_name: "image", workflows_parameters: null },
        sink_configuration: { type: "MemorySinkConfiguration", results_buffer_size: 64 },
        api_key: null,
      },
    });
    expect(answer.status, answer.text).toBe(200);
    const id = (answer.body as { context: { pipeline_id: string } }).context.pipeline_id;
    expect((await until(server.url, id, "the video to end", ended)).frames).toBe(30);
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
  });

  it("holds at most --max-pipelines running pipelines (429), an ended one makes room", async () => {
    const capped = await startServer({ allowLocalVideo: true, maxPipelines: 1 });
    try {
      const running = await initialise(capped.url, { video_reference: long, max_fps: 10 });
      const refused = await call(capped.url, "POST", "/inference_pipelines/initialise", { json: { video_reference: short, workflow_specification: FLAGGING } });
      expect(refused.status).toBe(429);
      await call(capped.url, "POST", `/inference_pipelines/${running}/terminate`);
      const ended = await initialise(capped.url, { video_reference: short });
      await until(capped.url, ended, "the video to end", (r) => r.state === "finished");
      await initialise(capped.url, { video_reference: short });
      expect((await call(capped.url, "GET", `/inference_pipelines/${ended}/status`)).status).toBe(404);
    } finally {
      await capped.close();
    }
  });
});

describe("server-side paths and uploads", () => {
  let closed: RunningServer;
  beforeAll(async () => {
    closed = await startServer({ allowLocalVideo: false, maxUploadBytes: 1024 * 1024, maxUploads: 2 });
  });
  afterAll(async () => {
    await closed?.close();
  });

  it("without --allow-local-video a path is refused with a reason; the same file uploaded runs", async () => {
    const refused = await call(closed.url, "POST", "/inference_pipelines/initialise", { json: { video_reference: short, workflow_specification: FLAGGING } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error_type: "RuntimeInputError", message: expect.stringMatching(/--allow-local-video.*|POST \/uploads/) });

    const bytes = await readFile(short);
    const uploaded = await call(closed.url, "POST", "/uploads", {
      raw: bytes,
      headers: { "content-type": "application/octet-stream", "x-filename": "../../clip.mp4" },
    });
    expect(uploaded.status, uploaded.text).toBe(200);
    const info = uploaded.body as { upload_id: string; filename: string; bytes: number; video_reference: string };
    expect(info).toMatchObject({ filename: "clip.mp4", bytes: bytes.length, video_reference: `upload:${info.upload_id}` });

    const id = await initialise(closed.url, { video_reference: `cam=${info.video_reference}` });
    const final = await until(closed.url, id, "the upload to play", ended);
    expect(final.frames).toBe(30);
    expect(final.sources[0].source).toBe("cam");

    expect(((await call(closed.url, "GET", "/uploads")).body as { uploads: Json[] }).uploads).toHaveLength(1);
    expect((await call(closed.url, "DELETE", `/uploads/${info.upload_id}`)).body).toEqual({ status: "deleted", upload_id: info.upload_id });
    const unknown = await call(closed.url, "POST", "/inference_pipelines/initialise", {
      json: { video_reference: info.video_reference, workflow_specification: FLAGGING },
    });
    expect(unknown.status).toBe(400);
    expect((unknown.body as Json).message).toMatch(/no upload/);
  });

  it("uploads are bounded in size (413) and count (429); a wrong content type → 415", async () => {
    const big = await call(closed.url, "POST", "/uploads", { raw: new Uint8Array(2 * 1024 * 1024), headers: { "content-type": "application/octet-stream" } });
    expect(big.status).toBe(413);
    expect((big.body as Json).error_type).toBe("PayloadTooLargeError");
    const wrongType = await call(closed.url, "POST", "/uploads", { json: { a: 1 } });
    expect(wrongType.status).toBe(415);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const answer = await call(closed.url, "POST", "/uploads", { raw: new Uint8Array(16), headers: { "content-type": "application/octet-stream" } });
      expect(answer.status).toBe(200);
      ids.push((answer.body as { upload_id: string }).upload_id);
    }
    const third = await call(closed.url, "POST", "/uploads", { raw: new Uint8Array(16), headers: { "content-type": "application/octet-stream" } });
    expect(third.status).toBe(429);
    for (const id of ids) await call(closed.url, "DELETE", `/uploads/${id}`);
  });
});

describe("GET /inference_pipelines/{id}/events", () => {
  it("streams status, a frame event per frame (thumbnails on flagged frames), and end", async () => {
    const wide = join(scratch(), "wide.mp4");
    await makeTestVideo(wide, { frames: 30, width: 320, height: 240, background: "testsrc2" });
    const id = await initialise(server.url, { video_reference: wide, max_fps: 30 });
    // Held until the stream is open (its first event), so that no frame happens before it.
    await call(server.url, "POST", `/inference_pipelines/${id}/pause`);
    let resumed: Promise<unknown> | null = null;
    const { events, status, contentType } = await readEvents(`${server.url}/inference_pipelines/${id}/events`, (event) => {
      resumed ??= call(server.url, "POST", `/inference_pipelines/${id}/resume`);
      return event.event === "end";
    });
    // set inside the callback, which TypeScript's narrowing does not see
    await (resumed as Promise<unknown> | null);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events[0].event).toBe("status");
    expect(events.at(-1)).toEqual({ event: "end", data: { state: "finished" } });
    expect(events.filter((event) => event.event === "status").length).toBeGreaterThanOrEqual(2);
    const frames = events.filter((event) => event.event === "frame").map((event) => event.data as Frame);
    const numbers = frames.map((frame) => frame.frame_number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(numbers.at(-1)).toBe(30);
    expect(numbers.filter((n) => n >= FLAG_FROM)).toEqual([25, 26, 27, 28, 29, 30]);
    for (const frame of frames) {
      expect(frame.flagged).toBe(frame.frame_number >= FLAG_FROM);
      expect(frame.outputs.is_outlier).toBe(frame.flagged);
      if (!frame.flagged) {
        expect(frame).not.toHaveProperty("thumbnail");
        continue;
      }
      expect(frame.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
      const jpeg = Buffer.from(frame.thumbnail!.split(",")[1], "base64");
      const meta = await sharp(jpeg).metadata();
      expect(meta).toMatchObject({ format: "jpeg", width: 160, height: 120 });
    }
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
  });

  it("flags frames without pixels too, and sends them without a thumbnail", async () => {
    // CLIP-free: a rate limiter on video time in front of the one step that reads pixels, and a
    // flag on every frame that reads none — so 10 fps frames 1, 11, 21 (and the file's last
    // eight) are decoded to pixels, the others are not, and every one is flagged.
    const sampled = {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [
        {
          type: "roboflow_core/rate_limiter@v1",
          name: "sample",
          cooldown_seconds: 1,
          depends_on: "$inputs.image",
          video_reference_image: "$inputs.image",
          next_steps: ["$steps.jpeg"],
        },
        { type: "PropertyDefinition", name: "jpeg", data: "$inputs.image", operations: [{ type: "ConvertImageToJPEG" }] },
        { type: "Expression", name: "flag", data: {}, switch: { type: "CasesDefinition", cases: [], default: { type: "StaticCaseResult", value: true } } },
      ],
      outputs: [{ type: "JsonField", name: "is_outlier", selector: "$steps.flag.output" }],
    };
    const id = await initialise(server.url, { video_reference: short, workflow_specification: sampled });
    await call(server.url, "POST", `/inference_pipelines/${id}/pause`);
    let resumed: Promise<unknown> | null = null;
    const { events } = await readEvents(`${server.url}/inference_pipelines/${id}/events`, (event) => {
      resumed ??= call(server.url, "POST", `/inference_pipelines/${id}/resume`);
      return event.event === "end";
    });
    // set inside the callback, which TypeScript's narrowing does not see
    await (resumed as Promise<unknown> | null);
    expect(events.at(-1)).toEqual({ event: "end", data: { state: "finished" } });
    const frames = events.filter((event) => event.event === "frame").map((event) => event.data as Frame);
    expect(frames.map((frame) => frame.frame_number)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(frames.every((frame) => frame.flagged && frame.error === undefined)).toBe(true);
    const withThumbnail = frames.filter((frame) => frame.thumbnail !== undefined).map((frame) => frame.frame_number);
    expect(withThumbnail).toEqual([1, 11, 21, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect((await report(server.url, id)).sources).toEqual([expect.objectContaining({ framesWithoutPixels: 19 })]);
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
  });

  it("a client going away is unsubscribed; terminating ends open streams", async () => {
    const id = await initialise(server.url, { video_reference: long, max_fps: 10 });
    const first = await readEvents(`${server.url}/inference_pipelines/${id}/events`, (event) => event.event === "status");
    expect(first.events).toHaveLength(1);
    // The server notices the disconnect and counts the finished event-stream request.
    const route = 'sightline_http_requests_total{method="GET",route="/inference_pipelines/:id/events",status="200"}';
    const deadline = Date.now() + 30_000;
    while (!(await call(server.url, "GET", "/metrics")).text.includes(route)) {
      if (Date.now() > deadline) throw new Error("the event stream was not cleaned up");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const open = readEvents(`${server.url}/inference_pipelines/${id}/events`, () => false);
    await until(server.url, id, "frames", (r) => r.frames > 0);
    await call(server.url, "POST", `/inference_pipelines/${id}/terminate`);
    const { events } = await open;
    expect(events.at(-1)?.event).toBe("end");
  });

  it("unknown pipeline → 404 JSON, not a stream", async () => {
    const answer = await call(server.url, "GET", "/inference_pipelines/nope/events");
    expect(answer.status).toBe(404);
    expect((answer.body as Json).error_type).toBe("ProcessesManagerNotFoundError");
  });
});
