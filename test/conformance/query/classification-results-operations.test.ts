/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_classification_results_operations.py
 * (see NOTICE.md). The predictions are upstream's response objects as `.dict(by_alias=True,
 * exclude_none=True)` gives them; the `*_tensor_native` variants take `inference_models` tensors,
 * which sightline does not have, and are left out.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError } from "../../../src/errors/index.js";
import { executeOperations, MULTI_CLASS_PREDICTION } from "./upstream.js";

/** `MultiLabelClassificationInferenceResponse(...)` with cat (0.6) and dog (0.4). */
function multiLabel(predictedClasses: string[], extra: Record<string, { class_id: number; confidence: number }> = {}) {
  return {
    image: { width: 128, height: 256 },
    predictions: { cat: { confidence: 0.6, class_id: 0 }, dog: { confidence: 0.4, class_id: 1 }, ...extra },
    predicted_classes: predictedClasses,
  };
}

const CASES: { test: string; property_name: string; data: unknown; expected: unknown }[] = [
  {
    test: "test_classification_result_extraction_of_top_class_for_multi_class_classification_result",
    property_name: "top_class",
    data: MULTI_CLASS_PREDICTION,
    expected: "cat",
  },
  {
    test: "test_classification_result_extraction_of_top_class_for_multi_label_classification_result_when_no_class_detected",
    property_name: "top_class",
    data: multiLabel([]),
    expected: [],
  },
  {
    test: "test_classification_result_extraction_of_top_class_for_multi_label_classification_result_when_classes_detected",
    property_name: "top_class",
    data: multiLabel(["cat", "dog"]),
    expected: ["cat", "dog"],
  },
  {
    test: "test_classification_result_extraction_of_top_class_confidence_for_multi_class_classification_result",
    property_name: "top_class_confidence",
    data: MULTI_CLASS_PREDICTION,
    expected: 0.6,
  },
  {
    test: "test_classification_result_extraction_of_top_class_confidence_for_multi_label_classification_result_when_no_class_detected",
    property_name: "top_class_confidence",
    data: multiLabel([]),
    expected: [],
  },
  {
    test: "test_classification_result_extraction_of_top_class_confidence_for_multi_label_classification_result_when_class_detected",
    property_name: "top_class_confidence",
    data: multiLabel(["dog"]),
    expected: [0.4],
  },
  {
    test: "test_classification_result_extraction_of_top_class_confidence_single_for_multi_label_classification_result_when_class_detected",
    property_name: "top_class_confidence_single",
    data: multiLabel(["cat", "dog"]),
    expected: 0.6,
  },
  {
    test: "test_classification_result_extraction_of_top_class_confidence_single_for_multi_label_classification_result_when_no_classes_detected",
    property_name: "top_class_confidence_single",
    data: multiLabel([]),
    expected: 0.0,
  },
  {
    test: "test_classification_result_extraction_of_all_classes_for_multi_class_classification_result",
    property_name: "all_classes",
    data: MULTI_CLASS_PREDICTION,
    expected: ["cat", "dog"],
  },
  {
    test: "test_classification_result_extraction_of_all_classes_for_multi_label_classification_result",
    property_name: "all_classes",
    data: multiLabel(["dog"], { animal: { class_id: 3, confidence: 0.0 } }),
    expected: ["cat", "dog", "animal"],
  },
  {
    test: "test_classification_result_extraction_of_all_confidences_for_multi_class_classification_result",
    property_name: "all_confidences",
    data: MULTI_CLASS_PREDICTION,
    expected: [0.6, 0.4],
  },
  {
    test: "test_classification_result_extraction_of_all_confidences_for_multi_label_classification_result",
    property_name: "all_confidences",
    // Upstream lists animal (class 3) before dog here: the order follows class ids, not the dict.
    data: {
      image: { width: 128, height: 256 },
      predictions: { cat: { confidence: 0.6, class_id: 0 }, animal: { confidence: 0.0, class_id: 3 }, dog: { confidence: 0.4, class_id: 1 } },
      predicted_classes: ["dog"],
    },
    expected: [0.6, 0.4, 0.0],
  },
];

describe("test_classification_results_operations.py", () => {
  it("test_classification_result_extraction_when_data_is_empty", () => {
    expect(() => executeOperations(null, [{ type: "ClassificationPropertyExtract", property_name: "top_class" }])).toThrow(InvalidInputTypeError);
  });

  it.each(CASES)("$test", ({ property_name, data, expected }) => {
    expect(executeOperations(data, [{ type: "ClassificationPropertyExtract", property_name }])).toEqual(expected);
  });
});
