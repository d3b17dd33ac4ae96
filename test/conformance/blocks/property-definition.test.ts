/**
 * Upstream: tests/workflows/unit_tests/core_steps/formatters/test_property_extraction.py (see
 * test/conformance/query/NOTICE.md): the case on a classification prediction. The others extract
 * properties of `sv.Detections` or of tensor-native predictions, which sightline does not have.
 */
import { describe, expect, it } from "vitest";
import { MULTI_CLASS_PREDICTION } from "../query/upstream.js";
import { runStep } from "./formatter-step.js";

describe("test_property_extraction.py", () => {
  it("test_property_extraction_block", async () => {
    const operations = [
      { type: "ClassificationPropertyExtract", property_name: "top_class" },
      { type: "LookupTable", lookup_table: { cat: "cat-mutated" } },
    ];
    expect(await runStep("roboflow_core/property_definition@v1", { data: "$inputs.data", operations }, { data: MULTI_CLASS_PREDICTION })).toEqual({
      output: "cat-mutated",
    });
  });
});
