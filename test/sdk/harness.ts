/**
 * Driving Roboflow's Python SDK (`inference_sdk.InferenceHTTPClient`, vendored unchanged in
 * test/fixtures/inference-sdk) from a test: `drive_sdk.py` makes the calls and reports what each
 * answered; the checks are the tests'. Shared by the single-server test (python-sdk.test.ts) and
 * the cluster's (test/service/sdk-cluster.test.ts). Needs python3 with the Debian packages
 * `.ci/run` installs.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { expect } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SDK = join(ROOT, "test/fixtures/inference-sdk");
const DRIVER = join(import.meta.dirname, "drive_sdk.py");
/** Debian's interpreter, which its python3-* packages are for (a pyenv or venv `python3` may come first on PATH). */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

export const CLIP_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-32" }],
  outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
};

/** For pipelines: the frame's embedding and number, so that excluding one leaves the other. */
export const PIPELINE_WORKFLOW = {
  ...CLIP_WORKFLOW,
  steps: [
    ...CLIP_WORKFLOW.steps,
    { type: "PropertyDefinition", name: "frame", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
  ],
  outputs: [...CLIP_WORKFLOW.outputs, { type: "JsonField", name: "frame_number", selector: "$steps.frame.output" }],
};

/** What one SDK call gave: its result, or the error it raised with the SDK's message. */
export type Outcome<T = unknown> = { ok: T } | { error: string; status?: number; message: string };

export interface Report {
  state: string;
  frames: number;
  inference_throughput: number;
  sources_metadata: Array<{
    source_reference: string;
    state: string;
    source_id: number;
    source_properties: { width: number; height: number; is_file: boolean; total_frames: number } | null;
  }>;
  latency_reports: Array<{ source_id: number; frame_decoding_latency: number | null; inference_latency: number | null; e2e_latency: number | null }>;
  video_source_status_updates: Array<{ severity: number; event_type: string; payload: { source_id: number }; context: string }>;
}
export interface Command {
  status: string;
  context: { pipeline_id: string | null };
}
export type Status = Command & { report: Report };
export type Listing = Command & { pipelines: string[] };
export type Consumed = Command & { outputs: Array<Record<string, unknown>>; frames_metadata: Array<{ frame_id: number; source_id: number }> };

/** What the SDK's pipeline methods answered, in the order `drive_sdk.py` calls them. */
export interface PipelineCalls {
  pipeline_id: string;
  start: Outcome<Command>;
  list: Outcome<Listing>;
  status: Outcome<Status>;
  consume: Outcome<Consumed>;
  consume_calls: number;
  pause: Outcome<Command>;
  status_paused: Outcome<Status>;
  resume: Outcome<Command>;
  status_resumed: Outcome<Status>;
  terminate: Outcome<Command>;
  list_after: Outcome<Listing>;
}

/** Runs `drive_sdk.py` with `config` (written to `configFile`) and returns what it printed. */
export async function driveSdk<T>(config: Record<string, unknown>, configFile: string): Promise<T> {
  await writeFile(configFile, JSON.stringify(config));
  const child = spawn(PYTHON, [DRIVER, configFile], {
    env: { ...process.env, PYTHONPATH: SDK, INFERENCE_WARNINGS_DISABLED: "true", PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done, fail) => {
    child.on("error", fail);
    child.on("close", done);
  });
  if (code !== 0) {
    const hint = /ModuleNotFoundError|No module named/.test(stderr) ? " (install the Debian packages .ci/run lists: python3-requests python3-aiohttp …)" : "";
    throw new Error(`drive_sdk.py exited ${code}${hint}:\n${stderr}`);
  }
  return JSON.parse(stdout) as T;
}

export function ok<T>(outcome: Outcome<T>): T {
  if (!("ok" in outcome)) throw new Error(`the SDK call failed: ${JSON.stringify(outcome)}`);
  return outcome.ok;
}

/**
 * The SDK's pipeline calls on `video` (600 frames of 64×48, the PIPELINE_WORKFLOW) did what
 * upstream's server does: start, list, status with upstream's keys, consume with excluded_fields
 * (in a GET's body), pause, resume, terminate.
 */
export function expectPipelineCalls(pipeline: PipelineCalls, video: string): void {
  const { pipeline_id: id, ...calls } = pipeline;
  expect(ok(calls.start)).toMatchObject({ status: "success", context: { pipeline_id: id } });
  expect(ok(calls.list).pipelines).toContain(id);

  const report = ok(calls.status).report;
  expect(report.sources_metadata).toEqual([expect.objectContaining({ source_id: 0, source_reference: video })]);
  expect(report.latency_reports).toEqual([expect.objectContaining({ source_id: 0 })]);
  expect(typeof report.inference_throughput).toBe("number");
  expect(Array.isArray(report.video_source_status_updates)).toBe(true);

  const consumed = ok(calls.consume);
  expect(consumed.outputs.length).toBeGreaterThan(0);
  // excluded_fields came in the GET's body
  for (const outputs of consumed.outputs) expect(Object.keys(outputs)).toEqual(["frame_number"]);
  expect(consumed.frames_metadata.map((frame) => frame.frame_id)).toEqual(consumed.outputs.map((outputs) => outputs.frame_number));

  expect(ok(calls.pause).status).toBe("success");
  const paused = ok(calls.status_paused).report;
  expect(paused.state).toBe("paused");
  expect(paused.sources_metadata[0]).toMatchObject({ state: "PAUSED", source_properties: { width: 64, height: 48, is_file: true, total_frames: 600 } });
  expect(paused.latency_reports[0].inference_latency).toBeGreaterThan(0);
  expect(paused.video_source_status_updates).toContainEqual(
    expect.objectContaining({
      event_type: "VIDEO_CONSUMPTION_STARTED",
      severity: 20,
      context: "video_source",
      payload: expect.objectContaining({ source_id: 0 }) as unknown,
    }),
  );
  expect(ok(calls.resume).status).toBe("success");
  expect(ok(calls.status_resumed).report.state).toBe("running");
  expect(ok(calls.terminate).status).toBe("success");
  expect(ok(calls.list_after).pipelines).not.toContain(id);
}
