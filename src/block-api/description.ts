/**
 * A block as `/workflows/blocks/describe` lists it (upstream's field names). Types only, and no
 * import that reaches Node, so the browser bundle can take them (`src/ui/wire.ts`).
 */
import type { Kind } from "../kinds/kind.js";

export type JsonSchema = Record<string, unknown>;

export interface BlockDescription {
  block_schema: JsonSchema;
  outputs_manifest: { name: string; kind: Kind[] }[];
  block_source: string;
  fully_qualified_block_class_name: string;
  human_friendly_block_name: string;
  manifest_type_identifier: string;
  manifest_type_identifier_aliases: string[];
  execution_engine_compatibility: string;
  input_dimensionality_offsets: Record<string, number>;
  dimensionality_reference_property: string | null;
  output_dimensionality_offset: number;
  block_family: string;
  flow_control: boolean;
  stateful: boolean;
  accepts_empty_values: boolean;
  restrictions: string[];
}
