/**
 * `npm run bench:video`: a 640×480 30 fps file through the video pipeline with the full-size
 * random-weight ViT-B/32, in one run:
 *
 *   (1) every frame through CLIP → identify_outliers: end-to-end frames/s against raw
 *       onnxruntime-node on ready tensors at batch 1 and 8, measured in alternating rounds so
 *       machine noise hits all alike; with one frame read ahead (one source = one frame per
 *       tick, so CLIP runs at batch 1) and with the default read-ahead (64 frames: the frames
 *       waiting while an inference runs go to the next one together). Goal ≥ 0.85: decoding and preprocessing
 *       overlap inference.
 *   (2) with the 1 frame/s rate limiter in front of CLIP: seconds of video per second of wall
 *       time, every frame decoded and run through the engine (the rate limiter drops 29 of 30).
 *       Goal ≥ 20× real time. As `run --video` does by default, the decoder pipes only the frames
 *       CLIP reads (the engine forecasts the rate limiter from frame numbers); the others go
 *       through the workflow without pixels.
 *   (2a) (2) with `--decode-every-frame`: every frame's pixels piped, as before 2026-11-27.
 *   (1b) as (1) with `--frame-size x224`: the decoder hands over frames already at CLIP's scale
 *       (shortest edge 224), for workflows that need no full-size frames.
 *   (2c) (2) with `--frame-size x224`: every frame still runs, decoded at CLIP's scale.
 *   (2b) the same workflow with `--sample-fps 1` as well: the decoder hands over one frame per
 *       second of video and skips converting and piping the others.
 *
 *   (2) and (2b) are also run on a longer file (--long-seconds, default 60), where the fixed
 *       start-up (ffprobe, ffmpeg, the first frames) weighs less.
 *
 * Options: --dtypes fp32,int8  --seconds 20 (video length)  --long-seconds 60 (0: skip)  --threads N
 *          --rounds 3 (alternating rounds of the (2) variants)
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeImage } from "../src/images/codec.js";
import { compile, Services } from "../src/index.js";
import { type Dtype } from "../src/models/index.js";
import { resolveModelOptions } from "../src/models/options.js";
import { VideoPipeline } from "../src/video/pipeline.js";
import { makeSampleVideo } from "../src/video/testing.js";
import { ensureBenchModel, projectRoot, Rate, rawVisionRunner } from "./fixtures.js";

const { values: args } = parseArgs({
  options: {
    dtypes: { type: "string", default: "fp32,int8" },
    seconds: { type: "string", default: "20" },
    "long-seconds": { type: "string", default: "60" },
    threads: { type: "string", default: String(availableParallelism()) },
    rounds: { type: "string", default: "3" },
  },
});
const DTYPES = args.dtypes.split(",") as Dtype[];
const VIDEO_SECONDS = Number(args.seconds);
const LONG_SECONDS = Number(args["long-seconds"]);
const THREADS = Number(args.threads);
/** Rounds of each (2) variant, alternating. */
const REAL_TIME_ROUNDS = Number(args.rounds);
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

interface PipelineRunOptions {
  /** The rate limiter in front of CLIP. */
  sampled: boolean;
  /** Stop after this many frames (default: the whole file). */
  frames?: number;
  sampleFps?: number;
  frameSize?: { width?: number; height?: number };
  readAheadFrames?: number;
  decodeEveryFrame?: boolean;
}

/**
 * Frames/s of the pipeline over the file (or its first `frames`), with the model already loaded:
 * `services` is shared across runs, as in a server, so model loading is not timed.
 */
async function pipelineRun(video: string, services: Services, options: PipelineRunOptions): Promise<{ fps: number; frames: number; seconds: number }> {
  const engine = compile(workflow(options.sampled), { services, isolateElementErrors: true });
  let processed = 0;
  const pipeline = new VideoPipeline({
    engine,
    videos: [video],
    sampleFps: options.sampleFps,
    frameSize: options.frameSize,
    readAheadFrames: options.readAheadFrames,
    decodeEveryFrame: options.decodeEveryFrame,
    onTick: (tick) => {
      processed += tick.frames.length;
      if (options.frames !== undefined && processed >= options.frames) void pipeline.stop();
    },
  });
  const started = performance.now();
  const status = await pipeline.run();
  const seconds = (performance.now() - started) / 1000;
  await engine.close();
  if (status.errors > 0) throw new Error(`${status.errors} frames failed`);
  return { fps: status.frames / seconds, frames: status.frames, seconds };
}

async function rawRound(raw: { run: (index: number) => Promise<unknown> }, batch: number, rate: Rate, ms: number): Promise<void> {
  const started = performance.now();
  let runs = 0;
  while (performance.now() - started < ms) await raw.run(runs++);
  rate.add(runs * batch, (performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const modelDir = await ensureBenchModel();
  const dir = join(ROOT, ".cache", "bench-video");
  await mkdir(dir, { recursive: true });
  const video = join(dir, `sample-${VIDEO_SECONDS}s.mp4`);
  if (!existsSync(video)) await makeSampleVideo(video, { seconds: VIDEO_SECONDS });
  const longVideo = join(dir, `sample-${LONG_SECONDS}s.mp4`);
  if (LONG_SECONDS > 0 && !existsSync(longVideo)) await makeSampleVideo(longVideo, { seconds: LONG_SECONDS });
  // Ready tensors for the raw figure: a few frames of the same clip.
  const frames = join(dir, "frames");
  await mkdir(frames, { recursive: true });
  const { execFileSync } = await import("node:child_process");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", video, "-frames:v", "8", "-q:v", "2", join(frames, "f-%02d.jpg")]);
  const images = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => decodeImage(await readFile(join(frames, `f-${String(i + 1).padStart(2, "0")}.jpg`)), "frame")),
  );

  const lines = [
    `video pipeline — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "cpu"}, ${THREADS} threads, ${resolveModelOptions({ threads: THREADS, workload: "throughput" }, {}).inferenceWorkers} inference workers (as \`run --video\` on files), Node ${process.version}; 640×480 30 fps, ${VIDEO_SECONDS} s`,
  ];
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}`;
  for (const dtype of DTYPES) {
    // as `sightline run --video` configures it for files: the throughput workload
    const services = new Services({ models: { folders: { "ViT-B-32": modelDir }, dtype, threads: THREADS, workload: "throughput" } });
    const warm = compile(workflow(false), { services });
    await warm.run({ image: images[0] }); // loads the model once for every run below
    await warm.close();
    const raw1 = await rawVisionRunner(modelDir, dtype, 1, THREADS, images);
    const raw8 = await rawVisionRunner(modelDir, dtype, 8, THREADS, images);
    await raw1.run(0);
    await raw8.run(0);
    const rates = { raw1: new Rate(), raw8: new Rate(), oneAhead: new Rate(), batched: new Rate(), small: new Rate() };
    const chunk = 120;
    for (let round = 0; round < 3; round++) {
      await rawRound(raw1, 1, rates.raw1, 3000);
      await rawRound(raw8, 8, rates.raw8, 3000);
      const oneAhead = await pipelineRun(video, services, { sampled: false, frames: chunk, readAheadFrames: 1 });
      rates.oneAhead.add(oneAhead.frames, oneAhead.seconds);
      const batched = await pipelineRun(video, services, { sampled: false, frames: chunk });
      rates.batched.add(batched.frames, batched.seconds);
      const small = await pipelineRun(video, services, { sampled: false, frames: chunk, frameSize: { height: 224 } });
      rates.small.add(small.frames, small.seconds);
    }
    await raw1.close();
    await raw8.close();
    // (2) and its variants: alternating rounds, seconds summed, so that machine noise hits them alike
    const variants: Array<[string, PipelineRunOptions, string, number]> = [
      ["(2)", { sampled: true }, video, VIDEO_SECONDS],
      ["(2a) + --decode-every-frame", { sampled: true, decodeEveryFrame: true }, video, VIDEO_SECONDS],
      ["(2b) + --sample-fps 1", { sampled: true, sampleFps: 1 }, video, VIDEO_SECONDS],
      ["(2c) + --frame-size x224", { sampled: true, frameSize: { height: 224 } }, video, VIDEO_SECONDS],
      ...(LONG_SECONDS > 0
        ? ([
            [`(2) on a ${LONG_SECONDS} s file`, { sampled: true }, longVideo, LONG_SECONDS],
            [`(2a) on a ${LONG_SECONDS} s file`, { sampled: true, decodeEveryFrame: true }, longVideo, LONG_SECONDS],
            [`(2b) on a ${LONG_SECONDS} s file`, { sampled: true, sampleFps: 1 }, longVideo, LONG_SECONDS],
          ] as Array<[string, PipelineRunOptions, string, number]>)
        : []),
    ];
    const totals = variants.map(() => ({ frames: 0, seconds: 0, runs: 0 }));
    for (let round = 0; round < REAL_TIME_ROUNDS; round++) {
      for (const [i, [, options, file]] of variants.entries()) {
        const run = await pipelineRun(file, services, options);
        totals[i].frames += run.frames;
        totals[i].seconds += run.seconds;
        totals[i].runs++;
      }
    }
    const realTime = variants.map(([name, , , seconds], i) => {
      const { frames, seconds: wall, runs } = totals[i];
      return `      ${name.padEnd(34)} ${((seconds * runs) / wall).toFixed(1).padStart(5)}× real time (${frames / runs} frames in ${(wall / runs).toFixed(2)} s)`;
    });
    await services.close();
    const { raw1: r1, raw8: r8, oneAhead, batched, small } = Object.fromEntries(Object.entries(rates).map(([key, rate]) => [key, rate.value]));
    lines.push(
      "",
      `${dtype}: raw onnxruntime-node on ready tensors: ${r1.toFixed(1)} img/s at batch 1, ${r8.toFixed(1)} at batch 8`,
      `  (1) every frame through CLIP → identify_outliers (goal ≥ 0.85 of raw):`,
      `      one frame read ahead (CLIP at batch 1)        ${oneAhead.toFixed(1).padStart(6)} fps   ${ratio(oneAhead, r1)} of raw b1`,
      `      64 frames read ahead (CLIP batches them)      ${batched.toFixed(1).padStart(6)} fps   ${ratio(batched, r1)} of raw b1, ${ratio(batched, r8)} of raw b8`,
      `      (1b) as above with --frame-size x224          ${small.toFixed(1).padStart(6)} fps   ${ratio(small, r1)} of raw b1, ${ratio(small, r8)} of raw b8`,
      `  (2) 1 frame/s rate limiter in front of CLIP (goal ≥ 20× real time), mean of ${REAL_TIME_ROUNDS} alternating rounds:`,
      ...realTime,
    );
    console.error(lines.slice(-6 - realTime.length).join("\n"));
  }
  console.log(lines.join("\n"));
}

await main();
