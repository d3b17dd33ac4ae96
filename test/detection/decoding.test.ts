/**
 * Detection through the blocks, on tiny generated detectors whose outputs are fixed candidates:
 * decoding, NMS (ties, class filter, class-agnostic), the letterbox and stretch mapping back and
 * upstream's JSON, against boxes worked out by hand (docs/reference/models.md#object-detection-models).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, serialiseResults, Services, WorkflowImage } from "../../src/index.js";
import { modelRuntime } from "../../src/models/index.js";
import { createTinyRfDetrModel, createTinyYoloModel } from "../../src/models/testing/tiny-detector.js";
import { tempDir } from "../helpers/cli.js";

const CLASSES = ["cat", "dog", "car"];
/**
 * In input pixels of a 64×64 model. The 128×64 test image is letterboxed to 64×32 at the input's
 * rows 16–47: back on the image, x = x_in / 0.5 and y = (y_in − 16) / 0.5.
 */
const CANDIDATES = [
  { cx: 20, cy: 30, w: 10, h: 10, scores: [0.9, 0.1, 0] }, // A: cat 0.9 → (30, 18)–(50, 38)
  { cx: 21, cy: 30, w: 10, h: 10, scores: [0.8, 0, 0] }, // B: cat 0.8, overlaps A by 110/121
  { cx: 21, cy: 30, w: 10, h: 10, scores: [0, 0.85, 0] }, // C: dog 0.85, B's box → (32, 18)–(52, 38)
  { cx: 45, cy: 40, w: 8, h: 8, scores: [0.7, 0, 0] }, // D: cat 0.7 → (82, 40)–(98, 56)
  { cx: 46, cy: 40, w: 8, h: 8, scores: [0.7, 0, 0] }, // E: cat 0.7, ties D, overlaps it by 72/81 → (84, 40)–(100, 56)
  { cx: 50, cy: 20, w: 6, h: 4, scores: [0, 0, 0.35] }, // F: car 0.35, under the default confidence
  { cx: 62, cy: 50, w: 8, h: 8, scores: [0, 0, 0.6] }, // G: car 0.6 → (116, 60)–(132, 76), clipped to (128, 64)
];
const A = { x: 40, y: 28, width: 20, height: 20, class: "cat", class_id: 0, confidence: 0.9 };
const B = { x: 42, y: 28, width: 20, height: 20, class: "cat", class_id: 0, confidence: 0.8 };
const C = { x: 42, y: 28, width: 20, height: 20, class: "dog", class_id: 1, confidence: 0.85 };
const D = { x: 90, y: 48, width: 16, height: 16, class: "cat", class_id: 0, confidence: 0.7 };
const E = { x: 92, y: 48, width: 16, height: 16, class: "cat", class_id: 0, confidence: 0.7 };
const F = { x: 100, y: 8, width: 12, height: 8, class: "car", class_id: 2, confidence: 0.35 };
const G = { x: 122, y: 62, width: 12, height: 4, class: "car", class_id: 2, confidence: 0.6 };

let yolo: string;
let rfDetr: string;
let services: Services;

const image = new WorkflowImage({ width: 128, height: 64, data: new Uint8Array(128 * 64 * 3), parentId: "image" });

function workflow(type: string, properties: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [{ type, name: "detect", images: "$inputs.image", model_id: "my-project/3", ...properties }],
    outputs: [{ type: "JsonField", name: "out", selector: "$steps.detect.*" }],
  };
}

interface Serialised {
  out: { inference_id: string; model_id?: string; predictions: { image: unknown; predictions: Record<string, unknown>[] } };
}

async function detect(
  properties: Record<string, unknown> = {},
  type = "roboflow_core/roboflow_object_detection_model@v2",
  on = services,
): Promise<Serialised["out"]> {
  const results = await compile(workflow(type, properties), { services: on }).run({ image });
  return ((await serialiseResults(results)) as unknown as Serialised[])[0].out;
}

/** The boxes without the random ids, confidences to float32's precision. */
function boxes(out: Serialised["out"]): Record<string, unknown>[] {
  return out.predictions.predictions.map(({ detection_id, parent_id, confidence, ...rest }) => {
    expect(detection_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parent_id).toBe("image");
    return { ...rest, confidence: Math.round((confidence as number) * 1e6) / 1e6 };
  });
}

beforeAll(async () => {
  yolo = await createTinyYoloModel(join(tempDir(), "yolo"), { classNames: CLASSES, candidates: CANDIDATES });
  rfDetr = await createTinyRfDetrModel(join(tempDir(), "rf-detr"), {
    classNames: ["cat", "dog"],
    candidates: [
      { cx: 0.5, cy: 0.5, w: 0.25, h: 0.5, scores: [2, -5] }, // cat, sigmoid(2) = 0.880797
      { cx: 0.25, cy: 0.25, w: 0.5, h: 0.5, scores: [-5, 0] }, // dog 0.5
      { cx: 0.75, cy: 0.75, w: 0.1, h: 0.1, scores: [-1, -3] }, // cat 0.268941: under 0.4
    ],
  });
  services = new Services({ models: { folders: { "my-project/3": yolo, "rf-detr/1": rfDetr }, inferenceWorkers: 1 } });
});

afterAll(async () => {
  await services.get(modelRuntime).close();
});

describe("a YOLO export (letterboxed, upstream's NMS)", () => {
  it("keeps the best of overlapping boxes per class; of a tie, the later candidate; maps boxes back and serialises as upstream", async () => {
    const out = await detect();
    expect(boxes(out)).toEqual([A, C, E, G]);
    expect(out.predictions.image).toEqual({ width: 128, height: 64 });
    expect(out.model_id).toBe("my-project/3");
    expect(out.inference_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(out.predictions.predictions[0])).toEqual(["width", "height", "x", "y", "confidence", "class_id", "class", "detection_id", "parent_id"]);
  });

  it("class-agnostic NMS lets a box suppress other classes", async () => {
    expect(boxes(await detect({ class_agnostic_nms: true }))).toEqual([A, E, G]);
  });

  it("a high IoU threshold keeps overlapping boxes; equal confidences stay in pick order", async () => {
    expect(boxes(await detect({ iou_threshold: 0.95 }))).toEqual([A, C, B, E, D, G]);
  });

  it("confidence, class filter and max_detections, the filter applied after the cut as upstream", async () => {
    expect(boxes(await detect({ confidence: 0.3 }))).toEqual([A, C, E, G, F]);
    expect(boxes(await detect({ class_filter: ["dog", "car"] }))).toEqual([C, G]);
    expect(boxes(await detect({ max_detections: 2 }))).toEqual([A, C]);
    expect(boxes(await detect({ max_detections: 2, class_filter: ["car"] }))).toEqual([]);
  });

  it("no detections: upstream's empty image size", async () => {
    const out = await detect({ confidence: 0.95 });
    expect(out.predictions).toEqual({ image: { width: null, height: null }, predictions: [] });
  });

  it("v1 and v3 run the same model: v1 without model_id, v3 by confidence_mode", async () => {
    const v1 = await detect({}, "roboflow_core/roboflow_object_detection_model@v1");
    expect(Object.keys(v1).sort()).toEqual(["inference_id", "predictions"]);
    expect(boxes(v1)).toEqual([A, C, E, G]);
    expect(boxes(await detect({}, "RoboflowObjectDetectionModel"))).toEqual([A, C, E, G]);
    expect(boxes(await detect({}, "roboflow_core/roboflow_object_detection_model@v3"))).toEqual([A, C, E, G]);
    expect(boxes(await detect({ confidence_mode: "custom", custom_confidence: 0.3 }, "roboflow_core/roboflow_object_detection_model@v3"))).toEqual([
      A,
      C,
      E,
      G,
      F,
    ]);
  });
});

describe("an RF-DETR export (stretched, top-k without NMS)", () => {
  it("takes the sigmoid scores above confidence, boxes relative to the input stretched back unrounded", async () => {
    const out = await detect({ model_id: "rf-detr/1" });
    expect(boxes(out)).toEqual([
      { x: 64, y: 32, width: 32, height: 32, class: "cat", class_id: 0, confidence: 0.880797 },
      { x: 32, y: 16, width: 64, height: 32, class: "dog", class_id: 1, confidence: 0.5 },
    ]);
  });
});

describe("a model id not mapped", () => {
  it("fails the step saying how to map it", async () => {
    await expect(detect({ model_id: "other-project/1" })).rejects.toThrow(/not mapped to a local model folder.*--model other-project\/1=<folder>/);
  });
});
