/**
 * Detections through the engine: `dynamic_crop` makes a batch one level deeper, whose elements
 * later steps run on (crop → CLIP → detect_outliers per object, a detector on the crops), with
 * the crops' pixels, ids and origins worked out by hand; `detections_filter`
 * (docs/architecture.md#dimensionality, docs/reference/blocks.md#dynamic-crop).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Detections } from "../../src/block-api/index.js";
import { describeBlock } from "../../src/block-api/describe.js";
import { StepInputDimensionalityError } from "../../src/errors/index.js";
import { compile, serialiseResults, Services, WorkflowImage } from "../../src/index.js";
import { createTinyClipModel, modelRuntime } from "../../src/models/index.js";
import { createTinyYoloModel } from "../../src/models/testing/tiny-detector.js";
import { dynamicCropBlock } from "../../src/blocks/transformations/dynamic-crop.js";
import { tempDir } from "../helpers/cli.js";
import { errorOf } from "../helpers/errors.js";

/**
 * In input pixels of the 64×64 model; the 128×64 image is letterboxed to rows 16–47, so on the
 * image x = x_in / 0.5 and y = (y_in − 16) / 0.5 (test/detection/decoding.test.ts works the same).
 */
const CANDIDATES = [
  { cx: 20, cy: 30, w: 10, h: 10, scores: [0.9, 0] }, // cat 0.9 → (30, 18)–(50, 38)
  { cx: 45, cy: 40, w: 8, h: 8, scores: [0, 0.7] }, // dog 0.7 → (82, 40)–(98, 56)
  { cx: 10.25, cy: 20.25, w: 5, h: 5, scores: [0.5, 0] }, // cat 0.5 → (15.5, 3.5)–(25.5, 13.5), which YOLO rounds to (16, 4)–(26, 14)
];

/** Every pixel says where it is: R = x, G = y, B = image number. */
function gradient(width: number, height: number, parentId: string, blue: number): WorkflowImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, blue], (y * width + x) * 3);
  }
  return new WorkflowImage({ width, height, data, parentId });
}

const first = gradient(128, 64, "first", 1);
const second = gradient(128, 64, "second", 2);

let services: Services;

interface CropResult {
  crops: WorkflowImage;
  predictions: Detections;
}

beforeAll(async () => {
  const detector = await createTinyYoloModel(join(tempDir(), "yolo"), { classNames: ["cat", "dog"], candidates: CANDIDATES });
  const clip = await createTinyClipModel(join(tempDir(), "clip"));
  services = new Services({ models: { folders: { "pets/1": detector, "ViT-B-32": clip }, inferenceWorkers: 1 } });
});

afterAll(async () => {
  await services.get(modelRuntime).close();
});

const detect = { type: "roboflow_core/roboflow_object_detection_model@v2", name: "detect", images: "$inputs.image", model_id: "pets/1", confidence: 0.4 };
const crop = { type: "roboflow_core/dynamic_crop@v1", name: "crop", images: "$inputs.image", predictions: "$steps.detect.predictions" };

function workflow(steps: Record<string, unknown>[], outputs: Record<string, string>): Record<string, unknown> {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [detect, ...steps],
    outputs: Object.entries(outputs).map(([name, selector]) => ({ type: "JsonField", name, selector })),
  };
}

function pixel(image: WorkflowImage, x: number, y: number): number[] {
  const at = (y * image.width + x) * 3;
  return [...image.data.subarray(at, at + 3)];
}

describe("dynamic_crop", () => {
  it("cuts each box out, names the crop by its detection, and moves the detection into it", async () => {
    const plan = compile(workflow([crop], { crops: "$steps.crop.crops", moved: "$steps.crop.predictions", found: "$steps.detect.predictions" }), { services });
    const [result] = await plan.run({ image: first });
    const found = result.found as Detections;
    const crops = result.crops as WorkflowImage[];
    expect(crops.map((image) => [image.width, image.height])).toEqual([
      [20, 20],
      [16, 16],
      [10, 10],
    ]);
    // the top-left pixel of each crop is the image's pixel at the crop's corner
    expect(crops.map((image) => pixel(image, 0, 0))).toEqual([
      [30, 18, 1],
      [82, 40, 1],
      [16, 4, 1],
    ]);
    expect(pixel(crops[0], 19, 19)).toEqual([49, 37, 1]);
    expect(crops.map((image) => image.parentId)).toEqual(found.items.map((d) => d.detectionId));
    expect(crops.every((image) => image.rootParentId === "first")).toBe(true);
    expect(crops[2].parentOrigin).toEqual({ offset_x: 16, offset_y: 4, width: 128, height: 64 });
    expect(crops[2].rootParentOrigin).toEqual({ offset_x: 16, offset_y: 4, width: 128, height: 64 });

    const moved = result.moved as Detections[];
    expect(moved.map((d) => d.items.map(({ box }) => box))).toEqual([
      [{ x1: 0, y1: 0, x2: 20, y2: 20 }],
      [{ x1: 0, y1: 0, x2: 16, y2: 16 }],
      [{ x1: 0, y1: 0, x2: 10, y2: 10 }],
    ]);
    expect(moved[0].items[0].detectionId).toBe(found.items[0].detectionId);
    // upstream keeps the detection's data: its parent is still the input image
    expect(moved[0].items[0].parentId).toBe("first");
  });

  it("a batch of images: each image's crops are its own list, and a later step runs once per crop", async () => {
    const plan = compile(
      workflow(
        [
          crop,
          {
            type: "roboflow_core/property_definition@v1",
            name: "width",
            data: "$steps.crop.crops",
            operations: [{ type: "ExtractImageProperty", property_name: "width" }],
          },
        ],
        { widths: "$steps.width.output", crops: "$steps.crop.crops" },
      ),
      { services },
    );
    const results = await plan.run({ image: [first, second] });
    expect(results.map((r) => r.widths)).toEqual([
      [20, 16, 10],
      [20, 16, 10],
    ]);
    expect((results[1].crops as WorkflowImage[]).map((image) => pixel(image, 0, 0)[2])).toEqual([2, 2, 2]);
    expect((results[1].crops as WorkflowImage[]).every((image) => image.rootParentId === "second")).toBe(true);
  });

  it("no detections: empty lists, and the steps behind the crops do not run", async () => {
    const definition = workflow([crop, { type: "roboflow_core/clip@v1", name: "embed", data: "$steps.crop.crops", version: "ViT-B-32" }], {
      crops: "$steps.crop.crops",
      embeddings: "$steps.embed.embedding",
    });
    definition.steps = [{ ...detect, confidence: 0.95 }, ...(definition.steps as unknown[]).slice(1)];
    const results = await compile(definition, { services }).run({ image: [first, second] });
    expect(results).toEqual([
      { crops: [], embeddings: [] },
      { crops: [], embeddings: [] },
    ]);
  });

  it("crop → CLIP → detect_outliers runs per object; a detector on the crops chains parent ids and origins", async () => {
    const plan = compile(
      workflow(
        [
          crop,
          { type: "roboflow_core/clip@v1", name: "embed", data: "$steps.crop.crops", version: "ViT-B-32" },
          { type: "sightline/detect_outliers@v1", name: "outliers", embedding: "$steps.embed.embedding" },
          { ...detect, name: "detect_again", images: "$steps.crop.crops" },
        ],
        {
          embeddings: "$steps.embed.embedding",
          outlier: "$steps.outliers.is_outlier",
          again: "$steps.detect_again.predictions",
          found: "$steps.detect.predictions",
        },
      ),
      { services },
    );
    const [result] = await plan.run({ image: first });
    const embeddings = result.embeddings as number[][];
    expect(embeddings).toHaveLength(3);
    expect(new Set(embeddings.map((e) => e.length)).size).toBe(1);
    // the crops differ, so their embeddings do
    expect(embeddings[0]).not.toEqual(embeddings[1]);
    expect(result.outlier).toEqual([false, false, false]);

    const found = result.found as Detections;
    const again = result.again as Detections[];
    expect(again).toHaveLength(3);
    const [onFirstCrop] = again;
    expect(onFirstCrop.length).toBeGreaterThan(0);
    for (const detection of onFirstCrop.items) {
      expect(detection.parentId).toBe(found.items[0].detectionId);
      expect(detection.rootParentId).toBe("first");
    }
    const [serialised] = (await serialiseResults([{ again: again[0] }])) as unknown as { again: { predictions: Record<string, unknown>[] } }[];
    expect(serialised.again.predictions[0]).toMatchObject({
      parent_id: found.items[0].detectionId,
      parent_origin: { offset_x: 30, offset_y: 18, width: 128, height: 64 },
      root_parent_id: "first",
      root_parent_origin: { offset_x: 30, offset_y: 18, width: 128, height: 64 },
    });
    expect(Object.keys(serialised.again.predictions[0]).slice(-4)).toEqual(["parent_id", "parent_origin", "root_parent_id", "root_parent_origin"]);
  });

  it("rounds a fractional box half to even, and moves the detection by the whole pixels cut off", () => {
    const image = gradient(128, 64, "first", 1);
    const detection = { confidence: 0.5, classId: 0, className: "cat", detectionId: "d", parentId: "first", rootParentId: "first", inferenceId: null };
    // 15.5 → 16, 3.5 → 4, 25.5 → 26, 12.5 → 12 (half to even, as NumPy's round)
    const predictions = new Detections({ width: 128, height: 64 }, [{ ...detection, box: { x1: 15.5, y1: 3.5, x2: 25.5, y2: 12.5 } }]);
    const [one] = dynamicCropBlock.run!({ images: image, predictions, mask_opacity: 0, background_color: [0, 0, 0] }, {} as never) as CropResult[];
    expect([one.crops.width, one.crops.height, ...pixel(one.crops, 0, 0)]).toEqual([10, 8, 16, 4, 1]);
    expect(one.predictions.items[0].box).toEqual({ x1: -0.5, y1: -0.5, x2: 9.5, y2: 8.5 });
  });

  it("one level of nesting: a crop of crops is refused at compile time", () => {
    const definition = workflow([crop, { ...crop, name: "crop_again", images: "$steps.crop.crops", predictions: "$steps.crop.predictions" }], {
      crops: "$steps.crop_again.crops",
    });
    const error = errorOf(() => compile(definition, { services }));
    expect(error).toBeInstanceOf(StepInputDimensionalityError);
    expect(error.message).toContain("one level of nesting");
    // the block catalogue says so, as upstream's describe does
    expect(describeBlock(dynamicCropBlock).output_dimensionality_offset).toBe(1);
  });
});

describe("detections_filter", () => {
  it("keeps the detections a condition holds for, with named parameters", async () => {
    const filter = {
      type: "roboflow_core/detections_filter@v1",
      name: "filter",
      predictions: "$steps.detect.predictions",
      operations: [
        {
          type: "DetectionsFilter",
          filter_operation: {
            type: "StatementGroup",
            operator: "and",
            statements: [
              {
                type: "BinaryStatement",
                left_operand: { type: "DynamicOperand", operations: [{ type: "ExtractDetectionProperty", property_name: "class_name" }] },
                comparator: { type: "in (Sequence)" },
                right_operand: { type: "DynamicOperand", operand_name: "classes" },
              },
              {
                type: "BinaryStatement",
                left_operand: { type: "DynamicOperand", operations: [{ type: "ExtractDetectionProperty", property_name: "size" }] },
                comparator: { type: "(Number) >=" },
                right_operand: { type: "StaticOperand", value: 200 },
              },
            ],
          },
        },
      ],
      operations_parameters: { classes: "$inputs.classes" },
    };
    const definition = workflow([filter], { kept: "$steps.filter.predictions" });
    (definition.inputs as unknown[]).push({ type: "WorkflowParameter", name: "classes", default_value: ["cat"] });
    const plan = compile(definition, { services });
    // cats of at least 200 px²: the 20×20 one (400), not the 10×10 one (100)
    const [cats] = await plan.run({ image: first });
    expect((cats.kept as Detections).items.map((d) => [d.className, d.box.x1])).toEqual([["cat", 30]]);
    const [both] = await plan.run({ image: first, classes: ["cat", "dog"] });
    expect((both.kept as Detections).items.map((d) => d.className)).toEqual(["cat", "dog"]);
  });
});
