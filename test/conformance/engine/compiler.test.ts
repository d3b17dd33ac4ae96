/**
 * Upstream's unit tests of the workflow compiler (roboflow/inference 3bb973b5,
 * tests/workflows/unit_tests/execution_engine/compiler/ and execution_engine/test_core.py), case by
 * case, against sightline's compiler: upstream's execution graph read off the compiled plan
 * (`executionGraph`), its test-only blocks replaced by `upstream-test-blocks.ts`.
 *
 * Left out, being upstream's internals with no counterpart in sightline: test_cache.py (the
 * compilation cache), test_graph_traversal.py, test_steps_initialiser.py (block init parameters),
 * test_workflow_schema_detections_property.py (detections), the networkx helpers of test_utils.py
 * (get_nodes_of_specific_kind, get_output_names, get_steps_selectors,
 * get_input_parameters_selectors, is_control_flow_step ×3, get_last_chunk_of_selector), and the
 * cases of execution_engine/test_core.py that mock several registered engines or an error handler.
 */
import { describe, expect, it } from "vitest";
import { BlockRegistry, defineBlock, selector } from "../../../src/block-api/index.js";
import { formatSelector, isSelector, parseSelector } from "../../../src/definition/index.js";
import { validate, type WorkflowError } from "../../../src/index.js";
import { z } from "zod";
import { errorOf } from "../../helpers/errors.js";
import { executionGraph } from "../engine-harness.js";
import { upstreamTestRegistry } from "./upstream-test-blocks.js";

const image = (name: string) => ({ type: "WorkflowImage", name });
const parameter = (name: string, kind?: string[]) => ({ type: "WorkflowParameter", name, ...(kind ? { kind } : {}) });
const jsonField = (name: string, selectorText: string) => ({ type: "JsonField", name, selector: selectorText });
const model = (name: string, imageSelector: string, modelId = "my_model", extra: Record<string, unknown> = {}) => ({
  type: "ExampleModel",
  name,
  image: imageSelector,
  model_id: modelId,
  ...extra,
});

function definition(inputs: unknown[], steps: unknown[], outputs: unknown[]) {
  return { version: "1.0", inputs, steps, outputs };
}

/** Upstream's two-step cases: `model_1` on `modelImage`, then an ExampleTransformation reading `image` and `predictions`. */
function modelThenTransformation(transformation: { image: string; predictions: string }, modelImage = "$inputs.image") {
  return definition(
    [image("image")],
    [model("model_1", modelImage), { type: "ExampleTransformation", name: "transformation", ...transformation }],
    [jsonField("predictions", "$steps.transformation.predictions")],
  );
}

const compile = (raw: unknown) => validate(raw, { registry: upstreamTestRegistry });
const compileError = (raw: unknown): WorkflowError => errorOf(() => compile(raw));

// compiler/test_graph_constructor.py
describe("execution graph construction", () => {
  it("test_execution_graph_construction_for_trivial_workflow", () => {
    const plan = compile(definition([image("image")], [model("model_1", "$inputs.image")], [jsonField("predictions", "$steps.model_1.predictions")]));
    const graph = executionGraph(plan);
    expect(graph.nodes).toEqual(new Set(["$inputs.image", "$steps.model_1", "$outputs.predictions"]));
    expect(graph.edges).toEqual(new Set(["$inputs.image -> $steps.model_1", "$steps.model_1 -> $outputs.predictions"]));
    // the image node lineage: a batch input; the step: batch-oriented on `images`, the default string_value a static input
    expect(plan.inputsByName.get("image")).toMatchObject({ isBatch: true });
    const step = plan.stepsByName.get("model_1")!;
    expect(step.isBatch).toBe(true);
    expect(Object.fromEntries(step.inputs)).toEqual({
      images: { kind: "reference", source: { from: "input", input: "image", isBatch: true, nestedIn: null } },
      model_id: { kind: "constant", value: "my_model" },
      string_value: { kind: "constant", value: null },
    });
    expect(plan.outputs).toEqual([
      {
        name: "predictions",
        source: { from: "step", step: "model_1", output: "predictions", isBatch: true, nestedIn: null },
        kinds: ["object_detection_prediction"],
      },
    ]);
  });

  const failures: [string, ReturnType<typeof definition>, string][] = [
    [
      "test_execution_graph_construction_when_there_is_input_selector_missing",
      definition([], [model("model_1", "$inputs.image")], [jsonField("predictions", "$steps.model_1.predictions")]),
      "InvalidReferenceTargetError",
    ],
    [
      "test_execution_graph_construction_when_output_selector_points_non_existing_step",
      definition([image("image")], [model("model_1", "$inputs.image")], [jsonField("predictions", "$steps.model_2.predictions")]),
      "InvalidReferenceTargetError",
    ],
    [
      "test_execution_graph_construction_when_output_defines_non_existing_output",
      definition([image("image")], [model("model_1", "$inputs.image")], [jsonField("predictions", "$steps.model_1.non_existing")]),
      "InvalidReferenceTargetError",
    ],
    [
      "test_execution_graph_construction_when_input_kind_does_not_match_block_manifest",
      definition(
        [image("image"), parameter("model", ["integer"])],
        [model("model_1", "$inputs.image", "$inputs.model")],
        [jsonField("predictions", "$steps.model_1.predictions")],
      ),
      "ReferenceTypeError",
    ],
    [
      "test_execution_graph_construction_when_cycle_is_detected",
      modelThenTransformation({ image: "$inputs.image", predictions: "$steps.model_1.predictions" }, "$steps.transformation.image"),
      "ExecutionGraphStructureError",
    ],
    [
      "test_execution_graph_construction_when_reference_to_non_existing_step_output_provided",
      modelThenTransformation({ image: "$inputs.image", predictions: "$steps.model_1.invalid" }),
      "ExecutionGraphStructureError",
    ],
    [
      "test_execution_graph_construction_when_reference_to_non_existing_step_provided",
      modelThenTransformation({ image: "$inputs.image", predictions: "$steps.invalid.predictions" }),
      "InvalidReferenceTargetError",
    ],
    [
      "test_execution_graph_construction_when_connection_kind_missmatch_detected",
      modelThenTransformation({ image: "$steps.model_1.predictions", predictions: "$steps.model_1.predictions" }),
      "ReferenceTypeError",
    ],
  ];
  it.each(failures)("%s", (_, raw, errorType) => {
    expect(compileError(raw).errorType).toBe(errorType);
  });

  it("names the workflow output in blocks_errors as upstream: block $outputs, property the output's name", () => {
    const body = compileError(
      definition([image("image")], [model("model_1", "$inputs.image")], [jsonField("predictions", "$steps.model_1.non_existing")]),
    ).toBody();
    expect(body.blocks_errors).toEqual([
      {
        block_id: "$outputs",
        block_type: null,
        block_details: null,
        property_name: "predictions",
        property_details: "Invalid reference to $steps.model_1.non_existing",
      },
    ]);
  });

  it("test_execution_graph_construction_when_selector_is_injected_to_string_field: a selector where none is declared is a plain string", () => {
    const plan = compile(
      definition(
        [image("image")],
        [model("model_1", "$inputs.image", "my_model", { string_value: "$inputs.faulty" })],
        [jsonField("predictions", "$steps.model_1.predictions")],
      ),
    );
    expect(executionGraph(plan).nodes.size).toBe(3);
  });

  it("test_execution_graph_construction_when_two_parallel_execution_branches_exists", () => {
    const plan = compile(
      definition(
        [image("image_1"), image("image_2"), parameter("model", ["roboflow_model_id"])],
        [model("model_1", "$inputs.image_1", "$inputs.model"), model("model_2", "$inputs.image_2")],
        [jsonField("predictions_1", "$steps.model_1.predictions"), jsonField("predictions_2", "$steps.model_2.predictions")],
      ),
    );
    const graph = executionGraph(plan);
    expect(graph.nodes).toEqual(
      new Set(["$inputs.image_1", "$inputs.image_2", "$inputs.model", "$steps.model_1", "$steps.model_2", "$outputs.predictions_1", "$outputs.predictions_2"]),
    );
    expect(graph.edges).toEqual(
      new Set([
        "$inputs.image_1 -> $steps.model_1",
        "$inputs.model -> $steps.model_1",
        "$inputs.image_2 -> $steps.model_2",
        "$steps.model_1 -> $outputs.predictions_1",
        "$steps.model_2 -> $outputs.predictions_2",
      ]),
    );
  });

  it("test_execution_graph_construction_when_fusion_of_two_branches_is_present", () => {
    const plan = compile(
      definition(
        [image("image_1"), image("image_2")],
        [
          model("model_1", "$inputs.image_1"),
          model("model_2", "$inputs.image_2"),
          { type: "ExampleFusion", name: "fusion", predictions: ["$steps.model_1.predictions", "$steps.model_2.predictions"] },
        ],
        [jsonField("predictions", "$steps.fusion.predictions")],
      ),
    );
    const graph = executionGraph(plan);
    expect(graph.nodes.size).toBe(6);
    expect(graph.edges).toEqual(
      new Set([
        "$inputs.image_1 -> $steps.model_1",
        "$inputs.image_2 -> $steps.model_2",
        "$steps.model_1 -> $steps.fusion",
        "$steps.model_2 -> $steps.fusion",
        "$steps.fusion -> $outputs.predictions",
      ]),
    );
  });

  it("test_execution_graph_construction_when_there_is_control_flow_step", () => {
    const plan = compile(
      definition(
        [image("image")],
        [
          { type: "ExampleFlowControl", name: "random_choice", a_steps: ["$steps.model_1"], b_steps: ["$steps.model_2"] },
          { type: "ExampleNonBatchFlowControl", name: "non_batch_condition", next_steps: ["$steps.model_1"] },
          model("model_1", "$inputs.image"),
          model("model_2", "$inputs.image"),
        ],
        [jsonField("predictions_1", "$steps.model_1.predictions"), jsonField("predictions_2", "$steps.model_2.predictions")],
      ),
    );
    const graph = executionGraph(plan);
    expect(graph.nodes.size).toBe(7);
    // child_execution_branches of each flow-control step
    const childBranches = (name: string) =>
      Object.fromEntries(plan.stepsByName.get(name)!.branches.flatMap((branch) => branch.targets.map((target) => [`$steps.${target}`, branch.id])));
    expect(childBranches("random_choice")).toEqual({
      "$steps.model_1": "Branch[$steps.random_choice -> a_steps]",
      "$steps.model_2": "Branch[$steps.random_choice -> b_steps]",
    });
    expect(childBranches("non_batch_condition")).toEqual({ "$steps.model_1": "Branch[$steps.non_batch_condition -> next_steps]" });
    // execution_branches_impacting_inputs of each gated step
    const gates = (name: string) => new Set(plan.stepsByName.get(name)!.gates.map((gate) => gate.id));
    expect(gates("model_1")).toEqual(new Set(["Branch[$steps.random_choice -> a_steps]", "Branch[$steps.non_batch_condition -> next_steps]"]));
    expect(gates("model_2")).toEqual(new Set(["Branch[$steps.random_choice -> b_steps]"]));
    expect(graph.edges).toEqual(
      new Set([
        "$inputs.image -> $steps.model_1",
        "$steps.random_choice -> $steps.model_1",
        "$steps.non_batch_condition -> $steps.model_1",
        "$inputs.image -> $steps.model_2",
        "$steps.random_choice -> $steps.model_2",
        "$steps.model_1 -> $outputs.predictions_1",
        "$steps.model_2 -> $outputs.predictions_2",
      ]),
    );
    expect(plan.stepsByName.get("random_choice")!.block.manifest.flowControl).toBe(true);
  });
});

// compiler/test_validator.py
describe("unique names", () => {
  const model1 = model("my_model", "$inputs.image");
  const cases: [string, ReturnType<typeof definition>, boolean][] = [
    ["test_validate_inputs_names_are_unique_when_input_is_valid", definition([image("image"), parameter("x"), parameter("y")], [], []), true],
    ["test_validate_inputs_names_are_unique_when_input_is_invalid", definition([image("image"), parameter("x"), parameter("x")], [], []), false],
    ["test_validate_steps_names_are_unique_when_input_is_valid", definition([image("image")], [model1, model("my_crop", "$inputs.image")], []), true],
    ["test_validate_steps_names_are_unique_when_input_is_invalid", definition([image("image")], [model1, model1], []), false],
    [
      "test_validate_outputs_names_are_unique_when_input_is_valid",
      definition([image("image")], [model1], [jsonField("some", "$steps.my_model.predictions"), jsonField("other", "$steps.my_model.predictions")]),
      true,
    ],
    [
      "test_validate_outputs_names_are_unique_when_input_is_invalid",
      definition([image("image")], [model1], [jsonField("some", "$steps.my_model.predictions"), jsonField("some", "$steps.my_model.prediction_type")]),
      false,
    ],
  ];
  it.each(cases)("%s", (_, raw, valid) => {
    if (valid) expect(() => compile(raw)).not.toThrow();
    else expect(compileError(raw).errorType).toBe("DuplicatedNameError");
  });
});

// compiler/test_reference_type_checker.py: validate_reference_kinds(expected, actual), here a
// parameter of kinds `actual` plugged into a property of kinds `expected`.
describe("reference kinds", () => {
  function plug(expected: string[], actual: string[]) {
    const probe = defineBlock({
      manifest: {
        type: "KindProbe",
        name: "Kind probe",
        family: "test",
        description: "a property of the expected kinds",
        properties: z.object({ value: selector(expected) }),
        outputs: [],
      },
      run: () => ({}),
    });
    return validate(definition([parameter("value", actual)], [{ type: "KindProbe", name: "probe", value: "$inputs.value" }], []), {
      registry: new BlockRegistry().register(probe),
    });
  }
  const matching: [string, string[], string[]][] = [
    ["test_validate_reference_types_when_there_is_strict_kinds_match", ["string"], ["string"]],
    ["test_validate_reference_types_when_kinds_matches_by_union", ["string", "integer"], ["integer"]],
    ["test_validate_reference_types_when_kinds_matches_by_union", ["integer"], ["string", "integer"]],
    ["test_validate_reference_types_when_kinds_matches_by_wild_card", ["string", "integer"], ["*"]],
    ["test_validate_reference_types_when_kinds_matches_by_wild_card", ["*"], ["string", "integer"]],
    ["test_validate_reference_types_when_kinds_matches_by_wild_card", ["*"], ["*"]],
  ];
  it.each(matching)("%s: expected %j, actual %j", (_, expected, actual) => {
    expect(() => plug(expected, actual)).not.toThrow();
  });

  it("test_validate_reference_kinds_when_there_is_no_match_in_kinds", () => {
    expect(errorOf(() => plug(["string"], ["integer"])).errorType).toBe("ReferenceTypeError");
  });
});

// compiler/test_utils.py: the selector grammar
describe("selectors", () => {
  it("test_construct_input_selector", () => {
    expect(formatSelector({ type: "input", input: "some" })).toBe("$inputs.some");
  });

  it("test_get_step_selector_from_its_output", () => {
    const parsed = parseSelector("$steps.detection.predictions");
    expect(parsed?.type === "output" && formatSelector({ type: "step", step: parsed.step })).toBe("$steps.detection");
  });

  const kindOf = (value: unknown) => parseSelector(value)?.type ?? null;
  const cases: [string, unknown, "output" | "input" | "step", boolean][] = [
    ["test_is_step_output_selector_when_step_output_provided", "$steps.some.parent_id", "output", true],
    ["test_is_step_output_selector_when_step_selector_provided", "$steps.some", "output", false],
    ["test_is_step_output_selector_when_input_selector_provided", "$inputs.some", "output", false],
    ["test_is_step_output_selector_when_specific_value_provided", 3, "output", false],
    ["test_is_input_selector_when_specific_value_given", 4, "input", false],
    ["test_is_input_selector_when_step_selector_given", "$steps.some", "input", false],
    ["test_is_input_selector_when_input_selector_given", "$inputs.some", "input", true],
    ["test_is_step_selector_when_not_a_selector_given", "some", "step", false],
    ["test_is_step_selector_when_input_selector_given", "$inputs.some", "step", false],
    ["test_is_step_selector_when_step_output_selector_given", "$steps.some.output", "step", false],
    ["test_is_step_selector_when_step_selector_given", "$steps.some", "step", true],
  ];
  it.each(cases)("%s", (_, value, kind, expected) => {
    expect(kindOf(value) === kind).toBe(expected);
  });

  it.each(["$inputs.a", "$steps.step", "$steps.step.output"])("test_is_selector_when_selector_given: %s", (value) => {
    expect(isSelector(value)).toBe(true);
  });

  it.each(["some", 1, [1, 2, 3]])("test_is_selector_when_not_a_selector_given: %j", (value) => {
    expect(isSelector(value)).toBe(false);
  });
});

// compiler/test_core.py: test_collect_input_substitutions — the step properties that are exactly
// `$inputs.<parameter>`, re-validated with the run's value
describe("input substitutions", () => {
  it("test_collect_input_substitutions", () => {
    const plan = compile(
      definition(
        [image("image_1"), image("image_2"), parameter("model_1"), parameter("model_2")],
        [model("model_1", "$inputs.image_1", "$inputs.model_1"), model("model_2", "$inputs.image_2", "$inputs.model_2")],
        [jsonField("predictions_1", "$steps.model_1.predictions"), jsonField("predictions_2", "$steps.model_2.predictions")],
      ),
    );
    const substitutions = Object.fromEntries(
      plan.steps.map((step) => [step.name, Object.fromEntries(step.runtimeChecks.map((check) => [check.property, check.input]))]),
    );
    expect(substitutions).toEqual({ model_1: { model_id: "model_1" }, model_2: { model_id: "model_2" } });
  });
});

// execution_engine/test_core.py: the engine a definition's `version` selects
describe("execution engine version", () => {
  it("test_retrieve_requested_execution_engine_version_when_matching_version_specified_in_manifest", () => {
    expect(() => compile({ ...definition([], [], []), version: "1.0.0" })).not.toThrow();
  });

  it("test_select_execution_engine_when_no_version_match", () => {
    expect(compileError({ ...definition([], [], []), version: "2.0.0" }).errorType).toBe("NotSupportedExecutionEngineError");
  });

  // Upstream picks the latest v1 engine for a definition without `version`, whose syntactic parser
  // then requires the field: the definition fails either way.
  it("test_retrieve_requested_execution_engine_version_when_version_not_given_in_manifest", () => {
    expect(compileError({ inputs: [], steps: [], outputs: [] }).errorType).toBe("WorkflowSyntaxError");
  });
});
