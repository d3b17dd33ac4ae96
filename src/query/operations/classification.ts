/**
 * Reading classification predictions: `{"predictions": [{class, class_id, confidence}…], "top",
 * "confidence"}` from single-label models (and CLIP comparison v2), or multi-label ones whose
 * `predictions` is a dict by class name and which list `predicted_classes`.
 */
import { pythonGetItem, pythonExtreme } from "../python/sequences.js";
import { isDict, pythonIterate, type PyDict } from "../python/types.js";
import { expectDict, type OperationBuilders } from "./context.js";

function predictedClasses(prediction: PyDict): unknown {
  return Object.hasOwn(prediction, "predicted_classes") ? prediction.predicted_classes : [];
}

function predictedConfidences(prediction: PyDict): unknown[] {
  const predictions = pythonGetItem(prediction, "predictions");
  return pythonIterate(predictedClasses(prediction)).map((name) => pythonGetItem(pythonGetItem(predictions, name), "confidence"));
}

/** Per-class values of `field`, in class order (list order, or by `class_id` for a dict). */
function perClass(prediction: PyDict, field: "class" | "confidence"): unknown[] {
  const predictions = pythonGetItem(prediction, "predictions");
  if (!isDict(predictions)) return pythonIterate(predictions).map((entry) => pythonGetItem(entry, field));
  const byId = new Map<number, unknown>();
  for (const [name, entry] of Object.entries(predictions)) {
    byId.set(Number(pythonGetItem(entry, "class_id")), field === "class" ? name : pythonGetItem(entry, "confidence"));
  }
  return [...byId.keys()].sort((a, b) => a - b).map((id) => byId.get(id));
}

const EXTRACTORS = {
  top_class: (prediction: PyDict) => (Object.hasOwn(prediction, "top") ? prediction.top : predictedClasses(prediction)),
  top_class_confidence: (prediction: PyDict) => (Object.hasOwn(prediction, "confidence") ? prediction.confidence : predictedConfidences(prediction)),
  top_class_confidence_single: (prediction: PyDict) => {
    if (Object.hasOwn(prediction, "confidence")) return prediction.confidence;
    const confidences = predictedConfidences(prediction);
    return confidences.length === 0 ? 0 : pythonExtreme(confidences, "max");
  },
  all_classes: (prediction: PyDict) => perClass(prediction, "class"),
  all_confidences: (prediction: PyDict) => perClass(prediction, "confidence"),
} as const;

export const CLASSIFICATION_OPERATIONS: OperationBuilders<"ClassificationPropertyExtract"> = {
  ClassificationPropertyExtract: ({ property_name }) => {
    const extract = EXTRACTORS[property_name];
    return (value) => extract(expectDict(value, "a classification prediction (dict)"));
  },
};
