/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_detections_operations.py
 * and operations/detections/test_base.py (see NOTICE.md): the cases on values that are not
 * detections. The cases on `sv.Detections` are ported to sightline's `Detections` in
 * test/detection/query-operations.test.ts; the tensor-native ones are left out.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError } from "../../../src/errors/index.js";
import { executeOperations } from "./upstream.js";

describe("test_detections_operations.py", () => {
  it("test_detections_to_dictionary_when_invalid_input_is_provided", () => {
    expect(() => executeOperations("invalid", [{ type: "DetectionsToDictionary" }])).toThrow(InvalidInputTypeError);
  });

  it("test_picking_detections_by_parent_class_when_invalid_input_provided", () => {
    expect(() => executeOperations("FOR SURE NOT DETECTIONS", [{ type: "PickDetectionsByParentClass", parent_class: "a" }])).toThrow(InvalidInputTypeError);
  });
});

describe("detections/test_base.py", () => {
  it("test_rename_detections_when_not_sv_detections_provided", () => {
    // Upstream calls `rename_detections(...)` directly; the operation runs the same function.
    const operations = [{ type: "DetectionsRename", class_map: { a: "b" }, strict: true, new_classes_id_offset: 0 }];
    expect(() => executeOperations("invalid", operations, {})).toThrow(InvalidInputTypeError);
  });
});
