/**
 * The answer of `/workflows/blocks/describe` (and `sightline blocks --json`). Types only, and no
 * import that reaches Node, so the browser bundle can take them (`src/ui/wire.ts`).
 */
import type { BlockDescription, JsonSchema } from "../block-api/description.js";
import type { Kind } from "../kinds/kind.js";
import type { OperationDescription, QueryLanguageDescription } from "../query/description.js";

export interface KindConnection {
  manifest_type_identifier: string;
  property_name: string;
  property_description: string;
  compatible_element: string;
  is_list_element: boolean;
  is_dict_element: boolean;
}

/** An operation as the describe answer lists it: with upstream's `property_name_options`. */
export interface DescribedOperation extends OperationDescription {
  /** The values `property_name` may take (`ExtractImageProperty`: size, height, …); null for operations without a listed one. */
  property_name_options: string[] | null;
}

export interface DescribedQueryLanguage extends QueryLanguageDescription {
  operations_description: DescribedOperation[];
}

export interface BlocksDescription {
  blocks: BlockDescription[];
  declared_kinds: Kind[];
  kinds_connections: Record<string, KindConnection[]>;
  primitives_connections: { manifest_type_identifier: string; property_name: string; property_description: string; type_annotation: string }[];
  universal_query_language_description: DescribedQueryLanguage;
  dynamic_block_definition_schema: JsonSchema;
}
