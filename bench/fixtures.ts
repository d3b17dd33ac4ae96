/** What the benchmarks share: the project root, and the full-size random-weight CLIP they run. */
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import ort from "onnxruntime-node";
import type { WorkflowImage } from "../src/images/index.js";
import { ImageProcessor, parseImageProcessorConfig, type Dtype } from "../src/models/index.js";
import { onnxFile } from "../src/models/layout.js";
import { PREPROCESSOR_CONFIG_FILE } from "../src/models/layout.js";
import { buildBenchModel } from "./bench-model.js";
import { buildYoloBenchModel } from "./yolo-model.js";

/** The project root (the folder with package.json), whether run from bench/ or compiled into .build/. */
export function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

const ROOT = projectRoot(import.meta.dirname);

/**
 * The full-size CLIP ViT-B/32 with random weights (fp32 and int8 image towers), built once from
 * bench/fixtures/clip-vit-b32 into .cache/bench-clip (~700 MB, ~10 s).
 */
export async function ensureBenchModel(): Promise<string> {
  const modelDir = join(ROOT, ".cache", "bench-clip");
  if (existsSync(join(modelDir, "onnx", "vision_model_int8.onnx_data"))) return modelDir;
  const building = `${modelDir}.building-${process.pid}`;
  console.error(`building the full-size random-weight ViT-B/32 in ${modelDir} (~700 MB, once)…`);
  await buildBenchModel(join(ROOT, "bench", "fixtures", "clip-vit-b32"), building);
  await rm(modelDir, { recursive: true, force: true });
  await rename(building, modelDir);
  return modelDir;
}

/**
 * The full-size YOLOv8n-shaped detector with random weights (bench/yolo-model.ts), written once
 * into .cache/bench-yolo (13 MB, ~1 s). Returns its folder and the graph's GFLOPs.
 */
export async function ensureBenchDetector(): Promise<{ dir: string; gflops: number }> {
  const dir = join(ROOT, ".cache", "bench-yolo");
  const { bytes, flops } = buildYoloBenchModel(); // deterministic, and quick: the bytes decide whether the cache is current
  const file = join(dir, "model.onnx");
  if (!existsSync(file) || !(await readFile(file)).equals(bytes)) {
    await mkdir(dir, { recursive: true });
    await writeFile(`${file}.${process.pid}`, bytes);
    await rename(`${file}.${process.pid}`, file);
  }
  return { dir, gflops: flops / 1e9 };
}

/** Throughput summed over alternating rounds, so that machine noise hits every measure alike. */
export class Rate {
  private items = 0;
  private seconds = 0;
  add(items: number, seconds: number): void {
    this.items += items;
    this.seconds += seconds;
  }
  get value(): number {
    return this.items / this.seconds;
  }
}

/** The bench model's image processor, from its config alone (no ONNX session to load). */
export async function benchImageProcessor(modelDir: string): Promise<ImageProcessor> {
  const file = join(modelDir, PREPROCESSOR_CONFIG_FILE);
  return new ImageProcessor(parseImageProcessorConfig(JSON.parse(await readFile(file, "utf8")), file));
}

/**
 * The ceiling every end-to-end figure is compared with: onnxruntime-node alone on ready tensors
 * (images already preprocessed, untimed), `batch` images per call.
 *
 * With `workers` = 1, one session in this thread with `threads` intra-op threads — what a plain
 * onnxruntime-node program does. With more, that many sessions in worker threads with
 * `threads / workers` intra-op threads each, every batch split evenly between them — the same
 * arrangement as sightline's inference workers, still with nothing but ONNX Runtime in the loop.
 */
export async function rawVisionRunner(
  modelDir: string,
  dtype: Dtype,
  batch: number,
  threads: number,
  images: readonly WorkflowImage[],
  workers = 1,
): Promise<{ run: (index: number) => Promise<unknown>; close: () => Promise<void> }> {
  const processor = await benchImageProcessor(modelDir);
  const size = processor.pixelsPerImage;
  const dims = (n: number) => [n, 3, processor.height, processor.width];
  const all = new Float32Array(images.length * size);
  images.forEach((image, i) => processor.preprocess(image, all, i * size));
  /** The `index`-th group of `n` preprocessed images, wrapping round the set. */
  const group = (index: number, n: number) => {
    const data = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const from = ((index * n + i) % images.length) * size;
      data.set(all.subarray(from, from + size), i * size);
    }
    return data;
  };
  const file = join(modelDir, onnxFile("vision_model", dtype));
  const sessionOptions = {
    intraOpNumThreads: Math.max(1, Math.floor(threads / workers)),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all" as const,
    executionProviders: ["cpu"],
  };
  if (workers === 1) {
    const session = await ort.InferenceSession.create(file, sessionOptions);
    const tensors = Array.from({ length: images.length }, (_, index) => new ort.Tensor("float32", group(index, batch), dims(batch)));
    return {
      run: (index) => session.run({ pixel_values: tensors[index % tensors.length] }),
      close: () => session.release(),
    };
  }
  // Each worker keeps its share of every batch as ready tensors and runs it when told.
  const shares = Array.from({ length: workers }, (_, w) => Math.floor(batch / workers) + (w < batch % workers ? 1 : 0)).filter((n) => n > 0);
  const pool = shares.map(
    (share) =>
      new Worker(RAW_WORKER, {
        eval: true,
        workerData: {
          onnxRuntimePath: createRequire(import.meta.url).resolve("onnxruntime-node"),
          file,
          sessionOptions,
          dims: dims(share),
          tensors: Array.from({ length: images.length }, (_, index) => group(index, share)),
        },
      }),
  );
  await Promise.all(pool.map((worker) => once(worker, "message")));
  return {
    run: (index) =>
      Promise.all(
        pool.map((worker) => {
          worker.postMessage(index);
          return once(worker, "message");
        }),
      ),
    close: async () => {
      await Promise.all(pool.map((worker) => worker.terminate()));
    },
  };
}

const RAW_WORKER = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.onnxRuntimePath);
ort.InferenceSession.create(workerData.file, workerData.sessionOptions).then((session) => {
  const tensors = workerData.tensors.map((data) => new ort.Tensor("float32", data, workerData.dims));
  parentPort.on("message", (index) => session.run({ pixel_values: tensors[index % tensors.length] }).then(() => parentPort.postMessage(index)));
  parentPort.postMessage("ready");
});
`;
