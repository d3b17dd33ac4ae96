/**
 * Tiny object detectors written by the project's own code, in the two export layouts sightline
 * reads (docs/reference/models.md#object-detection-models), for tests on any fresh clone: genuine
 * ONNX graphs that load and run through exactly the code path of a real export.
 *
 * Their outputs are candidates the caller fixes — so a test can work the expected boxes out by
 * hand through decoding, NMS and the letterbox mapping — plus, per score, `brightnessGain` times
 * the image's mean input value, so that images differ when a test needs them to (0 by default:
 * the outputs are exactly the candidates, whatever the image).
 *
 * - Ultralytics YOLO: `images [N,3,H,W]` → `output0 [N, 4 + classes, candidates]` (centre, size,
 *   then one score per class, in input pixels), with the export's metadata (`names`, `imgsz`,
 *   `stride`, `task`, …) in the ONNX file, as `yolo export format=onnx` writes it;
 * - RF-DETR: `input [N,3,H,W]` → `dets [N, queries, 4]` (centre and size relative to the input)
 *   and `labels [N, queries, classes]` (logits), with `class_names.txt` beside it.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeModel, floatTensor, int64Tensor, TensorType, type Graph, type Node, type Tensor } from "./onnx-writer.js";

/** One candidate: box centre and size, and one value per class (a score for YOLO, a logit for RF-DETR). */
export interface TinyCandidate {
  readonly cx: number;
  readonly cy: number;
  readonly w: number;
  readonly h: number;
  readonly scores: readonly number[];
}

export interface TinyDetectorOptions {
  readonly classNames: readonly string[];
  readonly candidates: readonly TinyCandidate[];
  /** Input height and width; default 64×64. */
  readonly height?: number;
  readonly width?: number;
  /** Added to every score per unit of the image's mean input value; default 0. */
  readonly brightnessGain?: number;
  /** A fixed batch of one, as `yolo export` writes without `dynamic=True`; default a symbolic batch. */
  readonly fixedBatch?: boolean;
}

/** Writes `dir/model.onnx` in Ultralytics' layout and returns `dir`. */
export async function createTinyYoloModel(dir: string, options: TinyDetectorOptions): Promise<string> {
  const { height = 64, width = 64 } = options;
  const rows = 4 + options.classNames.length;
  const count = options.candidates.length;
  // [1, rows, count]: row r of candidate a at r * count + a, as Ultralytics lays it out.
  const values = new Float32Array(rows * count);
  const gain = new Float32Array(rows * count);
  options.candidates.forEach((candidate, a) => {
    [candidate.cx, candidate.cy, candidate.w, candidate.h, ...candidate.scores].forEach((value, r) => (values[r * count + a] = value));
    for (let r = 4; r < rows; r++) gain[r * count + a] = options.brightnessGain ?? 0;
  });
  const graph = fixedOutputsGraph("images", options, [{ name: "output0", dims: [rows, count], values, gain }]);
  const metadata = ultralyticsMetadata(options.classNames, height, width, "Tiny YOLO11n-shaped model made by sightline");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.onnx"), encodeModel(graph, 17, metadata));
  return dir;
}

/**
 * The `metadata_props` `yolo export format=onnx` writes (without `dynamic`, NMS or half precision):
 * what sightline reads class names, input size and task from.
 */
export function ultralyticsMetadata(classNames: readonly string[], height: number, width: number, description: string): Record<string, string> {
  return {
    description,
    author: "sightline",
    version: "8.3.0",
    license: "AGPL-3.0 License (https://ultralytics.com/license)",
    docs: "https://docs.ultralytics.com",
    stride: "32",
    task: "detect",
    batch: "1",
    imgsz: `[${height}, ${width}]`,
    names: `{${classNames.map((name, i) => `${i}: '${name.replace(/['\\]/g, "\\$&")}'`).join(", ")}}`,
    args: "{'batch': 1, 'half': False, 'int8': False, 'dynamic': False, 'nms': False}",
  };
}

/** Writes `dir/inference_model.onnx` and `dir/class_names.txt` in RF-DETR's layout and returns `dir`. */
export async function createTinyRfDetrModel(dir: string, options: TinyDetectorOptions): Promise<string> {
  const queries = options.candidates.length;
  const classes = options.classNames.length;
  const boxes = Float32Array.from(options.candidates.flatMap((c) => [c.cx, c.cy, c.w, c.h]));
  const logits = Float32Array.from(options.candidates.flatMap((c) => c.scores));
  const graph = fixedOutputsGraph("input", options, [
    { name: "dets", dims: [queries, 4], values: boxes, gain: new Float32Array(boxes.length) },
    { name: "labels", dims: [queries, classes], values: logits, gain: new Float32Array(logits.length).fill(options.brightnessGain ?? 0) },
  ]);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "inference_model.onnx"), encodeModel(graph, 17));
  await writeFile(join(dir, "class_names.txt"), `${options.classNames.join("\n")}\n`);
  return dir;
}

interface FixedOutput {
  name: string;
  /** Dimensions after the batch's. */
  dims: readonly number[];
  values: Float32Array;
  gain: Float32Array;
}

/**
 * `output = values + gain × mean(input)` per image: the mean pixel is reduced to `[N, 1, 1]`, so
 * the constant rows broadcast over the batch.
 */
function fixedOutputsGraph(input: string, options: TinyDetectorOptions, outputs: readonly FixedOutput[]): Graph {
  const { height = 64, width = 64 } = options;
  const batch = options.fixedBatch ? 1 : "batch";
  const nodes: Node[] = [
    { op: "ReduceMean", inputs: [input], outputs: ["mean_4d"], attributes: { axes: { kind: "ints", value: [1, 2, 3] }, keepdims: { kind: "int", value: 1 } } },
    { op: "Reshape", inputs: ["mean_4d", "mean_shape"], outputs: ["mean"] },
  ];
  const initializers: Tensor[] = [int64Tensor("mean_shape", [3], [-1, 1, 1])];
  for (const output of outputs) {
    nodes.push(
      { op: "Mul", inputs: ["mean", `${output.name}_gain`], outputs: [`${output.name}_shift`] },
      { op: "Add", inputs: [`${output.name}_shift`, `${output.name}_values`], outputs: [output.name] },
    );
    initializers.push(
      floatTensor(`${output.name}_values`, [1, ...output.dims], output.values),
      floatTensor(`${output.name}_gain`, [1, ...output.dims], output.gain),
    );
  }
  return {
    name: "tiny_detector",
    nodes,
    initializers,
    inputs: [{ name: input, type: TensorType.FLOAT, shape: [batch, 3, height, width] }],
    outputs: outputs.map((output) => ({ name: output.name, type: TensorType.FLOAT, shape: [batch, ...output.dims] })),
  };
}
