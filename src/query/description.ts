/**
 * The shape of `universal_query_language_description`
 * (docs/reference/http.md#workflowsblocksdescribe). Types only, and no import that reaches Node, so
 * the browser bundle can take them with the rest of the describe answer.
 */
import type { Kind } from "../kinds/kind.js";

export interface OperationDescription {
  operation_type: string;
  compound: boolean;
  input_kind: Kind[];
  output_kind: Kind[];
  nested_operation_input_kind: Kind[] | null;
  nested_operation_output_kind: Kind[] | null;
  description: string | null;
  /** The names `property_name` takes, for operations that extract a property; otherwise null. */
  property_name_options: string[] | null;
}

export interface OperatorDescription {
  operator_type: string;
  operands_number: number;
  operands_kinds: Kind[][];
  description: string | null;
}

export interface QueryLanguageDescription {
  operations_description: OperationDescription[];
  operators_descriptions: OperatorDescription[];
}
