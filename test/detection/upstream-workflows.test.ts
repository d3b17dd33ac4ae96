/**
 * Upstream's integration-test workflows with a detector, crops, filters and property extraction
 * (test/fixtures/upstream-detection, see its NOTICE.md), run unchanged with their `model_id`
 * mapped to a tiny generated detector. The detector answers by the image's brightness, so the
 * three test images play upstream's crowd, dogs and empty pictures; the assertions are upstream's
 * structure with the counts this detector gives.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Detections } from "../../src/block-api/index.js";
import { compile, Services, WorkflowImage } from "../../src/index.js";
import { modelRuntime } from "../../src/models/index.js";
import { createTinyYoloModel } from "../../src/models/testing/tiny-detector.js";
import { tempDir } from "../helpers/cli.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/upstream-detection");
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Record<string, unknown>;

/**
 * 64×64 images fill the 64×64 input (no letterbox padding), so a score is its candidate's plus
 * 0.3 × the pixel value / 255: people 0.3 + 0.3m, the dog 0.15 + 0.3m against upstream's
 * confidence 0.4 — white (m = 1): two people and the dog; grey 128: the two people; black: nothing.
 */
const CANDIDATES = [
  { cx: 16, cy: 16, w: 8, h: 16, scores: [0.3, 0] },
  { cx: 40, cy: 16, w: 8, h: 16, scores: [0.3, 0] },
  { cx: 32, cy: 48, w: 16, h: 8, scores: [0, 0.15] },
];

const plain = (value: number, parentId: string) => new WorkflowImage({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(value), parentId });
const white = plain(255, "white");
const grey = plain(128, "grey");
const black = plain(0, "black");

let services: Services;

beforeAll(async () => {
  const detector = await createTinyYoloModel(join(tempDir(), "yolo"), { classNames: ["person", "dog"], candidates: CANDIDATES, brightnessGain: 0.3 });
  services = new Services({ models: { folders: { "yolov8n-640": detector }, inferenceWorkers: 1 } });
});

afterAll(async () => {
  await services.get(modelRuntime).close();
});

describe("test_workflow_with_branches_that_may_not_execute.py", () => {
  const definition = fixture("test_workflow_with_branches_that_may_not_execute__WORKFLOW_WITH_BRANCHES_THAT_MAY_NOT_EXECUTE");

  it("test_workflow_with_optional_execution_of_branches_impacting_results_in_batch_mode", async () => {
    const result = await compile(definition, { services }).run({ image: [white, grey, black], model_id: "yolov8n-640" });
    expect(result).toHaveLength(3);
    expect(result.map((r) => [(r.people as unknown[]).length, (r.dogs as unknown[]).length])).toEqual([
      [2, 1],
      [2, 0],
      [0, 0],
    ]);
    const [people, dogs] = [result[0].people as WorkflowImage[], result[0].dogs as WorkflowImage[]];
    expect(people.map((crop) => [crop.width, crop.height])).toEqual([
      [8, 16],
      [8, 16],
    ]);
    expect(dogs.map((crop) => [crop.width, crop.height])).toEqual([[16, 8]]);
    const found = result[0].predictions as Detections;
    expect(dogs[0].parentId).toBe(found.items.find((d) => d.className === "dog")!.detectionId);
  });

  it("test_workflow_with_optional_execution_of_branches_impacting_results_when_both_alternative_outputs_should_not_be_created", async () => {
    const result = await compile(definition, { services }).run({ image: black, model_id: "yolov8n-640" });
    expect(result).toHaveLength(1);
    expect([result[0].people, result[0].dogs]).toEqual([[], []]);
  });

  it("test_workflow_with_optional_execution_of_branches_impacting_results_when_only_people_related_outputs_to_be_created", async () => {
    const result = await compile(definition, { services }).run({ image: grey, model_id: "yolov8n-640" });
    expect(result).toHaveLength(1);
    expect([(result[0].people as unknown[]).length, result[0].dogs]).toEqual([2, []]);
  });
});

describe("test_workflow_with_property_extraction.py", () => {
  it("test_workflow_with_extraction_of_classes_for_detections", async () => {
    const definition = fixture("test_workflow_with_property_extraction__WORKFLOW_WITH_EXTRACTION_OF_CLASSES_FOR_DETECTIONS");
    const result = await compile(definition, { services }).run({ image: [grey, white], reference: ["person", "person"] });
    expect(result).toHaveLength(2);
    for (const element of result) expect(Object.keys(element).sort()).toEqual(["detected_classes", "number_of_detected_boxes", "verdict"]);
    expect(result[0]).toEqual({ detected_classes: ["person", "person"], number_of_detected_boxes: 2, verdict: "PASS" });
    // by confidence: the people (0.6) before the dog (0.45)
    expect(result[1]).toEqual({ detected_classes: ["person", "person", "dog"], number_of_detected_boxes: 3, verdict: "FAIL" });
  });
});
