/**
 * The query language as `/workflows/blocks/describe` reports it
 * (`universal_query_language_description`, docs/reference/http.md#workflowsblocksdescribe): each
 * operation with its input / output kinds, each comparator and operator with its operands' kinds.
 * Read from the schemas' metadata.
 */
import { kindObjects } from "../kinds/index.js";
import type { OperationDescription, OperatorDescription, QueryLanguageDescription } from "./description.js";
import { BINARY_COMPARATOR_SCHEMAS, OPERATION_SCHEMAS, UNARY_OPERATOR_SCHEMAS, type OperationMetadata, type OperatorMetadata } from "./schemas.js";

function describeOperations(): OperationDescription[] {
  return OPERATION_SCHEMAS.map((schema) => {
    const meta = schema.meta() as OperationMetadata;
    return {
      operation_type: schema.shape.type.value,
      compound: meta.compound ?? false,
      input_kind: kindObjects(meta.input_kind),
      output_kind: kindObjects(meta.output_kind),
      nested_operation_input_kind: meta.nested_operation_input_kind ? kindObjects(meta.nested_operation_input_kind) : null,
      nested_operation_output_kind: meta.nested_operation_output_kind ? kindObjects(meta.nested_operation_output_kind) : null,
      description: meta.description,
    };
  });
}

function describeOperators(): OperatorDescription[] {
  return [...BINARY_COMPARATOR_SCHEMAS, ...UNARY_OPERATOR_SCHEMAS].flatMap((schema) => {
    const meta = schema.meta() as OperatorMetadata;
    // One entry per alias, as upstream lists "(Number) ==" and "==" separately.
    return [...schema.shape.type.values].map((alias) => ({
      operator_type: alias,
      operands_number: meta.operands_number,
      operands_kinds: meta.operands_kinds.map((names) => kindObjects(names)),
      description: meta.description,
    }));
  });
}

let description: QueryLanguageDescription | undefined;

/** The describe route's `universal_query_language_description`; built once. */
export function describeQueryLanguage(): QueryLanguageDescription {
  description ??= { operations_description: describeOperations(), operators_descriptions: describeOperators() };
  return description;
}
