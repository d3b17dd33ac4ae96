/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_dictionaries_operations.py
 * (see NOTICE.md).
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError, OperationError } from "../../../src/errors/index.js";
import { executeOperations } from "./upstream.js";

const operations = [{ type: "ConvertDictionaryToJSON" }];

describe("test_dictionaries_operations.py", () => {
  it("test_dictionary_to_json_when_invalid_input_is_provided", () => {
    expect(() => executeOperations("some", operations)).toThrow(InvalidInputTypeError);
  });

  it("test_dictionary_to_json_when_valid_input_is_provided", () => {
    const data = { some: "data" };
    expect(JSON.parse(executeOperations(data, operations) as string)).toEqual(data);
  });

  it("test_dictionary_to_json_when_non_serializable_input_is_provided", () => {
    // Upstream's value is a Python set, {"a", "b"}; a JavaScript Set is its counterpart.
    expect(() => executeOperations({ some: new Set(["a", "b"]) }, operations)).toThrow(OperationError);
  });
});
