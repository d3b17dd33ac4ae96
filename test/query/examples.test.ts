/**
 * The query-language parts of upstream's own test workflows (test/fixtures/roboflow-examples) parse, and the
 * model-free ones compute what upstream's tests assert.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { WorkflowImage } from "../../src/images/index.js";
import { compileCondition, compileOperations, parseOperations, parseStatementGroup, type Operation, type StatementGroup } from "../../src/query/index.js";

const EXAMPLES = fileURLToPath(new URL("../fixtures/roboflow-examples/", import.meta.url));

interface Step {
  type: string;
  name: string;
  [key: string]: unknown;
}

function steps(file: string): Step[] {
  return (JSON.parse(readFileSync(`${EXAMPLES}${file}`, "utf8")) as { steps: Step[] }).steps;
}

function step(file: string, name: string): Step {
  const found = steps(file).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`${file} has no step ${name}`);
  return found;
}

/** Every condition and operation chain a step holds, by where it sits. */
function queryParts(definition: Step): { conditions: Map<string, unknown>; chains: Map<string, unknown> } {
  const conditions = new Map<string, unknown>();
  const chains = new Map<string, unknown>();
  if (definition.condition_statement) conditions.set("condition_statement", definition.condition_statement);
  if (Array.isArray(definition.operations)) chains.set("operations", definition.operations);
  for (const [name, chain] of Object.entries((definition.data_operations ?? {}) as Record<string, unknown>)) chains.set(`data_operations.${name}`, chain);
  const cases = (definition.switch as { cases?: { condition: unknown; result: { operations?: unknown } }[] } | undefined)?.cases ?? [];
  cases.forEach((entry, index) => {
    conditions.set(`switch.cases[${index}].condition`, entry.condition);
    if (entry.result.operations) chains.set(`switch.cases[${index}].result.operations`, entry.result.operations);
  });
  return { conditions, chains };
}

function condition(file: string, name: string, at = "condition_statement"): (values: Record<string, unknown>) => boolean {
  return compileCondition(parseStatementGroup(queryParts(step(file, name)).conditions.get(at)));
}

function chain(file: string, name: string, at = "operations"): (value: unknown) => unknown {
  return compileOperations(parseOperations(queryParts(step(file, name)).chains.get(at)));
}

describe("upstream example workflows", () => {
  it("every condition and operation chain in them parses and compiles", () => {
    let parsed = 0;
    for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith(".json"))) {
      for (const definition of steps(file)) {
        const { conditions, chains } = queryParts(definition);
        for (const [at, raw] of conditions) {
          const group: StatementGroup = parseStatementGroup(raw, `${file}:${definition.name}.${at}`);
          compileCondition(group);
          parsed++;
        }
        for (const [at, raw] of chains) {
          const operations: Operation[] = parseOperations(raw, `${file}:${definition.name}.${at}`);
          compileOperations(operations);
          parsed++;
        }
      }
    }
    expect(parsed).toBeGreaterThanOrEqual(10);
  });

  it("ContinueIf `(Number) == 1` on `some`: 1 passes, 0 and 2 do not", () => {
    const gate = condition("test_workflow_with_flow_control__WORKFLOW_WITH_NON_SIMD_CONTINUE_IF_AND_MULTIPLE_NEXT_STEPS.json", "gate");
    expect([1, 1.0, true, 0, 2].map((left) => gate({ left }))).toEqual([true, true, true, false, false]);
  });

  it("SIFT verdict: `(Boolean) is True` matches only True", () => {
    const isMatch = condition("test_workflow_with_sift__WORKFLOW_WITH_SIFT.json", "is_match_expression", "switch.cases[0].condition");
    expect([true, false, 1].map((images_match) => isMatch({ images_match }))).toEqual([true, false, false]);
  });

  it("specialised classification verdict: the reference class `in (Sequence)` of the class names", () => {
    const found = condition(
      "test_workflow_with_custom_expression_built_for_detections_with_specialised_classification__WORKFLOW_WITH_DETECTIONS_SPECIALISED_CLASSIFICATION_AND_CUSTOM_EXPRESSION.json",
      "expression",
      "switch.cases[0].condition",
    );
    const predictions = ["116.Parson_russell_terrier", "dog"];
    expect(found({ reference_value: "116.Parson_russell_terrier", predictions })).toBe(true);
    expect(found({ reference_value: "NON-EXISTING", predictions })).toBe(false);
  });

  it("string template: SequenceJoin of the SKUs", () => {
    const join = chain("test_workflow_with_string_template__WORKFLOW_WITH_STRING_TEMPLATE.json", "prompt_builder", "data_operations.sku_list");
    expect(join(["SKU-1", "SKU-2", "SKU-3"])).toBe("SKU-1, SKU-2, SKU-3");
  });

  it("CLIP comparison v2: ClassificationPropertyExtract top_class gives the most similar class", () => {
    const topClass = chain("test_workflow_with_clip__WORKFLOW_WITH_CLIP_COMPARISON_V2.json", "property_extraction");
    const prediction = (similarities: number[]) => {
      const classes = ["car", "crowd"];
      const best = similarities.indexOf(Math.max(...similarities));
      return {
        predictions: classes.map((name, index) => ({ class: name, class_id: index, confidence: similarities[index] })),
        top: classes[best],
        confidence: similarities[best],
        parent_id: "image",
      };
    };
    expect(topClass(prediction([0.23334351181983948, 0.17259158194065094]))).toBe("car");
    expect(topClass(prediction([0.18426208198070526, 0.207647442817688]))).toBe("crowd");
  });

  it("property extraction: aspect ratio 1.5 of a 1920×1280 image, frame number 0 of a still image", () => {
    const image = new WorkflowImage({ width: 1920, height: 1280, data: new Uint8Array(1920 * 1280 * 3), parentId: "license_plate" });
    expect(chain("test_workflow_with_property_extraction__WORKFLOW_WITH_ASPECT_RATIO_EXTRACTION.json", "property_extraction")(image)).toBe(1.5);
    expect(chain("test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_NUMBER_EXTRACTION.json", "property_extraction")(image)).toBe(0);
  });

  it("frame timestamp extraction on video frames: frame i at (i − 1) / fps seconds", () => {
    const file = "test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_TIMESTAMP_EXTRACTION.json";
    const [timestamp, number, seconds] = ["frame_timestamp", "frame_number", "seconds_since_start"].map((name) => chain(file, name));
    const start = Date.parse("2024-03-01T10:00:00Z");
    for (const i of [1, 2, 16]) {
      const frameTimestamp = new Date(start + ((i - 1) * 1000) / 25);
      const frame = new WorkflowImage({
        width: 1,
        height: 1,
        data: new Uint8Array(3),
        parentId: "video",
        videoMetadata: {
          video_identifier: "video",
          frame_number: i,
          frame_timestamp: frameTimestamp,
          fps: 25,
          measured_fps: null,
          comes_from_video_file: true,
        },
      });
      expect(number(frame)).toBe(i);
      expect(timestamp(frame)).toBe(frameTimestamp);
      expect(seconds(frame)).toBe((i - 1) / 25);
    }
  });
});
