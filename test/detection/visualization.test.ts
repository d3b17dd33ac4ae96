/**
 * Boxes and labels drawn (docs/reference/blocks.md#bounding-box-visualization, #label-visualization): a tiny generated
 * YOLO detector finds two fixed boxes on a grey 128×128 image (its input size, so boxes need no
 * mapping), and the visualisation steps draw them; the test reads the output's pixels where the
 * edges and labels must be, and where nothing may change.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, Services, WorkflowImage } from "../../src/index.js";
import { modelRuntime } from "../../src/models/index.js";
import { createTinyYoloModel } from "../../src/models/testing/tiny-detector.js";
import { labelLayout } from "../../src/blocks/visualizations/label.js";
import { tempDir } from "../helpers/cli.js";

const GREY = [128, 128, 128];
/** supervision's DEFAULT palette, classes 0 and 1. */
const PURPLE = [0xa3, 0x51, 0xfb];
const RED = [0xff, 0x40, 0x40];

let services: Services;
const image = new WorkflowImage({ width: 128, height: 128, data: new Uint8Array(128 * 128 * 3).fill(128), parentId: "image" });

beforeAll(async () => {
  const model = await createTinyYoloModel(join(tempDir(), "yolo"), {
    classNames: ["cat", "dog"],
    height: 128,
    width: 128,
    candidates: [
      { cx: 40, cy: 70, w: 40, h: 40, scores: [0.9, 0] }, // cat (20, 50)–(60, 90)
      { cx: 95, cy: 95, w: 30, h: 30, scores: [0, 0.8] }, // dog (80, 80)–(110, 110)
    ],
  });
  services = new Services({ models: { folders: { "pets/1": model, "yolov8n-640": model }, inferenceWorkers: 1 } });
});

afterAll(async () => {
  await services.get(modelRuntime).close();
});

async function draw(type: string, properties: Record<string, unknown> = {}, confidence = 0.4): Promise<WorkflowImage> {
  const definition = {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [
      { type: "roboflow_core/roboflow_object_detection_model@v2", name: "detect", images: "$inputs.image", model_id: "pets/1", confidence },
      { type, name: "draw", images: "$inputs.image", predictions: "$steps.detect.predictions", ...properties },
    ],
    outputs: [{ type: "JsonField", name: "image", selector: "$steps.draw.image" }],
  };
  const [result] = await compile(definition, { services }).run({ image });
  return result.image as WorkflowImage;
}

const pixel = (drawn: WorkflowImage, x: number, y: number): number[] => [...drawn.data.subarray((y * drawn.width + x) * 3, (y * drawn.width + x) * 3 + 3)];

function expectColour(actual: number[], expected: readonly number[]): void {
  actual.forEach((value, channel) => expect(Math.abs(value - expected[channel]), `${String(actual)} ≈ ${String(expected)}`).toBeLessThanOrEqual(2));
}

describe("roboflow_core/bounding_box_visualization@v1", () => {
  it("outlines each box in its class's DEFAULT colour, thickness pixels wide, and changes nothing else", async () => {
    const drawn = await draw("roboflow_core/bounding_box_visualization@v1", { thickness: 4 });
    expectColour(pixel(drawn, 40, 50), PURPLE); // cat's top edge
    expectColour(pixel(drawn, 40, 49), PURPLE);
    expectColour(pixel(drawn, 20, 70), PURPLE); // its left edge
    expectColour(pixel(drawn, 80, 95), RED); // dog's left edge
    expectColour(pixel(drawn, 40, 46), GREY); // beyond the stroke
    expectColour(pixel(drawn, 40, 70), GREY); // inside
    expectColour(pixel(drawn, 5, 5), GREY);
    expect(drawn).not.toBe(image);
    expect(drawn.parentId).toBe("image");
    expect(image.data.every((value) => value === 128)).toBe(true);
  });

  it("CUSTOM colours by index; rounded corners leave the corner itself untouched", async () => {
    const drawn = await draw("roboflow_core/bounding_box_visualization@v1", {
      color_palette: "CUSTOM",
      custom_colors: ["#00FF00", "rgb(0, 0, 255)"],
      color_axis: "INDEX",
      roundness: 1,
    });
    expectColour(pixel(drawn, 40, 50), [0, 255, 0]);
    expectColour(pixel(drawn, 95, 80), [0, 0, 255]);
    expectColour(pixel(drawn, 20, 50), GREY);
  });

  it("refuses colouring by tracker id: detections carry none", async () => {
    await expect(draw("roboflow_core/bounding_box_visualization@v1", { color_axis: "TRACK" })).rejects.toThrow(/tracker ids/);
  });
});

describe("roboflow_core/label_visualization@v1", () => {
  it("a label on the box's colour above its top-left corner, with white text in it", async () => {
    const drawn = await draw("roboflow_core/label_visualization@v1", { text: "Class and Confidence", text_scale: 0.5, text_padding: 4 });
    // "cat 0.90": 8 characters × 18 × 0.5 = 72 wide, 11 tall, 4 of padding → (20, 31)–(100, 50)
    const layout = labelLayout({ x1: 20, y1: 50, x2: 60, y2: 90 }, "cat 0.90", "TOP_LEFT", 0.5, 4);
    expect(layout.background).toEqual({ x1: 20, y1: 31, x2: 100, y2: 50 });
    expectColour(pixel(drawn, 21, 32), PURPLE);
    expectColour(pixel(drawn, 99, 49), PURPLE);
    expectColour(pixel(drawn, 101, 40), GREY);
    expectColour(pixel(drawn, 40, 70), GREY);
    const textArea = Array.from({ length: 11 * 72 }, (_, i) => pixel(drawn, 24 + (i % 72), 35 + Math.floor(i / 72)));
    expect(textArea.filter(([r, g, b]) => r > 220 && g > 220 && b > 220).length).toBeGreaterThan(20);
  });

  it("places labels at the other anchors as supervision does", () => {
    const box = { x1: 20, y1: 50, x2: 60, y2: 90 };
    const at = (position: Parameters<typeof labelLayout>[2]) => labelLayout(box, "ab", position, 1, 10).background;
    // 2 × 18 + 20 = 56 wide, 22 + 20 = 42 tall
    expect(at("BOTTOM_RIGHT")).toEqual({ x1: 4, y1: 90, x2: 60, y2: 132 });
    expect(at("CENTER")).toEqual({ x1: 12, y1: 49, x2: 68, y2: 91 });
    expect(at("CENTER_LEFT")).toEqual({ x1: -36, y1: 49, x2: 20, y2: 91 });
    expect(at("TOP_CENTER")).toEqual({ x1: 12, y1: 8, x2: 68, y2: 50 });
  });

  it("no detections: the image as it came", async () => {
    const drawn = await draw("roboflow_core/label_visualization@v1", {}, 0.95);
    expect(drawn).toBe(image);
  });
});

describe("upstream's test_workflow_with_rate_limiter (detector → rate limiter → bounding boxes)", () => {
  it("draws the first image of each request and throttles the second, as upstream asserts", async () => {
    const fixture = resolve(import.meta.dirname, "../fixtures/roboflow-examples/test_workflow_with_rate_limiter__WORKFLOW_WITH_RATE_LIMITER.json");
    const engine = compile(JSON.parse(readFileSync(fixture, "utf8")) as Record<string, unknown>, { services });
    const other = image.withPixels(128, 128, new Uint8Array(128 * 128 * 3).fill(60));
    const first = await engine.run({ image: [image, other] });
    await sleep(1100); // past the step's 1 s cooldown (upstream sleeps 1.5 s)
    const second = await engine.run({ image: [image, other] });
    for (const result of [first, second]) {
      expect(result).toHaveLength(2);
      expect(Object.keys(result[0])).toEqual(["visualization"]);
      expect(result[0].visualization).toBeInstanceOf(WorkflowImage);
      expect(result[1].visualization).toBeNull();
    }
    expectColour(pixel(first[0].visualization as WorkflowImage, 40, 50), PURPLE);
  });
});
