/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_numbers_operations.py
 * (see NOTICE.md).
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError } from "../../../src/errors/index.js";
import { executeOperations } from "./upstream.js";

/**
 * `test_to_number_operation`: value, cast_to, expected, and `str(expected)` — upstream also asserts
 * `type(result) is type(expected)`; JavaScript has one number type, so the int / float distinction
 * is checked where it shows, in `str()` of the result (`ToString` after the cast).
 */
const TO_NUMBER = [
  { value: "42", castTo: "int", expected: 42, expectedStr: "42" },
  { value: "0", castTo: "int", expected: 0, expectedStr: "0" },
  { value: "3.14", castTo: "int", expected: 3, expectedStr: "3" },
  { value: "0.5", castTo: "float", expected: 0.5, expectedStr: "0.5" },
  { value: "42", castTo: "float", expected: 42.0, expectedStr: "42.0" },
  { value: "3.14", castTo: "float", expected: 3.14, expectedStr: "3.14" },
].map((row) => ({ ...row, id: `${row.value}-${row.castTo}-${row.expectedStr}` }));

describe("test_numbers_operations.py", () => {
  it.each(TO_NUMBER)("test_to_number_operation[$id]", ({ value, castTo, expected, expectedStr }) => {
    const operations = [{ type: "ToNumber", cast_to: castTo }];
    expect(executeOperations(value, operations)).toBe(expected);
    expect(executeOperations(value, [...operations, { type: "ToString" }])).toBe(expectedStr);
  });

  it("test_to_number_operation_invalid_input_raises", () => {
    expect(() => executeOperations("not a number", [{ type: "ToNumber", cast_to: "int" }])).toThrow(InvalidInputTypeError);
  });
});
