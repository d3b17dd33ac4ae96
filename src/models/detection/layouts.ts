/**
 * The ONNX export layouts of object detectors sightline reads (docs/reference/models.md#object-detection-models).
 * A layout says which tensors a graph of its kind has, how an image is fed (resize mode,
 * normalisation), where its class names are, and how its outputs become boxes for one image:
 *
 * - **Ultralytics YOLO** (v8, v11: `yolo export format=onnx`): input `images` `[N, 3, H, W]`,
 *   RGB / 255, letterboxed on grey 114; output `output0` `[N, 4 + classes, anchors]` — centre,
 *   size and one score per class for each anchor; class names, image size and task in the ONNX
 *   metadata. Boxes go through upstream's NMS (`nms.ts`) and are rounded to whole pixels.
 * - **RF-DETR** (`model.export()`): input `input` `[N, 3, H, W]`, RGB / 255 normalised with
 *   ImageNet's mean and std, stretched; outputs `dets` `[N, queries, 4]` (centre and size,
 *   relative to the image) and `labels` `[N, queries, classes]` (logits). As upstream: the
 *   `max_detections` best (query, class) sigmoid scores above `confidence`, no NMS, boxes not
 *   rounded. Class names from `class_names.txt` beside the graph.
 */
import type { Box } from "../../block-api/detections.js";
import { ModelError } from "../errors.js";
import type { InputGeometry, ResizeMode } from "./geometry.js";
import { nonMaxSuppression, type Candidate, type Scored } from "./nms.js";

/** What the block asks of a model call (upstream's request parameters). */
export interface DetectionParameters {
  readonly confidence: number;
  readonly iouThreshold: number;
  readonly classAgnostic: boolean;
  readonly maxDetections: number;
  readonly maxCandidates: number;
}

/** One image's rows of every output tensor (the batch dimension taken off). */
export type ImageOutputs = Readonly<Record<string, Float32Array>>;

export interface ExportLayout {
  readonly id: string;
  /** How messages name it, e.g. "Ultralytics YOLO". */
  readonly label: string;
  readonly input: string;
  readonly outputs: readonly string[];
  readonly resize: ResizeMode;
  readonly padValue: number;
  /** Per channel (RGB): the input value of byte `v` is `(v / 255 - mean) / std`. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Whether boxes are rounded to whole pixels after mapping back (upstream's YOLO path does, its RF-DETR path does not). */
  readonly roundBoxes: boolean;
  /** Why outputs of these shapes cannot be read with these class names, or null when they can. */
  mismatch(dims: Readonly<Record<string, readonly number[]>>, classCount: number): string | null;
  /** Boxes in input pixels, best first, for one image. */
  decode(outputs: ImageOutputs, dims: Readonly<Record<string, readonly number[]>>, input: InputGeometry, parameters: DetectionParameters): Scored[];
}

const NO_NORMALISATION = { mean: [0, 0, 0], std: [1, 1, 1] } as const;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

export const ULTRALYTICS_YOLO: ExportLayout = {
  id: "ultralytics",
  label: "Ultralytics YOLO",
  input: "images",
  outputs: ["output0"],
  resize: "letterbox",
  padValue: 114,
  ...NO_NORMALISATION,
  roundBoxes: true,
  mismatch(dims, classCount) {
    const [, rows, anchors] = dims.output0;
    if (dims.output0.length === 3 && rows === 4 + classCount) return null;
    return `output0 is [${dims.output0.join(", ")}] but ${classCount} classes need [1, ${4 + classCount}, anchors]${rows === anchors ? "" : " (an export with NMS built in, nms=True, is not read: export without it)"}`;
  },
  decode(outputs, dims, _input, parameters) {
    const [, rows, anchors] = dims.output0;
    const data = outputs.output0;
    const candidates: Candidate[] = [];
    for (let a = 0; a < anchors; a++) {
      const cx = data[a];
      const cy = data[anchors + a];
      const w = data[2 * anchors + a];
      const h = data[3 * anchors + a];
      const scores = new Float32Array(rows - 4);
      for (let c = 0; c < rows - 4; c++) scores[c] = data[(4 + c) * anchors + a];
      candidates.push({ box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }, scores });
    }
    return nonMaxSuppression(candidates, parameters);
  },
};

export const RF_DETR: ExportLayout = {
  id: "rf-detr",
  label: "RF-DETR",
  input: "input",
  outputs: ["dets", "labels"],
  resize: "stretch",
  padValue: 0,
  ...IMAGENET,
  roundBoxes: false,
  mismatch(dims) {
    const [, queries, classes] = dims.labels;
    const fits = dims.dets.length === 3 && dims.dets[1] === queries && dims.dets[2] === 4 && classes > 0;
    return fits ? null : `dets is [${dims.dets.join(", ")}] and labels [${dims.labels.join(", ")}]; expected [1, queries, 4] and [1, queries, classes]`;
  },
  decode(outputs, dims, input, parameters) {
    const [, queries, classes] = dims.labels;
    const logits = outputs.labels;
    const boxes = outputs.dets;
    // upstream: the max_detections best sigmoid scores over every (query, class), highest first, then those above confidence
    const order = Array.from({ length: queries * classes }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
    const best = order.slice(0, parameters.maxDetections).filter((i) => sigmoid(logits[i]) > parameters.confidence);
    return best.map((i) => {
      const query = Math.floor(i / classes);
      return { box: relativeBox(boxes, query, input), confidence: sigmoid(logits[i]), classId: i % classes };
    });
  },
};

/** The layouts a detector folder may have, tried in order. */
export const EXPORT_LAYOUTS: readonly ExportLayout[] = [ULTRALYTICS_YOLO, RF_DETR];

/** The layout whose tensors the graph has. */
export function layoutOf(inputs: readonly string[], outputs: readonly string[], where: string): ExportLayout {
  const layout = EXPORT_LAYOUTS.find((candidate) => inputs.includes(candidate.input) && candidate.outputs.every((name) => outputs.includes(name)));
  if (layout) return layout;
  const known = EXPORT_LAYOUTS.map((candidate) => `${candidate.label} (${candidate.input} → ${candidate.outputs.join(", ")})`).join(" or ");
  throw new ModelError(`${where} takes ${inputs.join(", ")} and gives ${outputs.join(", ")}: not an object detection export sightline reads, ${known}`);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A query's `cx, cy, w, h` relative to the input → corners in input pixels. */
function relativeBox(boxes: Float32Array, query: number, input: InputGeometry): Box {
  const [cx, cy, w, h] = boxes.subarray(query * 4, query * 4 + 4);
  return { x1: (cx - w / 2) * input.width, y1: (cy - h / 2) * input.height, x2: (cx + w / 2) * input.width, y2: (cy + h / 2) * input.height };
}
