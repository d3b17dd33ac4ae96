/**
 * Upstream: tests/workflows/unit_tests/core_steps/formatters/test_first_non_empty_or_default.py
 * (see test/conformance/query/NOTICE.md). Upstream's `Batch(content=[…])` is the list of values
 * the `data` selectors resolve to, in order.
 */
import { describe, expect, it } from "vitest";
import { runStep } from "./formatter-step.js";

const CASES = [
  { test: "test_block_run_when_only_empty_data_provided", content: [null, null, null], expected: "some" },
  { test: "test_block_run_when_only_empty_single_non_empty_data_element_provided", content: [null, "non-empty", null], expected: "non-empty" },
  { test: "test_block_run_when_only_empty_multiple_non_empty_data_element_provided", content: [null, "non-empty", "another-non-empty"], expected: "non-empty" },
];

describe("test_first_non_empty_or_default.py", () => {
  it.each(CASES)("$test", async ({ content, expected }) => {
    const parameters = Object.fromEntries(content.map((value, index) => [`data_${index}`, value]));
    const data = Object.keys(parameters).map((name) => `$inputs.${name}`);
    expect(await runStep("roboflow_core/first_non_empty_or_default@v1", { data, default: "some" }, parameters)).toEqual({ output: expected });
  });
});
