/**
 * Upstream: tests/workflows/unit_tests/core_steps/control_flow/test_control_flow.py (see
 * NOTICE.md): `test_continue_if_evaluation`, which runs the query language's
 * `build_eval_function` on `continue_if` conditions.
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "./upstream.js";

/** `{"type": "StatementGroup", "statements": [left <comparator> right]}` with static operands. */
function condition(left: unknown, comparator: string, right: unknown) {
  return {
    type: "StatementGroup",
    statements: [
      {
        type: "BinaryStatement",
        left_operand: { type: "StaticOperand", value: left },
        comparator: { type: comparator },
        right_operand: { type: "StaticOperand", value: right },
      },
    ],
  };
}

/** pytest names these `condition_statement0-evaluation_parameters0-True` and so on. */
const CASES = [
  { name: "EXACT_MATCH_PASS", condition: condition(["lion", "zebra"], "==", ["lion", "zebra"]), parameters: {}, expected: true },
  { name: "EXACT_MATCH_FAIL", condition: condition(["lion", "zebra"], "==", ["lion", "zebra", "elephant"]), parameters: {}, expected: false },
  { name: "ANY_MATCH_PASS", condition: condition(["lion", "zebra"], "any in (Sequence)", ["cat", "zebra", "dog"]), parameters: {}, expected: true },
  { name: "ANY_MATCH_FAIL", condition: condition(["lion", "zebra"], "any in (Sequence)", ["cat", "elephant", "dog"]), parameters: {}, expected: false },
  {
    name: "ALL_MATCH_PASS",
    condition: condition(["lion", "zebra"], "all in (Sequence)", ["zebra", "lion"]),
    parameters: { left: "$steps.multi_label_classes.predictions" },
    expected: true,
  },
  {
    name: "ALL_MATCH_FAIL",
    condition: condition(["lion", "dog"], "all in (Sequence)", ["zebra", "lion"]),
    parameters: { left: "$steps.multi_label_classes.predictions" },
    expected: false,
  },
].map((row, index) => ({ ...row, id: `condition_statement${index}-evaluation_parameters${index}-${row.expected ? "True" : "False"}` }));

describe("test_control_flow.py", () => {
  it.each(CASES)("test_continue_if_evaluation[$id] (CONTINUE_IF_MULTI_LABEL_$name)", ({ condition: definition, parameters, expected }) => {
    expect(evaluate(definition, parameters)).toBe(expected);
  });
});
