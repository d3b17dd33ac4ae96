/**
 * One object detector: a local folder holding one ONNX export (`layouts.ts`), its class names,
 * and its session in the runtime's worker threads. Images are fitted to the input on this thread
 * (`geometry.ts`) and go through a batch queue like every model's (`batch-queue.ts`); the raw
 * outputs come back per image, and `detections` turns them into boxes on the image with the
 * call's parameters — so images started ahead (`ModelRuntime.warmDetections`) serve any call.
 */
import { randomUUID } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { Detections, type Detection } from "../../block-api/detections.js";
import type { ImageOrigin } from "../../images/index.js";
import { BatchQueue } from "../batch-queue.js";
import { ModelError } from "../errors.js";
import { fromFloat16Bits, float32ToFloat16 } from "../onnx/float16.js";
import type { OnnxSession, SessionHost, TensorData } from "../onnx/session-host.js";
import type { RgbPixels } from "../preprocessing/resample.js";
import { boxToImage, fitImage, type InputGeometry } from "./geometry.js";
import { layoutOf, type DetectionParameters, type ExportLayout, type ImageOutputs } from "./layouts.js";
import { readOnnxMetadata } from "./onnx-metadata.js";

/** Class names beside a graph that keeps none in its metadata: one per line, line n is class n. */
export const CLASS_NAMES_FILE = "class_names.txt";

/** What one image's inference gave: every output's rows and their shapes (batch of one). */
export interface RawDetections {
  readonly outputs: ImageOutputs;
  readonly dims: Readonly<Record<string, readonly number[]>>;
}

interface Loaded {
  layout: ExportLayout;
  session: OnnxSession;
  input: InputGeometry;
  classNames: readonly string[];
  /** Images per inference: 1 for graphs exported with a fixed batch of one. */
  maxBatchSize: number;
}

export interface DetectorInit {
  /** The folder (or the .onnx file) the model id is mapped to. */
  path: string;
  /** How messages name it, e.g. `object detection model my-project/3 (folder /models/yolo)`. */
  label: string;
  host: SessionHost;
  maxBatchSize: number;
  stats: { visionRuns: number; visionImages: number };
}

export class DetectionModel {
  /** Identity for caches and warmed images. */
  readonly id: string;
  readonly label: string;
  private loaded: Promise<Loaded> | null = null;
  private queue: BatchQueue<Float32Array, RawDetections> | null = null;

  constructor(private readonly init: DetectorInit) {
    this.id = `detector:${init.path}`;
    this.label = init.label;
  }

  /** The raw outputs for each image, in order; the images go to inference together. */
  async infer(images: readonly RgbPixels[]): Promise<RawDetections[]> {
    if (images.length === 0) return [];
    const loaded = await this.load();
    const queue = (this.queue ??= new BatchQueue((items) => this.run(items), loaded.maxBatchSize, this.init.host.concurrency));
    const inputs: Float32Array[] = [];
    for (const [i, image] of images.entries()) {
      inputs.push(toTensor(fitImage(checked(image, i), loaded.input), loaded.layout));
      // Resizing is CPU work on this thread; let timers and I/O in between images.
      if (i < images.length - 1) await nextMacrotask();
    }
    return queue.push(inputs);
  }

  /** One image's detections under the call's parameters, on the image's pixels. */
  async detections(
    raw: RawDetections,
    image: { width: number; height: number; parentId: string; rootParentId: string; parentOrigin: ImageOrigin | null; rootParentOrigin: ImageOrigin | null },
    parameters: DetectionParameters,
    inferenceId: string,
  ): Promise<Detections> {
    const { layout, input, classNames } = await this.load();
    const mismatch = layout.mismatch(raw.dims, classNames.length);
    if (mismatch !== null) throw new ModelError(`${this.label}: not a ${layout.label} detection export sightline reads: ${mismatch}`);
    const found = layout
      .decode(raw.outputs, raw.dims, input, parameters)
      .filter((scored) => scored.classId < classNames.length)
      .map((scored): Detection => ({
        box: boxToImage(scored.box, image, input, layout.roundBoxes),
        confidence: scored.confidence,
        classId: scored.classId,
        className: classNames[scored.classId],
        detectionId: randomUUID(),
        parentId: image.parentId,
        rootParentId: image.rootParentId,
        parentOrigin: image.parentOrigin,
        rootParentOrigin: image.rootParentOrigin,
        inferenceId,
      }));
    return new Detections({ width: image.width, height: image.height }, found);
  }

  /** The class names, in class order (loads the model). */
  async classNames(): Promise<readonly string[]> {
    return (await this.load()).classNames;
  }

  private load(): Promise<Loaded> {
    this.loaded ??= this.loadModel().catch((error: unknown) => {
      // A folder fixed later is picked up by the next call.
      this.loaded = null;
      throw error;
    });
    return this.loaded;
  }

  private async loadModel(): Promise<Loaded> {
    const graph = await this.graphFile();
    const session = await this.init.host.session(graph);
    const layout = layoutOf(
      session.inputs.map((input) => input.name),
      session.outputs,
      `${this.label}: ${graph}`,
    );
    const metadata = await readOnnxMetadata(graph).catch((error: unknown) => {
      throw new ModelError(`${this.label}: cannot read ${graph}: ${(error as Error).message}`);
    });
    if (metadata.task !== undefined && metadata.task !== "detect") {
      throw new ModelError(`${this.label}: ${graph} is a "${metadata.task}" model; the object detection blocks run "detect" models`);
    }
    const shape = session.input(layout.input)?.shape ?? [];
    const size = inputSize(shape, metadata.imgsz, `${this.label}: ${graph}`);
    const classNames =
      metadata.names !== undefined ? parsePythonNames(metadata.names, `${this.label}: ${graph} metadata "names"`) : await this.namesFile(graph);
    return {
      layout,
      session,
      input: { ...size, mode: layout.resize, padValue: layout.padValue },
      classNames,
      maxBatchSize: shape[0] === 1 ? 1 : this.init.maxBatchSize,
    };
  }

  /** The .onnx file: the mapped path itself, or the one .onnx file of the mapped folder. */
  private async graphFile(): Promise<string> {
    const { path } = this.init;
    const info = await stat(path).catch(() => null);
    if (info === null) throw new ModelError(`${this.label}: ${path} does not exist`);
    if (info.isFile()) return path;
    const graphs = (await readdir(path)).filter((name) => name.endsWith(".onnx")).sort();
    if (graphs.length === 1) return join(path, graphs[0]);
    throw new ModelError(
      graphs.length === 0
        ? `${this.label}: ${path} holds no .onnx file; put the detector's ONNX export there (docs/reference/models.md#object-detection-models)`
        : `${this.label}: ${path} holds ${graphs.join(", ")}; a detector folder holds one .onnx file — map the file itself instead`,
    );
  }

  private async namesFile(graph: string): Promise<string[]> {
    const file = join(dirname(graph), CLASS_NAMES_FILE);
    const text = await readFile(file, "utf8").catch(() => {
      throw new ModelError(
        `${this.label}: ${basename(graph)} has no class names in its metadata and there is no ${CLASS_NAMES_FILE} beside it (one class name per line)`,
      );
    });
    return text.split(/\r?\n/).filter((line, i, lines) => line.length > 0 || i < lines.length - 1);
  }

  private async run(items: Float32Array[]): Promise<RawDetections[]> {
    const { layout, session, input } = await this.load();
    const size = items[0].length;
    const pixels = new Float32Array(items.length * size);
    items.forEach((item, i) => pixels.set(item, i * size));
    const dims = [items.length, 3, input.height, input.width];
    const float16 = session.input(layout.input)?.type === "float16";
    const feed: TensorData = float16 ? { type: "float16", data: float32ToFloat16(pixels), dims } : { type: "float32", data: pixels, dims };
    const outputs = await session.run({ [layout.input]: feed }, layout.outputs);
    this.init.stats.visionRuns++;
    this.init.stats.visionImages += items.length;
    return items.map((_, i) => perImage(outputs, i, items.length));
  }
}

/** The `i`th of `n` images' rows of every output, as float32. */
function perImage(outputs: Record<string, TensorData>, i: number, n: number): RawDetections {
  const rows: Record<string, Float32Array> = {};
  const dims: Record<string, number[]> = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    const values = tensor.type === "float16" ? Float32Array.from(tensor.data as Uint16Array, fromFloat16Bits) : (tensor.data as Float32Array);
    const width = values.length / n;
    rows[name] = values.slice(i * width, (i + 1) * width);
    dims[name] = [1, ...tensor.dims.slice(1)];
  }
  return { outputs: rows, dims };
}

function checked(image: RgbPixels, index: number): RgbPixels {
  if (image.width <= 0 || image.height <= 0 || image.data.length !== image.width * image.height * 3) {
    throw new ModelError(`image ${index}: expected an RGB image, got ${image.width}x${image.height} with ${image.data.length} bytes`);
  }
  return image;
}

/** Interleaved RGB bytes → channels-first floats, normalised as the layout says. */
function toTensor(rgb: Uint8Array, layout: ExportLayout): Float32Array {
  const plane = rgb.length / 3;
  const out = new Float32Array(rgb.length);
  const lookup = Array.from({ length: 3 }, (_, c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - layout.mean[c]) / layout.std[c]));
  for (let p = 0, o = 0; o < plane; o++) {
    out[o] = lookup[0][rgb[p++]];
    out[o + plane] = lookup[1][rgb[p++]];
    out[o + 2 * plane] = lookup[2][rgb[p++]];
  }
  return out;
}

/** Height and width from the graph's input shape, else from Ultralytics' `imgsz` metadata (`[640, 640]`). */
function inputSize(shape: readonly (number | string)[], imgsz: string | undefined, where: string): { width: number; height: number } {
  const [, , height, width] = shape;
  if (typeof height === "number" && typeof width === "number") return { width, height };
  const fromMetadata = imgsz?.match(/^\[\s*(\d+)\s*,\s*(\d+)\s*\]$/);
  if (fromMetadata) return { height: Number(fromMetadata[1]), width: Number(fromMetadata[2]) };
  throw new ModelError(`${where}: its input size is not fixed (${JSON.stringify(shape)}) and its metadata has no "imgsz"; export it with a fixed image size`);
}

/** Ultralytics' `names` metadata, a Python dict literal: `{0: 'person', 1: "driver's seat"}` → names in class order. */
export function parsePythonNames(text: string, where: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g)) {
    names[Number(match[1])] = (match[2] ?? match[3]).replace(/\\(.)/g, "$1");
  }
  if (names.length === 0 || Object.keys(names).length !== names.length)
    throw new ModelError(`${where}: expected {0: 'name', 1: 'name', …}, got ${text.slice(0, 80)}`);
  return names;
}
