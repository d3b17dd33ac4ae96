import { describe, expect, it } from "vitest";
import { parseDefinition, parseVersion, satisfies, selectExecutionEngine } from "../../src/definition/index.js";
import { output, workflow } from "../helpers/test-blocks.js";
import { errorOf } from "../helpers/errors.js";

// docs/reference/workflows.md#version-rule
describe("version rule", () => {
  it.each(["1.0", "1.0.0", "1.3.0", "1.15.0", "1", "v1.2"])("accepts %s", (version) => {
    expect(selectExecutionEngine(version)).toBe("1.15.0");
  });

  it.each(["0.1.0", "2.0.0", "1.16.0", "3"])("rejects %s with NotSupportedExecutionEngineError", (version) => {
    const error = errorOf(() => selectExecutionEngine(version));
    expect(error.errorType).toBe("NotSupportedExecutionEngineError");
    expect(error.httpStatus).toBe(400);
  });

  it.each(["abc", "", "1..0", "one.two"])("rejects unparseable %j with WorkflowDefinitionError", (version) => {
    expect(errorOf(() => selectExecutionEngine(version)).errorType).toBe("WorkflowDefinitionError");
  });

  it("parses PEP 440 forms", () => {
    expect(parseVersion("1.2.3rc1")).toEqual({ release: [1, 2, 3], preRelease: true });
    expect(parseVersion("1.2.post3")).toEqual({ release: [1, 2], preRelease: false });
    expect(satisfies("1.15.0", ">=1.3.0,<2.0.0")).toBe(true);
    expect(satisfies("1.15.0", ">=1.16.0")).toBe(false);
  });

  it("treats a missing version as a syntax error", () => {
    const definition = workflow({});
    delete definition.version;
    expect(errorOf(() => parseDefinition(definition)).errorType).toBe("WorkflowSyntaxError");
  });
});

describe("inputs and outputs", () => {
  it("accepts every input type and alias, kind names or kind objects, with defaults", () => {
    const { definition } = parseDefinition(
      workflow({
        inputs: [
          { type: "WorkflowImage", name: "a" },
          { type: "InferenceImage", name: "b" },
          { type: "WorkflowVideoMetadata", name: "c" },
          { type: "WorkflowBatchInput", name: "d", kind: [{ name: "embedding" }] },
          { type: "WorkflowParameter", name: "e", default_value: 0.5 },
          { type: "InferenceParameter", name: "f", kind: ["string"] },
        ],
        outputs: [output("x", "$inputs.e"), output("y", "$steps.s.*")],
      }),
    );
    expect(definition.inputs.map((i) => i.kind)).toEqual([["image"], ["image"], ["video_metadata"], [{ name: "embedding" }], ["*"], ["string"]]);
    expect(definition.inputs[4]).toMatchObject({ default_value: 0.5 });
    expect(definition.inputs[5]).toMatchObject({ default_value: null });
    expect(definition.outputs[0].coordinates_system).toBe("parent");
  });

  it("rejects an unknown input type, saying where", () => {
    const error = errorOf(() => parseDefinition(workflow({ inputs: [{ type: "Nope", name: "x" }] })));
    expect(error.errorType).toBe("WorkflowSyntaxError");
    expect(error.message).toContain("inputs[0]");
  });

  it("rejects duplicated names", () => {
    const error = errorOf(() =>
      parseDefinition(
        workflow({
          inputs: [
            { type: "WorkflowParameter", name: "x" },
            { type: "WorkflowImage", name: "x" },
          ],
        }),
      ),
    );
    expect(error.errorType).toBe("DuplicatedNameError");
    expect(error.message).toContain('"x"');
  });

  it("rejects an output selector that is not a selector", () => {
    const error = errorOf(() => parseDefinition(workflow({ outputs: [output("x", "inputs.a")] })));
    expect(error.errorType).toBe("WorkflowSyntaxError");
    expect(error.message).toContain("outputs[0].selector");
  });

  it("parses dynamic block definitions", () => {
    const { definition } = parseDefinition({
      ...workflow({}),
      dynamic_blocks_definitions: [
        {
          type: "DynamicBlockDefinition",
          manifest: {
            type: "ManifestDescription",
            block_type: "X",
            inputs: { a: { type: "DynamicInputDefinition", selector_types: ["input_parameter"] } },
            outputs: {},
          },
          code: { type: "PythonCode", run_function_code: "def run(self, a): return {}" },
        },
      ],
    });
    expect(definition.dynamic_blocks_definitions?.[0].code).toMatchObject({ type: "PythonCode", run_function_name: "run", init_function_name: "init" });
  });
});
