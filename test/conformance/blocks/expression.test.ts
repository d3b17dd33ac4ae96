/**
 * Upstream: tests/workflows/unit_tests/core_steps/formatters/test_expression.py (see
 * test/conformance/query/NOTICE.md). The query language's own errors leave the step as they are
 * (`pytest.raises(EvaluationEngineError)`); a Python exception is the inner error of a
 * `StepExecutionError` (`pytest.raises(KeyError)`).
 */
import { describe, expect, it } from "vitest";
import { compileFailure, expectInnerError, fromInputs, runStep, stepFailure } from "./formatter-step.js";

const TYPE = "roboflow_core/expression@v1";

/** A `CaseDefinition` whose condition is one unary statement on the `input_list` variable. */
function caseOnInputList(operator: string, result: Record<string, unknown>) {
  return {
    type: "CaseDefinition",
    condition: {
      type: "StatementGroup",
      statements: [{ type: "UnaryStatement", operand: { type: "DynamicOperand", operand_name: "input_list" }, operator: { type: operator } }],
    },
    result,
  };
}

const staticResult = (value: unknown) => ({ type: "StaticCaseResult", value });
const additionalParam = (operations?: unknown[]) => ({ type: "DynamicCaseResult", parameter_name: "additional_param", ...(operations ? { operations } : {}) });
const switchOf = (cases: unknown[]) => ({ type: "CasesDefinition", cases, default: staticResult("default") });
const TO_UPPER = { additional_param: [{ type: "StringToUpperCase" }] };

/** `step.run(data=..., data_operations=..., switch=...)`, data resolved from parameters. */
function properties(data: Record<string, unknown>, dataOperations: Record<string, unknown>, switchDefinition: unknown) {
  return { data: fromInputs(Object.keys(data)), data_operations: dataOperations, switch: switchDefinition };
}

const RESULTS = [
  {
    test: "test_block_run_when_no_data_provided_and_static_output_to_be_returned",
    data: {},
    dataOperations: {},
    switch: { type: "CasesDefinition", cases: [], default: staticResult("static-value") },
    expected: "static-value",
  },
  {
    test: "test_block_run_when_data_provided_and_default_output_to_be_returned",
    data: { input_list: [1, 2] },
    dataOperations: {},
    switch: switchOf([caseOnInputList("(Sequence) is empty", staticResult("some"))]),
    expected: "default",
  },
  {
    test: "test_block_run_when_data_provided_and_first_matching_case_to_be_returned",
    data: { input_list: [1, 2] },
    dataOperations: {},
    switch: switchOf([
      caseOnInputList("(Sequence) is empty", staticResult("not-matching")),
      caseOnInputList("(Sequence) is not empty", staticResult("first-matching")),
      caseOnInputList("(Sequence) is not empty", staticResult("second-matching")),
    ]),
    expected: "first-matching",
  },
  {
    test: "test_block_run_when_data_provided_and_data_operations_to_be_performed",
    data: { input_list: [1, 2], additional_param: "some" },
    dataOperations: TO_UPPER,
    switch: switchOf([caseOnInputList("(Sequence) is not empty", additionalParam())]),
    expected: "SOME",
  },
  {
    test: "test_block_run_when_data_provided_and_operations_on_dynamic_result_to_be_performed",
    data: { input_list: [1, 2], additional_param: "some" },
    dataOperations: TO_UPPER,
    switch: switchOf([caseOnInputList("(Sequence) is not empty", additionalParam([{ type: "LookupTable", lookup_table: { SOME: "MUTATED" } }]))]),
    expected: "MUTATED",
  },
];

describe("test_expression.py", () => {
  it.each(RESULTS)("$test", async ({ data, dataOperations, switch: switchDefinition, expected }) => {
    expect(await runStep(TYPE, properties(data, dataOperations, switchDefinition), data)).toEqual({ output: expected });
  });

  it("test_block_run_when_uql_error_happens", async () => {
    const data = { input_list: 1 };
    const error = await stepFailure(TYPE, properties(data, {}, switchOf([caseOnInputList("(Sequence) is empty", staticResult("some"))])), data);
    expect(error.errorType).toBe("EvaluationEngineError");
    expect(error.message).toMatch(
      /^Attempted to execute evaluation of type: UnaryStatement in context <root>\.statements\[0\], but encountered error: object of type 'int' has no len\(\)/,
    );
  });

  it("test_block_run_when_data_provided_and_missing_variable_detected_on_data_operations", () => {
    // Deliberate difference (docs/reference/workflows.md#deliberate-differences-from-upstream,
    // "Definitions and errors"): upstream's KeyError comes when the step runs; sightline refuses
    // data_operations on a name that is not in data when compiling.
    const error = compileFailure(
      TYPE,
      properties({ input_list: [1, 2] }, TO_UPPER, switchOf([caseOnInputList("(Sequence) is not empty", additionalParam())])),
      {
        input_list: [1, 2],
      },
    );
    expect(error.errorType).toBe("WorkflowSyntaxError");
    expect(error.message).toContain('"additional_param" is not a key of data');
  });

  it("test_block_run_when_data_provided_and_missing_variable_detected_in_output_building", async () => {
    const data = { input_list: [1, 2] };
    const error = await stepFailure(TYPE, properties(data, {}, switchOf([caseOnInputList("(Sequence) is not empty", additionalParam())])), data);
    expectInnerError(error, "KeyError", "'additional_param'");
  });

  it("test_block_run_when_data_provided_and_missing_variable_detected_in_uql_building", async () => {
    const data = { additional_param: "some" };
    const error = await stepFailure(TYPE, properties(data, {}, switchOf([caseOnInputList("(Sequence) is not empty", additionalParam())])), data);
    expect(error.errorType).toBe("UndeclaredSymbolError");
  });
});
