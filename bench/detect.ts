/**
 * `npm run bench:detect`: a 640×480 30 fps file through the video pipeline into a full-size
 * YOLOv8n-shaped detector with random weights (bench/yolo-model.ts: 640×640 input,
 * `output0 [N, 84, 8400]`, cached in .cache/bench-yolo), in one run:
 *
 *   raw onnxruntime-node on ready tensors (letterboxed frames, untimed), one session with every
 *   thread, at batch 1 and batch 8 — the ceiling;
 *   (1) every frame through `roboflow_object_detection_model@v2` (decode, letterbox, inference,
 *       decoding and NMS, boxes mapped back): with one frame read ahead (one source = one frame
 *       per tick, so the detector runs at batch 1) and with the default read-ahead (the frames
 *       waiting while an inference runs go to the next one together);
 *   (1c) one frame read ahead under the latency workload (one inference worker with every
 *       thread, the library's default) instead of `run --video`'s throughput workload (several
 *       workers sharing the threads out);
 *   (2) (1) with boxes and labels drawn on every frame (bounding_box + label visualisations).
 *
 * Raw and pipeline runs alternate in rounds so machine noise hits all alike. Goal (issue 18):
 * end to end ÷ raw at the same batch ≥ 0.85.
 *
 * Options: --seconds 20 (video length)  --frames 90 (frames per pipeline run)  --rounds 3  --threads N
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { isDetections } from "../src/block-api/index.js";
import { compile, Services } from "../src/index.js";
import { mulberry32 } from "../src/maths/random.js";
import { resolveModelOptions } from "../src/models/options.js";
import { VideoPipeline } from "../src/video/pipeline.js";
import { makeSampleVideo } from "../src/video/testing.js";
import { ensureBenchDetector, projectRoot, Rate } from "./fixtures.js";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    frames: { type: "string", default: "90" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: String(availableParallelism()) },
  },
});
const VIDEO_SECONDS = Number(args.seconds);
const FRAMES = Number(args.frames);
const ROUNDS = Number(args.rounds);
const THREADS = Number(args.threads);
const ROOT = projectRoot(import.meta.dirname);
const MODEL_ID = "yolov8n-640";
const SIDE = 640;

function workflow(draw: boolean) {
  const predictions = "$steps.detect.predictions";
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [
      { type: "roboflow_core/roboflow_object_detection_model@v2", name: "detect", images: "$inputs.image", model_id: MODEL_ID },
      ...(draw
        ? [
            { type: "roboflow_core/bounding_box_visualization@v1", name: "boxes", image: "$inputs.image", predictions },
            { type: "roboflow_core/label_visualization@v1", name: "labels", image: "$steps.boxes.image", predictions },
          ]
        : []),
    ],
    outputs: [
      { type: "JsonField", name: "predictions", selector: predictions },
      ...(draw ? [{ type: "JsonField", name: "annotated", selector: "$steps.labels.image" }] : []),
    ],
  };
}

interface Run {
  frames: number;
  seconds: number;
  detections: number;
}

/** Frames of the file (its first FRAMES) through the pipeline, the model already loaded in `services`. */
async function pipelineRun(video: string, services: Services, draw: boolean, readAheadFrames?: number): Promise<Run> {
  const engine = compile(workflow(draw), { services, isolateElementErrors: true });
  let processed = 0;
  let detections = 0;
  const pipeline = new VideoPipeline({
    engine,
    videos: [video],
    readAheadFrames,
    onTick: (tick, results) => {
      processed += tick.frames.length;
      for (const result of results) if (isDetections(result.outputs.predictions)) detections += result.outputs.predictions.length;
      if (processed >= FRAMES) void pipeline.stop();
    },
  });
  const started = performance.now();
  const status = await pipeline.run();
  const seconds = (performance.now() - started) / 1000;
  await engine.close();
  if (status.errors > 0) throw new Error(`${status.errors} frames failed`);
  return { frames: status.frames, seconds, detections };
}

/** onnxruntime-node alone: one session with every thread, `batch` ready tensors per call. */
async function rawDetector(file: string, batch: number): Promise<{ run: () => Promise<unknown>; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionProviders: ["cpu"],
  });
  const random = mulberry32(1);
  const input = new ort.Tensor("float32", Float32Array.from({ length: batch * 3 * SIDE * SIDE }, random), [batch, 3, SIDE, SIDE]);
  return { run: () => session.run({ images: input }), close: () => session.release() };
}

async function rawRound(raw: { run: () => Promise<unknown> }, batch: number, rate: Rate, ms: number): Promise<void> {
  const started = performance.now();
  let runs = 0;
  while (performance.now() - started < ms) {
    await raw.run();
    runs++;
  }
  rate.add(runs * batch, (performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const { dir: modelDir, gflops } = await ensureBenchDetector();
  const videoDir = join(ROOT, ".cache", "bench-video");
  await mkdir(videoDir, { recursive: true });
  const video = join(videoDir, `sample-${VIDEO_SECONDS}s.mp4`);
  if (!existsSync(video)) await makeSampleVideo(video, { seconds: VIDEO_SECONDS });

  // as `sightline run --video` configures it for files: the throughput workload
  const services = new Services({ models: { folders: { [MODEL_ID]: modelDir }, threads: THREADS, workload: "throughput" } });
  const latencyServices = new Services({ models: { folders: { [MODEL_ID]: modelDir }, threads: THREADS, workload: "latency" } });
  const workers = resolveModelOptions({ threads: THREADS, workload: "throughput" }, {}).inferenceWorkers;
  // loads the models once for every run below
  await pipelineRun(video, services, false, 1);
  await pipelineRun(video, latencyServices, false, 1);
  const raw1 = await rawDetector(join(modelDir, "model.onnx"), 1);
  const raw8 = await rawDetector(join(modelDir, "model.onnx"), 8);
  await raw1.run();
  await raw8.run();
  const rates = { raw1: new Rate(), raw8: new Rate(), oneAhead: new Rate(), batched: new Rate(), latency: new Rate(), drawn: new Rate() };
  let detections = 0;
  let frames = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await rawRound(raw1, 1, rates.raw1, 4000);
    await rawRound(raw8, 8, rates.raw8, 4000);
    for (const [rate, on, draw, readAhead] of [
      [rates.oneAhead, services, false, 1],
      [rates.batched, services, false, undefined],
      [rates.latency, latencyServices, false, 1],
      [rates.drawn, services, true, undefined],
    ] as const) {
      const run = await pipelineRun(video, on, draw, readAhead);
      rate.add(run.frames, run.seconds);
      detections += run.detections;
      frames += run.frames;
    }
    console.error(`round ${round + 1} of ${ROUNDS} done`);
  }
  await raw1.close();
  await raw8.close();
  await services.close();
  await latencyServices.close();
  const [r1, r8, oneAhead, batched, latency, drawn] = [rates.raw1, rates.raw8, rates.oneAhead, rates.batched, rates.latency, rates.drawn].map(
    (rate) => rate.value,
  );
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    [
      `object detection on video — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "cpu"}, ${THREADS} threads, ${workers} inference workers (as \`run --video\` on files), Node ${process.version}, onnxruntime-node ${ort.env.versions.common}`,
      `model: YOLOv8n-shaped, random weights, 640×640, output0 [N, 84, 8400], ${gflops.toFixed(2)} GFLOPs per image (YOLOv8n: 8.7); video: 640×480 30 fps, ${FRAMES} frames per run, ${ROUNDS} alternating rounds; ${(detections / frames).toFixed(1)} detections per frame`,
      "",
      `raw onnxruntime-node on ready tensors: ${r1.toFixed(1)} img/s at batch 1, ${r8.toFixed(1)} at batch 8`,
      `(1) every frame through the detector (goal ≥ 0.85 of raw at the same batch):`,
      `    one frame read ahead (batch 1)             ${oneAhead.toFixed(1).padStart(6)} fps   ${ratio(oneAhead, r1)} of raw b1`,
      `    default read-ahead (frames batched)        ${batched.toFixed(1).padStart(6)} fps   ${ratio(batched, r1)} of raw b1, ${ratio(batched, r8)} of raw b8`,
      `    (1c) one frame read ahead, latency workload ${latency.toFixed(1).padStart(6)} fps   ${ratio(latency, r1)} of raw b1`,
      `(2) as (1), default read-ahead, boxes and labels drawn on every frame`,
      `                                               ${drawn.toFixed(1).padStart(6)} fps   ${ratio(drawn, r1)} of raw b1, ${ratio(drawn, batched)} of (1)`,
    ].join("\n"),
  );
}

await main();
