/**
 * The query language as `/workflows/blocks/describe` reports it
 * (`universal_query_language_description`, docs/reference/http.md#workflowsblocksdescribe): each
 * operation with its input / output kinds, each comparator and operator with its operands' kinds.
 * Read from the schemas' metadata.
 */
import { z } from "zod";
import { kindObjects } from "../kinds/index.js";
import type { OperationDescription, OperatorDescription, QueryLanguageDescription } from "./description.js";
import { BINARY_COMPARATOR_SCHEMAS, OPERATION_SCHEMAS, UNARY_OPERATOR_SCHEMAS, type OperationMetadata, type OperatorMetadata } from "./schemas.js";

/** Upstream's `property_name_options`: the values of an operation's `property_name`, if it has one. */
function propertyNameOptions(shape: Record<string, unknown>, meta: OperationMetadata): string[] | null {
  const property = shape.property_name;
  if (property instanceof z.ZodEnum) return property.options.map(String);
  return meta.property_name_options ? [...meta.property_name_options] : null;
}

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
      property_name_options: propertyNameOptions(schema.shape, meta),
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
