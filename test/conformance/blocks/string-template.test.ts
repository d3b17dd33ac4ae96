/**
 * Upstream: tests/workflows/unit_tests/core_steps/formatters/test_string_template.py (see
 * test/conformance/query/NOTICE.md). `pytest.raises(ValueError)` + "fragment in str(error)" is
 * `expectInnerError(error, "ValueError", fragment)`.
 */
import { describe, expect, it } from "vitest";
import { compile } from "../../../src/index.js";
import { rejectionOf } from "../../helpers/errors.js";
import { compileFailure, expectInnerError, fromInputs, runStep, stepFailure } from "./formatter-step.js";

const TYPE = "roboflow_core/string_template@v1";

/** `step.run(template=..., data=..., data_operations=...)`: data values resolved from parameters. */
function run(template: string, data: Record<string, unknown>, dataOperations: Record<string, unknown> = {}) {
  return runStep(TYPE, { template, data: fromInputs(Object.keys(data)), data_operations: dataOperations }, data);
}

function failure(template: string, data: Record<string, unknown>) {
  return stepFailure(TYPE, { template, data: fromInputs(Object.keys(data)) }, data);
}

/** Runs that succeed: template, data (resolved), data_operations, expected output. */
const RENDERED = [
  { test: "test_block_run_when_template_has_no_placeholders", template: "static prompt", data: {}, dataOperations: {}, expected: "static prompt" },
  {
    test: "test_block_run_when_placeholders_filled_from_data",
    template: "Found {count} instances of {label}",
    data: { count: 3, label: "person" },
    dataOperations: {},
    expected: "Found 3 instances of person",
  },
  {
    test: "test_block_run_when_extra_variables_declared_in_data",
    template: "Hello {name}",
    data: { name: "world", unused: "value" },
    dataOperations: {},
    expected: "Hello world",
  },
  {
    test: "test_block_run_when_data_operations_transform_variable_before_substitution",
    template: "This facing contains one of: {sku_list}. Answer with the product name or NONE.",
    data: { sku_list: ["SKU-1", "SKU-2", "SKU-3"] },
    dataOperations: { sku_list: [{ type: "SequenceJoin", separator: ", " }] },
    expected: "This facing contains one of: SKU-1, SKU-2, SKU-3. Answer with the product name or NONE.",
  },
  {
    test: "test_block_run_when_template_contains_literal_braces",
    template: 'Answer in JSON: {{"class": "{label}"}}',
    data: { label: "person" },
    dataOperations: {},
    expected: 'Answer in JSON: {"class": "person"}',
  },
  {
    test: "test_block_run_when_format_spec_used",
    template: "Confidence: {confidence:.2f}",
    data: { confidence: 0.98765 },
    dataOperations: {},
    expected: "Confidence: 0.99",
  },
  {
    test: "test_block_run_when_nested_format_spec_variable_is_declared",
    template: "Confidence: {confidence:{width}}",
    data: { confidence: 0.98765, width: ".2f" },
    dataOperations: {},
    expected: "Confidence: 0.99",
  },
  {
    test: "test_block_run_when_format_specs_are_within_limits",
    template: "{confidence:.2f} {value:>10}",
    data: { confidence: 0.12345, value: "ok" },
    dataOperations: {},
    expected: "0.12         ok",
  },
];

/** Runs that raise `ValueError`: template, data (resolved), and what `str(error)` contains. */
const VALUE_ERRORS: { test: string; template: string; data: Record<string, unknown>; fragment: string }[] = [
  {
    test: "test_block_run_when_nested_format_spec_variable_is_undeclared",
    template: "Confidence: {confidence:{width}}",
    data: { confidence: 0.98765 },
    fragment: "width",
  },
  {
    test: "test_block_run_when_nested_format_spec_uses_attribute_access",
    template: "{x:{y.__class__}}",
    data: { x: 1, y: "world" },
    fragment: "attribute or index access",
  },
  { test: "test_block_run_when_nested_format_spec_uses_positional_placeholder", template: "{x:{0}}", data: { x: 1 }, fragment: "positional" },
  { test: "test_block_run_when_template_references_undeclared_variable", template: "Hello {name}", data: {}, fragment: "name" },
  { test: "test_block_run_when_template_uses_positional_placeholder", template: "Hello {}", data: { name: "world" }, fragment: "positional" },
  { test: "test_block_run_when_template_uses_indexed_placeholder", template: "Hello {0}", data: { name: "world" }, fragment: "positional" },
  { test: "test_block_run_when_template_uses_attribute_access", template: "{name.__class__}", data: { name: "world" }, fragment: "attribute or index access" },
  { test: "test_block_run_when_template_uses_index_access", template: "{names[0]}", data: { names: ["world"] }, fragment: "attribute or index access" },
  { test: "test_block_run_when_template_has_unbalanced_brace", template: "Hello {name", data: { name: "world" }, fragment: "could not parse template" },
  { test: "test_block_run_when_format_spec_declares_huge_literal_width", template: "{value:1000000000}", data: { value: "x" }, fragment: "10000" },
  {
    test: "test_block_run_when_format_spec_declares_huge_width_at_runtime",
    template: "{value:{width}}",
    data: { value: "x", width: "999999999" },
    fragment: "10000",
  },
  { test: "test_block_run_when_format_spec_declares_huge_precision", template: "{value:.999999999f}", data: { value: 1.5 }, fragment: "10000" },
  { test: "test_block_run_when_rendered_output_exceeds_length_limit", template: "{value}{value}", data: { value: "a".repeat(600_000) }, fragment: "1000000" },
];

describe("test_string_template.py", () => {
  it.each(RENDERED)("$test", async ({ template, data, dataOperations, expected }) => {
    expect(await run(template, data, dataOperations)).toEqual({ output: expected });
  });

  it.each(VALUE_ERRORS)("$test", async ({ template, data, fragment }) => {
    expectInnerError(await failure(template, data), "ValueError", fragment);
  });

  it("test_block_run_when_template_is_not_a_string", async () => {
    // A workflow parameter that does not fit `template` is refused before the step runs
    // (RuntimeInputError); another step's output is not, so 42 comes from one.
    const error = await rejectionOf(
      compile({
        version: "1.0",
        inputs: [{ type: "WorkflowParameter", name: "value" }],
        steps: [
          { type: "roboflow_core/property_definition@v1", name: "number", data: "$inputs.value", operations: [] },
          { type: TYPE, name: "step", template: "$steps.number.output", data: {} },
        ],
        outputs: [{ type: "JsonField", name: "output", selector: "$steps.step.output" }],
      }).run({ value: 42 }),
    );
    expectInnerError(error, "ValueError", "expected template to be a string");
  });

  it("test_block_run_when_operations_declared_for_undeclared_variable", () => {
    // Deliberate difference (docs/reference/workflows.md#deliberate-differences-from-upstream,
    // "Definitions and errors"): upstream raises this ValueError when the step runs; the
    // definition is wrong whatever the inputs, so sightline refuses it when compiling, with
    // upstream's message.
    const error = compileFailure(TYPE, {
      template: "Hello {name}",
      data: fromInputs(["name"]),
      data_operations: { other: [{ type: "SequenceJoin", separator: ", " }] },
    });
    expect(error.errorType).toBe("WorkflowSyntaxError");
    expect(error.message).toContain("other");
    expect(error.message).toContain(
      "String Template block defines operations for variable `other` which is not declared in data. Declared variables: ['name'].",
    );
  });
});
