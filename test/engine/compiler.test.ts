import { describe, expect, it } from "vitest";
import { compile, validate, WorkflowError } from "../../src/index.js";
import { output, testRegistry, workflow } from "../helpers/test-blocks.js";

function compileError(definition: unknown): WorkflowError {
  try {
    validate(definition, { registry: testRegistry });
  } catch (error) {
    if (error instanceof WorkflowError) return error;
    throw error;
  }
  throw new Error("expected a compile error");
}

const param = (name: string, extra: Record<string, unknown> = {}) => ({ type: "WorkflowParameter", name, ...extra });

// docs/reference/workflows.md#selectors, docs/reference/workflows.md#kind-compatibility
describe("references and kinds", () => {
  it("reports a missing input as InvalidReferenceTargetError with step and property", () => {
    const error = compileError(workflow({ steps: [{ type: "test/add@v1", name: "s", a: "$inputs.nope", b: 1 }] }));
    expect(error.errorType).toBe("InvalidReferenceTargetError");
    expect(error.context).toBe("workflow_compilation | execution_graph_construction");
    expect(error.toBody().blocks_errors?.[0]).toMatchObject({ block_id: "s", property_name: "a" });
  });

  it("reports a missing step as InvalidReferenceTargetError", () => {
    const error = compileError(workflow({ inputs: [param("x")], steps: [{ type: "test/add@v1", name: "s", a: "$steps.ghost.sum", b: 1 }] }));
    expect(error.errorType).toBe("InvalidReferenceTargetError");
  });

  it("reports a missing output of an existing step as ExecutionGraphStructureError naming its outputs", () => {
    const error = compileError(
      workflow({
        steps: [
          { type: "test/add@v1", name: "s", a: 1, b: 1 },
          { type: "test/add@v1", name: "t", a: "$steps.s.total", b: 1 },
        ],
      }),
    );
    expect(error.errorType).toBe("ExecutionGraphStructureError");
    expect(error.message).toContain("sum");
  });

  it("checks kinds by name, with * matching anything", () => {
    const stringInput = param("text", { kind: ["string"] });
    const error = compileError(workflow({ inputs: [stringInput], steps: [{ type: "test/add@v1", name: "s", a: "$inputs.text", b: 1 }] }));
    expect(error.errorType).toBe("ReferenceTypeError");
    expect(error.message).toContain("[string]");
    expect(() =>
      validate(workflow({ inputs: [param("any")], steps: [{ type: "test/add@v1", name: "s", a: "$inputs.any", b: 1 }] }), { registry: testRegistry }),
    ).not.toThrow();
    expect(() =>
      validate(workflow({ inputs: [param("n", { kind: [{ name: "integer" }] })], steps: [{ type: "test/add@v1", name: "s", a: "$inputs.n", b: 1 }] }), {
        registry: testRegistry,
      }),
    ).not.toThrow();
  });

  it("validates step properties with the block schema and reports every bad step", () => {
    const error = compileError(
      workflow({
        steps: [
          { type: "test/add@v1", name: "s", a: "one", b: 1 },
          { type: "test/add@v1", name: "t", b: 1 },
          { type: "test/nothing@v1", name: "u" },
        ],
      }),
    );
    expect(error.errorType).toBe("WorkflowSyntaxError");
    expect(error.toBody().blocks_errors?.map((e) => [e.block_id, e.property_name])).toEqual([
      ["s", "a"],
      ["t", "a"],
      ["u", "type"],
    ]);
  });

  it("rejects cycles", () => {
    const error = compileError(
      workflow({
        steps: [
          { type: "test/add@v1", name: "a", a: "$steps.b.sum", b: 1 },
          { type: "test/add@v1", name: "b", a: "$steps.a.sum", b: 1 },
        ],
      }),
    );
    expect(error.errorType).toBe("ExecutionGraphStructureError");
    expect(error.message).toMatch(/cycle/);
  });

  it("rejects a flow-control step targeting one step twice or a missing step", () => {
    const twice = compileError(
      workflow({
        inputs: [param("x")],
        steps: [
          { type: "test/gate@v1", name: "g", open: "$inputs.x", next_steps: ["$steps.s", "$steps.s"] },
          { type: "test/add@v1", name: "s", a: 1, b: 1 },
        ],
      }),
    );
    expect(twice.errorType).toBe("ExecutionGraphStructureError");
    const missing = compileError(
      workflow({ inputs: [param("x")], steps: [{ type: "test/gate@v1", name: "g", open: "$inputs.x", next_steps: ["$steps.ghost"] }] }),
    );
    expect(missing.errorType).toBe("InvalidReferenceTargetError");
  });

  it("reports a `$` value the selector grammar cannot read as an invalid selector, in a property that also takes a literal string", () => {
    for (const key of ["$inputs.text.more", "$steps.s", "$text"]) {
      const definition = workflow({
        inputs: [{ type: "WorkflowImage", name: "image" }, param("text")],
        steps: [{ type: "roboflow_core/cache_get@v1", name: "get", image: "$inputs.image", key }],
      });
      let error: unknown;
      try {
        validate(definition);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(WorkflowError);
      expect((error as WorkflowError).errorType).toBe("InvalidReferenceTargetError");
      expect((error as WorkflowError).message).toBe(
        `Invalid selector "${key}" in step "get", property "key": data is selected with $inputs.<name>, $steps.<step>.<output> or $steps.<step>.*.`,
      );
    }
  });

  it("rejects batch inputs of dimensionality > 1 clearly", () => {
    const error = compileError(workflow({ inputs: [{ type: "WorkflowBatchInput", name: "b", dimensionality: 2 }] }));
    expect(error.errorType).toBe("StepInputDimensionalityError");
  });

  it("rejects dynamic blocks when no factory can run them, naming the code type", () => {
    const definition = {
      ...workflow({}),
      dynamic_blocks_definitions: [
        {
          type: "DynamicBlockDefinition",
          manifest: { type: "ManifestDescription", block_type: "X", inputs: {}, outputs: {} },
          code: { type: "PythonCode", run_function_code: "" },
        },
      ],
    };
    const error = compileError(definition);
    expect(error.errorType).toBe("DynamicBlockError");
    expect(error.message).toContain("PythonCode");
  });
});

// docs/reference/workflows.md#lineage
describe("lineage", () => {
  it("decides batch vs scalar at compile time from the inputs", () => {
    const engine = compile(
      workflow({
        inputs: [{ type: "WorkflowBatchInput", name: "xs" }, param("p")],
        steps: [
          { type: "test/add@v1", name: "scalar", a: "$inputs.p", b: 1 },
          { type: "test/add@v1", name: "batch", a: "$inputs.xs", b: "$steps.scalar.sum" },
          { type: "test/add@v1", name: "downstream", a: "$steps.batch.sum", b: 1 },
        ],
      }),
      { registry: testRegistry },
    );
    const byName = Object.fromEntries(engine.plan.steps.map((s) => [s.name, s.isBatch]));
    expect(byName).toEqual({ scalar: false, batch: true, downstream: true });
    expect(engine.plan.layers.map((layer) => layer.map((s) => s.name))).toEqual([["scalar"], ["batch"], ["downstream"]]);
  });

  it("gives steps gated by a per-element decision control-flow lineage", () => {
    const engine = compile(
      workflow({
        inputs: [{ type: "WorkflowBatchInput", name: "xs" }],
        steps: [
          { type: "test/gate@v1", name: "g", open: "$inputs.xs", next_steps: ["$steps.s"] },
          { type: "test/add@v1", name: "s", a: 1, b: 2 },
        ],
        outputs: [output("sum", "$steps.s.sum")],
      }),
      { registry: testRegistry },
    );
    expect(engine.plan.stepsByName.get("s")?.isBatch).toBe(true);
    expect(engine.plan.stepsByName.get("g")?.branches.map((b) => b.id)).toEqual(["Branch[$steps.g -> next_steps]"]);
  });
});
