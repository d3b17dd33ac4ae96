/** What the benchmarks share: the project root, and the full-size random-weight CLIP they run. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import ort from "onnxruntime-node";
import type { WorkflowImage } from "../src/images/index.js";
import { ClipRuntime, onnxFile, type Dtype } from "../src/models/index.js";

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
 * The full-size CLIP ViT-B/32 with random weights (fp32 and int8 image towers), built once by
 * ../shared/tools/make-bench-clip.sh into .cache/bench-clip (~700 MB, ~10 s).
 */
export async function ensureBenchModel(): Promise<string> {
  const modelDir = join(ROOT, ".cache", "bench-clip");
  if (existsSync(join(modelDir, "onnx", "vision_model_int8.onnx_data"))) return modelDir;
  const tool = resolve(ROOT, "../shared/tools/make-bench-clip.sh");
  if (!existsSync(tool)) {
    console.error(`this benchmark needs ${tool} (the shared development material) to build the benchmark model.`);
    process.exit(1);
  }
  const building = `${modelDir}.building-${process.pid}`;
  console.error(`building the full-size random-weight ViT-B/32 in ${modelDir} (~700 MB, once)…`);
  execFileSync(tool, [building], { stdio: ["ignore", "ignore", "inherit"] });
  await rm(modelDir, { recursive: true, force: true });
  await rename(building, modelDir);
  return modelDir;
}

/**
 * The ceiling every end-to-end figure is compared with: onnxruntime-node alone on ready tensors
 * (images already preprocessed, untimed), `batch` images per call.
 */
export async function rawVisionRunner(
  modelDir: string,
  dtype: Dtype,
  batch: number,
  threads: number,
  images: readonly WorkflowImage[],
): Promise<{ run: (index: number) => Promise<unknown>; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(join(modelDir, onnxFile("vision", dtype)), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionProviders: ["cpu"],
  });
  const runtime = new ClipRuntime({ folders: { "ViT-B-32": modelDir }, threads: 1 });
  const { processor } = await runtime.model().vision();
  await runtime.close();
  const size = processor.pixelsPerImage;
  const all = new Float32Array(images.length * size);
  images.forEach((image, i) => processor.preprocess(image, all, i * size));
  const tensors = Array.from({ length: images.length }, (_, index) => {
    const data = new Float32Array(batch * size);
    for (let i = 0; i < batch; i++) {
      const from = ((index * batch + i) % images.length) * size;
      data.set(all.subarray(from, from + size), i * size);
    }
    return new ort.Tensor("float32", data, [batch, 3, processor.height, processor.width]);
  });
  return {
    run: (index) => session.run({ pixel_values: tensors[index % tensors.length] }),
    close: () => session.release(),
  };
}
