/**
 * `npm run bench:video`: a 640×480 30 fps file through the video pipeline with the full-size
 * random-weight ViT-B/32, in one run:
 *
 *   (1) every frame through CLIP → identify_outliers: end-to-end frames/s against raw
 *       onnxruntime-node on ready tensors at batch 1 (one source = one frame per tick), measured
 *       in alternating rounds so machine noise hits both alike. Goal ≥ 0.85: decoding and
 *       preprocessing overlap inference.
 *   (2) with the 1 frame/s rate limiter in front of CLIP: seconds of video per second of wall
 *       time, every frame decoded and run through the engine (the rate limiter drops 29 of 30).
 *       Goal ≥ 20× real time.
 *   (1b) as (1) with `--frame-size x224`: the decoder hands over frames already at CLIP's scale
 *       (shortest edge 224), for workflows that need no full-size frames.
 *   (2c) (2) with `--frame-size x224`: every frame still runs, decoded at CLIP's scale.
 *   (2b) the same workflow with `--sample-fps 1` as well: the decoder hands over one frame per
 *       second of video and skips converting and piping the others.
 *
 * Options: --dtypes fp32,int8  --seconds 20 (video length)  --threads N
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeImage } from "../src/images/codec.js";
import { compile, Services } from "../src/index.js";
import type { Dtype } from "../src/models/index.js";
import { VideoPipeline } from "../src/video/pipeline.js";
import { makeSampleVideo } from "../src/video/testing.js";
import { ensureBenchModel, projectRoot, rawVisionRunner } from "./fixtures.js";

const { values: args } = parseArgs({
  options: {
    dtypes: { type: "string", default: "fp32,int8" },
    seconds: { type: "string", default: "20" },
    threads: { type: "string", default: String(availableParallelism()) },
  },
});
const DTYPES = args.dtypes.split(",") as Dtype[];
const VIDEO_SECONDS = Number(args.seconds);
const THREADS = Number(args.threads);
const ROOT = projectRoot(import.meta.dirname);

function workflow(sampled: boolean) {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [
      ...(sampled
        ? [
            {
              type: "roboflow_core/rate_limiter@v1",
              name: "sample",
              cooldown_seconds: 1.0,
              depends_on: "$inputs.image",
              video_reference_image: "$inputs.image",
              next_steps: ["$steps.embedding"],
            },
          ]
        : []),
      { type: "roboflow_core/clip@v1", name: "embedding", data: "$inputs.image", version: "ViT-B-32" },
      { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.embedding.embedding" },
    ],
    outputs: [{ type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" }],
  };
}

/**
 * Frames/s of the pipeline over the file (or its first `frames`), with the model already loaded:
 * `services` is shared across runs, as in a server, so model loading is not timed.
 */
async function pipelineRun(
  video: string,
  services: Services,
  sampled: boolean,
  frames?: number,
  sampleFps?: number,
  frameSize?: { width?: number; height?: number },
): Promise<{ fps: number; frames: number; seconds: number }> {
  const engine = compile(workflow(sampled), { services, isolateElementErrors: true });
  let processed = 0;
  const pipeline = new VideoPipeline({
    engine,
    videos: [video],
    sampleFps,
    frameSize,
    onTick: (tick) => {
      processed += tick.frames.length;
      if (frames !== undefined && processed >= frames) void pipeline.stop();
    },
  });
  const started = performance.now();
  const status = await pipeline.run();
  const seconds = (performance.now() - started) / 1000;
  await engine.close();
  if (status.errors > 0) throw new Error(`${status.errors} frames failed`);
  return { fps: status.frames / seconds, frames: status.frames, seconds };
}

async function main(): Promise<void> {
  const modelDir = await ensureBenchModel();
  const dir = join(ROOT, ".cache", "bench-video");
  await mkdir(dir, { recursive: true });
  const video = join(dir, `sample-${VIDEO_SECONDS}s.mp4`);
  if (!existsSync(video)) await makeSampleVideo(video, { seconds: VIDEO_SECONDS });
  // Ready tensors for the raw figure: a few frames of the same clip.
  const frames = join(dir, "frames");
  await mkdir(frames, { recursive: true });
  const { execFileSync } = await import("node:child_process");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", video, "-frames:v", "8", "-q:v", "2", join(frames, "f-%02d.jpg")]);
  const images = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => decodeImage(await readFile(join(frames, `f-${String(i + 1).padStart(2, "0")}.jpg`)), "frame")),
  );

  const lines = [
    `video pipeline — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "cpu"}, ${THREADS} ORT threads, Node ${process.version}; 640×480 30 fps, ${VIDEO_SECONDS} s`,
    "",
    "dtype   raw ORT b1 (img/s)   (1) every frame (fps)   ratio (goal ≥ 0.85)   (1b) --frame-size x224: fps, ratio   (2) rate limiter 1/s: × real time (goal ≥ 20)   (2b) + --sample-fps 1   (2c) (2) + --frame-size x224",
  ];
  for (const dtype of DTYPES) {
    const services = new Services({ models: { folders: { "ViT-B-32": modelDir }, dtype, threads: THREADS } });
    const warm = compile(workflow(false), { services });
    await warm.run({ image: images[0] }); // loads the model once for every run below
    await warm.close();
    const raw = await rawVisionRunner(modelDir, dtype, 1, THREADS, images);
    await raw.run(0);
    // Alternate: raw for a while, pipeline over part of the file, three times.
    let rawImages = 0;
    let rawSeconds = 0;
    let pipeFrames = 0;
    let pipeSeconds = 0;
    let smallFrames = 0;
    let smallSeconds = 0;
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      while (performance.now() - started < 4000) {
        await raw.run(rawImages++);
      }
      rawSeconds += (performance.now() - started) / 1000;
      const chunk = await pipelineRun(video, services, false, 90);
      pipeFrames += chunk.frames;
      pipeSeconds += chunk.seconds;
      const small = await pipelineRun(video, services, false, 90, undefined, { height: 224 });
      smallFrames += small.frames;
      smallSeconds += small.seconds;
    }
    await raw.close();
    const rawRate = rawImages / rawSeconds;
    const everyFrame = pipeFrames / pipeSeconds;
    const everySmallFrame = smallFrames / smallSeconds;
    const sampled = await pipelineRun(video, services, true);
    const decoderSampled = await pipelineRun(video, services, true, undefined, 1);
    const smallSampled = await pipelineRun(video, services, true, undefined, undefined, { height: 224 });
    await services.close();
    const realTime = VIDEO_SECONDS / sampled.seconds;
    const decoderRealTime = VIDEO_SECONDS / decoderSampled.seconds;
    const smallRealTime = VIDEO_SECONDS / smallSampled.seconds;
    lines.push(
      `${dtype.padEnd(6)}  ${rawRate.toFixed(1).padStart(18)}   ${everyFrame.toFixed(1).padStart(21)}   ${(everyFrame / rawRate).toFixed(2).padStart(19)}   ${everySmallFrame.toFixed(1).padStart(20)}, ${(everySmallFrame / rawRate).toFixed(2)}   ${realTime.toFixed(1).padStart(8)}× (${sampled.frames} frames in ${sampled.seconds.toFixed(2)} s)   ${decoderRealTime.toFixed(1).padStart(8)}× (${decoderSampled.frames} frames in ${decoderSampled.seconds.toFixed(2)} s)   ${smallRealTime.toFixed(1).padStart(8)}×`,
    );
    console.error(lines.at(-1));
  }
  console.log(lines.join("\n"));
}

await main();
