/**
 * Roboflow's Python SDK (`inference_sdk.InferenceHTTPClient`, vendored unchanged in
 * test/fixtures/inference-sdk) against `sightline serve` as a user runs it: the built CLI with the
 * tiny generated CLIP mapped as a model folder, on 127.0.0.1. One server and one Python process
 * per key mode — an open server, and one with `--api-key` driven with both of the SDK's key
 * transports (the legacy body/query channel and the `Authorization` header). `drive_sdk.py` makes
 * the calls and reports what each answered; the checks are here. Needs python3 with the Debian
 * packages `.ci/run` installs.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosineSimilarity } from "../../src/maths/vectors.js";
import { createTinyClipModel } from "../../src/models/index.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { runCli } from "../helpers/cli.js";
import { syntheticPhoto } from "../models/helpers.js";
import { startServeCli, type ServeProcess } from "../server/helpers.js";
import { scratchDir } from "../video/helpers.js";
import { CLIP_WORKFLOW, driveSdk, expectPipelineCalls, ok, PIPELINE_WORKFLOW, type Outcome, type PipelineCalls, type Status } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const CAT = "a photo of a cat";
const DOG = "a photo of a dog";

const BUFFER_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "value" }],
  steps: [{ type: "roboflow_core/buffer@v1", name: "last_two", data: "$inputs.value", length: 2 }],
  outputs: [{ type: "JsonField", name: "last_two", selector: "$steps.last_two.output" }],
};

interface Embeddings {
  embeddings: number[][];
  time: number;
  frame_id: null;
}
interface Comparison<S> {
  similarity: S;
  time: number;
}
interface Supported {
  server_info: Outcome<{ name: string; version: string; uuid: string }>;
  clip_image_path: Outcome<Embeddings>;
  clip_image_batch: Outcome<Embeddings[]>;
  clip_text: Outcome<Embeddings>;
  clip_text_batch: Outcome<Embeddings>;
  clip_text_version: Outcome<Embeddings>;
  compare_image_to_texts: Outcome<Comparison<number[]>>;
  compare_text_to_image: Outcome<Comparison<number[]>>;
  compare_named: Outcome<Comparison<Record<string, number>>>;
  clip_image_async: Outcome<Embeddings>;
  clip_text_async: Outcome<Embeddings>;
  compare_async: Outcome<Comparison<number[]>>;
  run_workflow_forms: Outcome<Array<{ embedding: number[] }>>;
  infer_from_workflow: Outcome<Array<{ embedding: number[] }>>;
  session: Array<Outcome<Array<{ last_two: number[] }>>>;
  pipeline: PipelineCalls;
}

interface DriverResult {
  transports: Record<string, Supported>;
  cloud: Record<"infer" | "run_workflow_by_id" | "start_pipeline_by_id" | "yolo_world", Outcome>;
  failing_pipeline?: { pipeline_id: string; status: Outcome<Status> };
  wrong_key?: Record<"legacy" | "header", Outcome>;
  missing_key?: Outcome;
  server_info_without_key?: Outcome<{ name: string }>;
  calls: number;
}

const scratch = scratchDir("python-sdk");
const files = { model: "", image: "", video: "" };
/** What `sightline embed` gives for the test image and the two prompts. */
const expected = { image: [] as number[], cat: [] as number[], dog: [] as number[] };

beforeAll(async () => {
  files.model = await createTinyClipModel(join(scratch(), "tiny-clip"));
  const photo = syntheticPhoto(64, 48, 7);
  files.image = join(scratch(), "photo.png");
  await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
    .png()
    .toFile(files.image);
  files.video = join(scratch(), "clip.mp4");
  // Long enough (20 s at max_fps 30) never to end before the SDK has paused and terminated it.
  await makeTestVideo(files.video, { frames: 600, fps: 30, width: 64, height: 48 });
  const embedded = await runCli(["embed", "--model", files.model, "--image", files.image, "--text", CAT, "--text", DOG]);
  expect(embedded.code, embedded.stderr).toBe(0);
  [expected.image, expected.cat, expected.dog] = (embedded.lines as Array<{ embedding: number[] }>).map((line) => line.embedding);
});

/** `sightline serve` with the tiny CLIP as both ViT-B-16 (the CLIP routes' default) and ViT-B-32 (the workflows'). */
function serve(extra: readonly string[]): ServeProcess {
  return startServeCli(["--host", "127.0.0.1", "--offline", "--model", `ViT-B-16=${files.model}`, "--model", `ViT-B-32=${files.model}`, ...extra]);
}

function driveSdkAt(url: string, apiKey: string | null): Promise<DriverResult> {
  const config = {
    url,
    api_key: apiKey,
    image: files.image,
    video: files.video,
    clip_workflow: CLIP_WORKFLOW,
    pipeline_workflow: PIPELINE_WORKFLOW,
    buffer_workflow: BUFFER_WORKFLOW,
  };
  return driveSdk<DriverResult>(config, join(scratch(), `config-${apiKey === null ? "open" : "keyed"}.json`));
}

function expectClose(actual: readonly number[], wanted: readonly number[]): void {
  expect(actual).toHaveLength(wanted.length);
  actual.forEach((value, i) => expect(value).toBeCloseTo(wanted[i], 5));
}

/** An SDK error with the server's status and a message that ends in what the server said, not "More details: None". */
function expectFailure(outcome: Outcome, status: number, message: RegExp): void {
  expect(outcome).toMatchObject({ error: "HTTPCallErrorError", status });
  const text = (outcome as { message: string }).message;
  expect(text).toMatch(message);
  expect(text).not.toMatch(/More details: None/);
}

interface LogLine {
  level: number;
  msg: string;
  pipeline_id?: string;
  ended_by?: string;
}

function logLines(server: ServeProcess): LogLine[] {
  return server
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The checks every transport must pass: each supported method answers what sightline's own `embed` and engine give. */
function checkSupportedMethods(transport: () => Supported): void {
  it("get_server_info: upstream's ServerVersionInfo", () => {
    const info = ok(transport().server_info);
    expect(info).toMatchObject({ name: "sightline", version: VERSION });
    expect(info.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("get_clip_image_embeddings: the embedding `sightline embed` gives, one image or a batch", () => {
    const single = ok(transport().clip_image_path);
    expect(single.frame_id).toBeNull();
    expect(typeof single.time).toBe("number");
    expectClose(single.embeddings[0], expected.image);
    const batch = ok(transport().clip_image_batch);
    expect(batch.map((item) => item.embeddings[0].length)).toEqual([16, 16, 16]);
    expectClose(batch[0].embeddings[0], expected.image);
  });

  it("get_clip_text_embeddings: one text, a batch, and a named version", () => {
    expectClose(ok(transport().clip_text).embeddings[0], expected.cat);
    const batch = ok(transport().clip_text_batch).embeddings;
    expect(batch).toHaveLength(2);
    expectClose(batch[0], expected.cat);
    expectClose(batch[1], expected.dog);
    expectClose(ok(transport().clip_text_version).embeddings[0], expected.cat);
  });

  it("clip_compare: image to texts, text to image, named prompts — the cosine similarities of those embeddings", () => {
    const cat = cosineSimilarity(expected.image, expected.cat);
    const dog = cosineSimilarity(expected.image, expected.dog);
    expectClose(ok(transport().compare_image_to_texts).similarity, [cat, dog]);
    expectClose(ok(transport().compare_text_to_image).similarity, [cat]);
    const named = ok(transport().compare_named).similarity;
    expect(Object.keys(named)).toEqual(["cat", "dog"]);
    expectClose([named.cat, named.dog], [cat, dog]);
  });

  it("the _async forms of the CLIP methods (aiohttp) answer the same", () => {
    expectClose(ok(transport().clip_image_async).embeddings[0], expected.image);
    expectClose(ok(transport().clip_text_async).embeddings[0], expected.cat);
    expectClose(ok(transport().compare_async).similarity, ok(transport().compare_image_to_texts).similarity);
  });

  it("run_workflow with a specification and every image form; infer_from_workflow", () => {
    const [numpy, pil, path, url, base64] = ok(transport().run_workflow_forms).map((result) => result.embedding);
    // path, URL and base64 carry the file's own bytes; numpy and PIL images are encoded by the SDK, as for its CLIP calls.
    for (const embedding of [path, url, base64]) expectClose(embedding, expected.image);
    const [, sdkNumpy, sdkPil] = ok(transport().clip_image_batch).map((item) => item.embeddings[0]);
    expectClose(numpy, sdkNumpy);
    expectClose(pil, sdkPil);
    expectClose(ok(transport().infer_from_workflow)[0].embedding, expected.image);
  });

  it("run_workflow with session_id in the inputs runs on that session", () => {
    expect(transport().session.map(ok)).toEqual([[{ last_two: [1] }], [{ last_two: [2, 1] }]]);
  });

  it("inference pipelines: start, list, status with upstream's keys, consume with excluded_fields, pause, resume, terminate", () => {
    expectPipelineCalls(transport().pipeline, files.video);
  });
}

/** The methods that need Roboflow's cloud: each fails saying what to do instead. */
function checkCloudMethods(result: () => DriverResult): void {
  it("methods that need Roboflow's cloud fail with what to do instead", () => {
    const { cloud } = result();
    expectFailure(cloud.infer, 501, /does not run a Roboflow model by its id .*run_workflow\(specification=/);
    expectFailure(cloud.run_workflow_by_id, 501, /does not fetch workflow definitions from Roboflow's API .*Send the definition itself/);
    expectFailure(cloud.start_pipeline_by_id, 501, /does not fetch workflow definitions from Roboflow's API/);
    expectFailure(cloud.yolo_world, 501, /does not run YOLO-World .*\/clip\/embed_image/);
  });
}

describe("Roboflow's Python SDK against `sightline serve` without an API key", () => {
  let server: ServeProcess;
  let result: DriverResult;

  beforeAll(async () => {
    server = serve([]);
    result = await driveSdkAt(await server.address, null);
  });

  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
  });

  describe("the SDK's default key transport", () => checkSupportedMethods(() => result.transports.default));
  checkCloudMethods(() => result);

  it("logs pipelines starting, failing and ending at its default level, info; requests only at debug", () => {
    const lines = logLines(server);
    const good = result.transports.default.pipeline.pipeline_id;
    const bad = result.failing_pipeline!.pipeline_id;
    const about = (id: string) => lines.filter((line) => line.pipeline_id === id).map((line) => [line.level, line.msg, line.ended_by]);
    expect(about(good)).toEqual([
      [30, "pipeline started", undefined],
      [30, "pipeline ended", "terminate"],
    ]);
    expect(about(bad)).toEqual([
      [30, "pipeline started", undefined],
      [40, "pipeline source failed", undefined],
      [50, "pipeline failed", undefined],
    ]);
    expect(lines.filter((line) => line.msg === "request")).toEqual([]);
  });

  it("a pipeline whose source cannot be opened reports it in upstream's keys too", () => {
    const report = ok(result.failing_pipeline!.status).report;
    expect(report.sources_metadata).toEqual([expect.objectContaining({ state: "ERROR", source_properties: null })]);
    expect(report.video_source_status_updates).toContainEqual(expect.objectContaining({ event_type: "SOURCE_ERROR", severity: 40 }));
  });
});

describe("Roboflow's Python SDK against `sightline serve --api-key`", () => {
  const KEY = "sdk-test-key";
  let server: ServeProcess;
  let result: DriverResult;

  beforeAll(async () => {
    server = serve(["--api-key", KEY]);
    result = await driveSdkAt(await server.address, KEY);
  });

  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
  });

  describe("the key in the body and query (the SDK's legacy transport)", () => checkSupportedMethods(() => result.transports.legacy));
  describe("the key in the Authorization header", () => checkSupportedMethods(() => result.transports.header));
  checkCloudMethods(() => result);

  it("a wrong key and a missing key get 401 with different messages; /info needs none", () => {
    for (const transport of ["legacy", "header"] as const) expectFailure(result.wrong_key![transport], 401, /The API key presented is not this server's/);
    expectFailure(result.missing_key!, 401, /This server requires an API key/);
    expect(ok(result.server_info_without_key!)).toMatchObject({ name: "sightline" });
  });

  it("made every call it reports", () => {
    // 16 calls per transport, 9 on its pipeline plus the consume polls (how many varies); 4 cloud-only calls, 4 key checks.
    const polls = Object.values(result.transports).reduce((sum, calls) => sum + calls.pipeline.consume_calls, 0);
    expect(result.calls).toBe(2 * (16 + 9) + polls + 4 + 4);
  });
});
