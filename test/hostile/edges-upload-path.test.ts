/**
 * A pipeline on uploaded files names them as the client did, `upload:<id>` — never by the path of
 * the server's private upload folder (issue 20, finding 10): not in the status, the list, the
 * live events, consume, the metrics, nor in a failing source's messages
 * (docs/reference/http.md#uploads).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { scratchDir } from "../video/helpers.js";
import { call, readEvents, startServer, type Json, type RunningServer } from "../server/helpers.js";

const FRAME_NUMBER = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] }],
  outputs: [{ type: "JsonField", name: "frame_number", selector: "$steps.frame.output" }],
};

const scratch = scratchDir("edges-upload-path");
let server: RunningServer;
let uploadDir: string;

beforeAll(async () => {
  uploadDir = join(scratch(), "uploads-parent");
  await mkdir(uploadDir);
  server = await startServer({ allowLocalVideo: false, uploadDir, sseStatusIntervalMs: 100 });
});

afterAll(async () => {
  await server?.close();
});

async function upload(bytes: Buffer, filename: string): Promise<string> {
  const answer = await call(server.url, "POST", "/uploads", { raw: bytes, headers: { "content-type": "application/octet-stream", "x-filename": filename } });
  expect(answer.status, answer.text).toBe(200);
  return (answer.body as { video_reference: string }).video_reference;
}

describe("a pipeline on uploads", () => {
  it("reports upload:<id>, never the server's upload folder, on every route", async () => {
    const video = join(scratch(), "clip.mp4");
    await makeTestVideo(video, { frames: 5 });
    const good = await upload(await readFile(video), "clip.mp4");
    const broken = await upload(randomBytes(4096), "broken.mp4");

    const started = await call(server.url, "POST", "/inference_pipelines/initialise", {
      json: { video_reference: [good, broken], workflow_specification: FRAME_NUMBER },
    });
    expect(started.status, started.text).toBe(200);
    const id = ((started.body as Json).context as Json).pipeline_id as string;

    const { events } = await readEvents(`${server.url}/inference_pipelines/${id}/events`, (event) => event.event === "end");
    expect(events.at(-1)?.event).toBe("end");

    const status = await call(server.url, "GET", `/inference_pipelines/${id}/status`);
    const report = (status.body as { report: Json }).report as {
      sources: Array<{ reference: string; state: string }>;
      source_events: Array<{ type: string; reference: string; message?: string }>;
      sources_metadata: Array<{ source_reference: string }>;
    };
    expect(report.sources.map((source) => [source.reference, source.state])).toEqual([
      [good, "ended"],
      [broken, "failed"],
    ]);
    expect(report.sources_metadata.map((source) => source.source_reference)).toEqual([good, broken]);
    const failed = report.source_events.find((event) => event.type === "failed");
    expect(failed).toMatchObject({ reference: broken, message: expect.stringContaining(broken) });

    const answers = [
      status.text,
      JSON.stringify(events),
      (await call(server.url, "GET", "/inference_pipelines/list")).text,
      (await call(server.url, "GET", `/inference_pipelines/${id}/consume`)).text,
      (await call(server.url, "GET", "/uploads")).text,
      (await call(server.url, "GET", "/metrics")).text,
    ];
    for (const text of answers) {
      expect(text).not.toContain(uploadDir);
      expect(text).not.toContain("sightline-uploads-");
    }
  });
});
