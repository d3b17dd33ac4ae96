/**
 * The JavaScript translations of upstream's custom-Python-block workflows
 * (`test/fixtures/dynamic-blocks/`), run at the sandbox level with what upstream's tests assert
 * (rows 20 and 21 of the index in test/fixtures/roboflow-examples/NOTICE.md). The engine runs them
 * end to end elsewhere.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { JavaScriptSandbox, type JavaScriptCode } from "../../src/sandbox/index.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/dynamic-blocks");
const UPSTREAM_CONTEXT = resolve(
  import.meta.dirname,
  "../fixtures/roboflow-examples/test_workflow_with_custom_python_block__WORKFLOW_WITH_CUSTOM_BLOCK_WORKFLOW_CONTEXT.json",
);

interface Definition {
  dynamic_blocks_definitions: { manifest: { block_type: string }; code: JavaScriptCode & { type: string } }[];
  steps: { type: string; name: string }[];
}

function load(name: string): Definition {
  return JSON.parse(readFileSync(resolve(FIXTURES, name), "utf8")) as Definition;
}

/** The sandbox for the definition's (single) custom step, as the engine would make it. */
async function sandboxFor(definition: Definition): Promise<JavaScriptSandbox> {
  const [block] = definition.dynamic_blocks_definitions;
  const step = definition.steps.find((candidate) => candidate.type === block.manifest.block_type)!;
  expect(block.code.type).toBe("JavaScriptCode");
  return JavaScriptSandbox.create({ code: block.code, step: { name: step.name, blockType: step.type } });
}

describe("dynamic-block fixtures", () => {
  it("context-probe.json returns the workflow context and the value (upstream test 20)", async () => {
    const sandbox = await sandboxFor(load("context-probe.json"));
    try {
      const executionId = "0f8fad5b-d9cb-469f-a165-70867728950e";
      const { output } = await sandbox.run({ value: 37 }, { workflowExecutionId: executionId });
      expect(output).toEqual({
        step_name: "context_probe",
        step_selector: "$steps.context_probe",
        block_type: "ContextProbe",
        value: 37,
        workflow_execution_id: executionId,
      });
    } finally {
      await sandbox.close();
    }
  });

  it("batch-max.json returns one result per batch element (upstream test 21's shape and figures)", async () => {
    const sandbox = await sandboxFor(load("batch-max.json"));
    try {
      const confidences = [
        [0.31, 0.85599, 0.5],
        [0.84284, 0.2],
      ];
      const { output } = await sandbox.run({ confidences }, { workflowExecutionId: "batch" });
      expect(output).toEqual([{ max_confidence: 0.85599 }, { max_confidence: 0.84284 }]);
    } finally {
      await sandbox.close();
    }
  });

  it("context-probe.json is upstream's workflow with only the code translated", () => {
    const ours = load("context-probe.json");
    const upstream = JSON.parse(readFileSync(UPSTREAM_CONTEXT, "utf8")) as Definition;
    const withoutCode = (definition: Definition): unknown => ({
      ...definition,
      dynamic_blocks_definitions: definition.dynamic_blocks_definitions.map(({ code: _code, ...rest }) => rest),
    });
    expect(withoutCode(ours)).toEqual(withoutCode(upstream));
    expect(upstream.dynamic_blocks_definitions[0].code.type).toBe("PythonCode");
  });
});
