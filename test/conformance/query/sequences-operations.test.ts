/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_sequences_operations.py
 * (see NOTICE.md).
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError, OperationError, WorkflowError } from "../../../src/errors/index.js";
import { executeOperations } from "./upstream.js";

/** pytest names a list parameter `value<N>` and shows `\n` escaped. */
const SEQUENCE_JOIN = [
  { value: ["a", "b", "c"], separator: ", ", expected: "a, b, c" },
  { value: ["a"], separator: ", ", expected: "a" },
  { value: [], separator: ", ", expected: "" },
  { value: [1, 2, 3], separator: "-", expected: "1-2-3" },
  { value: ["a", "b"], separator: "\n", expected: "a\nb" },
].map((row, index) => ({ ...row, id: `value${index}-${row.separator}-${row.expected}`.replaceAll("\n", "\\n") }));

describe("test_sequences_operations.py", () => {
  it.each(SEQUENCE_JOIN)("test_sequence_join_operation[$id]", ({ value, separator, expected }) => {
    expect(executeOperations(value, [{ type: "SequenceJoin", separator }])).toBe(expected);
  });

  it("test_sequence_join_operation_default_separator", () => {
    expect(executeOperations(["a", "b"], [{ type: "SequenceJoin" }])).toBe("a, b");
  });

  it("test_sequence_join_operation_invalid_input_raises", () => {
    expect(() => executeOperations(123, [{ type: "SequenceJoin", separator: ", " }])).toThrow(InvalidInputTypeError);
  });

  it("test_sequence_join_operation_when_output_exceeds_length_limit", () => {
    let error: unknown;
    try {
      executeOperations(
        Array.from({ length: 3 }, () => "a".repeat(400_000)),
        [{ type: "SequenceJoin", separator: ", " }],
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OperationError);
    expect((error as WorkflowError).message).toContain("1000000");
  });

  it("test_sequence_join_operation_when_output_is_within_length_limit", () => {
    expect(executeOperations(["a".repeat(10), "b".repeat(10)], [{ type: "SequenceJoin", separator: ", " }])).toBe(`${"a".repeat(10)}, ${"b".repeat(10)}`);
  });
});
