/**
 * Upstream's entry points of the query language, as its tests call them, over sightline's
 * implementation: `execute_operations` (parse the chain, build it, run it) and `evaluate`
 * (parse a statement group, build it, run it on named values); and the data its tests share.
 */
import { compileCondition, compileOperations, parseOperations, parseStatementGroup, type QueryGlobals } from "../../../src/query/index.js";

/** `execute_operations(value=..., operations=..., global_parameters=...)`. */
export function executeOperations(value: unknown, operations: unknown, globalParameters: QueryGlobals = {}): unknown {
  return compileOperations(parseOperations(operations))(value, globalParameters);
}

/** `build_eval_function(StatementGroup.model_validate(definition))(values)`. */
export function evaluate(definition: unknown, values: QueryGlobals): boolean {
  return compileCondition(parseStatementGroup(definition))(values);
}

/**
 * The multi-class prediction upstream's classification tests build:
 * `ClassificationInferenceResponse(image=(128, 256), predictions=[cat 0.6, dog 0.4], top="cat",
 * confidence=0.6, parent_id="some").dict(by_alias=True, exclude_none=True)`.
 */
export const MULTI_CLASS_PREDICTION = {
  image: { width: 128, height: 256 },
  predictions: [
    { class: "cat", class_id: 0, confidence: 0.6 },
    { class: "dog", class_id: 1, confidence: 0.4 },
  ],
  top: "cat",
  confidence: 0.6,
  parent_id: "some",
};
