/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_strings_operations.py
 * (see NOTICE.md).
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError } from "../../../src/errors/index.js";
import { executeOperations } from "./upstream.js";

const STRING_MATCHES = (
  [
    ["hello", "hello", true],
    ["hello world", "hello", true],
    ["say hello", "hello", true],
    ["hello", "^hello$", true],
    ["hello", "world", false],
    ["world", "hello", false],
    ["hell", "hello", false],
  ] as const
).map(([value, regex, expected]) => ({ value, regex, expected, id: `${value}-${regex}-${expected ? "True" : "False"}` }));

describe("test_strings_operations.py", () => {
  it.each(STRING_MATCHES)("test_string_matches_operation[$id]", ({ value, regex, expected }) => {
    expect(executeOperations(value, [{ type: "StringMatches", regex }])).toBe(expected);
  });

  it("test_string_matches_operation_invalid_input_raises", () => {
    expect(() => executeOperations(123, [{ type: "StringMatches", regex: "hello" }])).toThrow(InvalidInputTypeError);
  });
});
