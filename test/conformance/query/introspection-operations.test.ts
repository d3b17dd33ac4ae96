/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/test_introspection_operations.py
 * (see NOTICE.md). `prepare_operations_descriptions()` is what `/workflows/blocks/describe` reports
 * as `universal_query_language_description.operations_description`.
 */
import { describe, expect, it } from "vitest";
import { describeQueryLanguage } from "../../../src/query/index.js";

describe("test_introspection_operations.py", () => {
  it("test_detections_property_extract_includes_property_name_options_with_area_fields", () => {
    const detectionsExtract = describeQueryLanguage().operations_description.find((operation) => operation.operation_type === "DetectionsPropertyExtract");
    expect(detectionsExtract).toBeDefined();
    expect(detectionsExtract?.property_name_options).not.toBeNull();
    expect(detectionsExtract?.property_name_options).toContain("area_px");
    expect(detectionsExtract?.property_name_options).toContain("area_converted");
  });
});
