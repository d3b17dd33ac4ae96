/**
 * Upstream's own model-free test workflows (INDEX rows 9, 12 + variants, 15, 16, 17 photo part,
 * 19, 22, 24, 25), run through the CLI, checking exactly what the upstream tests assert.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir, writeTemp } from "../helpers/cli.js";

const EXAMPLES = resolve(import.meta.dirname, "../fixtures/roboflow-examples");
const example = (name: string) => join(EXAMPLES, `${name}.json`);
const load = (name: string) => JSON.parse(readFileSync(example(name), "utf8")) as Record<string, unknown>;

async function runLines(workflowPath: string, inputs: unknown[]) {
  const inputsPath = writeTemp("inputs.jsonl", inputs);
  return runCli(["run", workflowPath, "--inputs", inputsPath]);
}

describe("row 9: non-SIMD continue_if with several next steps", () => {
  it("runs both expressions for some = 1 and neither for some = 0", async () => {
    const result = await runLines(example("test_workflow_with_flow_control__WORKFLOW_WITH_NON_SIMD_CONTINUE_IF_AND_MULTIPLE_NEXT_STEPS"), [
      { some: 1 },
      { some: 0 },
    ]);
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      { outputs: [{ first_expression: "EXECUTED FIRST!", second_expression: "EXECUTED SECOND!" }] },
      { outputs: [{ first_expression: null, second_expression: null }] },
    ]);
  });
});

describe("row 12: switch case", () => {
  const name = "test_workflow_with_switch_case__SWITCH_CASE_WORKFLOW";

  it("routes a, b and anything else", async () => {
    const result = await runLines(example(name), [{ routing_value: "a" }, { routing_value: "b" }, { routing_value: "c" }]);
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      { outputs: [{ on_a: "EXECUTED A!", on_b: null, on_default: null }] },
      { outputs: [{ on_a: null, on_b: "EXECUTED B!", on_default: null }] },
      { outputs: [{ on_a: null, on_b: null, on_default: "EXECUTED DEFAULT!" }] },
    ]);
  });

  it("terminates when nothing matches and there is no default", async () => {
    const definition = load(name);
    definition.steps = (definition.steps as Record<string, unknown>[]).filter((step) => step.name !== "on_default");
    (definition.steps as Record<string, unknown>[])[0].default_next_steps = [];
    definition.outputs = (definition.outputs as Record<string, unknown>[]).filter((o) => o.name !== "on_default");
    const result = await runLines(writeTemp("workflow.json", definition), [{ routing_value: "unmatched" }]);
    expect(result.lines).toEqual([{ outputs: [{ on_a: null, on_b: null }] }]);
  });

  it("rejects a step targeted by two cases with WorkflowSyntaxError (targeted at most once)", async () => {
    const definition = load(name);
    (definition.steps as Record<string, unknown>[])[0].cases = { a: "$steps.on_a", alias_of_a: "$steps.on_a" };
    const result = await runCli(["validate", writeTemp("workflow.json", definition)]);
    expect(result.code).toBe(1);
    const body = result.lines[0] as Record<string, unknown>;
    expect(body.error_type).toBe("WorkflowSyntaxError");
    expect(JSON.stringify(body)).toContain("targeted at most once");
  });
});

describe("rows 15–17: property extraction from a photo", () => {
  let photo: string;
  beforeAll(async () => {
    // Same size as upstream's license_plate.jpg.
    photo = join(tempDir(), "license_plate.jpg");
    await sharp({ create: { width: 1920, height: 1280, channels: 3, background: { r: 90, g: 120, b: 30 } } })
      .jpeg()
      .toFile(photo);
  });

  it("row 15: aspect ratio 1.5", async () => {
    const result = await runLines(example("test_workflow_with_property_extraction__WORKFLOW_WITH_ASPECT_RATIO_EXTRACTION"), [{ image: photo }]);
    expect(result.lines).toEqual([{ outputs: [{ aspect_ratio: 1.5 }] }]);
  });

  it("row 16: frame number 0 from synthetic metadata", async () => {
    const result = await runLines(example("test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_NUMBER_EXTRACTION"), [
      { image: { type: "file", value: photo } },
    ]);
    expect(result.lines).toEqual([{ outputs: [{ frame_number: 0 }] }]);
  });

  it("row 17 (photo): exactly the keys frame_timestamp, frame_number, seconds_since_start", async () => {
    const base64 = readFileSync(photo).toString("base64");
    const result = await runLines(example("test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_TIMESTAMP_EXTRACTION"), [
      { image: { type: "base64", value: base64 } },
    ]);
    const outputs = (result.lines[0] as { outputs: Record<string, unknown>[] }).outputs;
    expect(outputs).toHaveLength(1);
    expect(Object.keys(outputs[0]).sort()).toEqual(["frame_number", "frame_timestamp", "seconds_since_start"]);
    expect(outputs[0].frame_number).toBe(0);
    expect(outputs[0].seconds_since_start).toBeCloseTo(-1 / 30, 12);
    expect(Number.isNaN(Date.parse(outputs[0].frame_timestamp as string))).toBe(false);
  });
});

describe("row 19: string template", () => {
  it("joins the SKU list and wraps the prompt", async () => {
    const result = await runLines(example("test_workflow_with_string_template__WORKFLOW_WITH_STRING_TEMPLATE"), [
      {
        prompt_template: "This facing contains one of: {sku_list}. Answer with the product name or {fallback_answer}.",
        expected_skus: ["SKU-1", "SKU-2", "SKU-3"],
      },
    ]);
    const prompt = "This facing contains one of: SKU-1, SKU-2, SKU-3. Answer with the product name or NONE.";
    expect(result.lines).toEqual([{ outputs: [{ prompt, wrapped_prompt: `PROMPT START. ${prompt} PROMPT END.` }] }]);
  });
});

describe("compile-time errors", () => {
  it("row 22: a Python dynamic block fails with DynamicBlockError", async () => {
    const result = await runCli(["validate", example("test_workflow_with_custom_python_block__WORKFLOW_WITHOUT_RUN_FUNCTION")]);
    expect(result.code).toBe(1);
    expect(result.lines[0]).toMatchObject({ error_type: "DynamicBlockError" });
  });

  it("row 24: a reference to an undeclared input is InvalidReferenceTargetError in graph construction", async () => {
    const result = await runCli(["validate", example("test_workflow_endpoints__test_compilation_endpoint_when_compilation_fails")]);
    expect(result.code).toBe(1);
    const body = result.lines[0] as Record<string, unknown>;
    expect(typeof body.message).toBe("string");
    expect(body.error_type).toBe("InvalidReferenceTargetError");
    expect(body.context).toBe("workflow_compilation | execution_graph_construction");
  });

  it("row 25: execution engine version 0.1.0 is rejected", async () => {
    const result = await runCli([
      "validate",
      example("test_workflow_endpoints__test_compilation_endpoint_when_compilation_fails_due_to_invalid_requested_execution_engine_version"),
    ]);
    expect(result.code).toBe(1);
    expect(result.lines[0]).toMatchObject({ error_type: "NotSupportedExecutionEngineError" });
  });

  it("a run whose definition does not compile exits 1 with the body before any line runs", async () => {
    const result = await runLines(example("test_workflow_endpoints__test_compilation_endpoint_when_compilation_fails"), [{}, {}]);
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatchObject({ error_type: "InvalidReferenceTargetError" });
  });
});
