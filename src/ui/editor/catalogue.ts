/**
 * The block catalogue as the editor uses it, read from `/workflows/blocks/describe`'s answer.
 * Pure; no React.
 */
import type { BlockDescription, BlocksDescription } from "../wire.js";
import { propertyModels, type PropertyModel } from "./schema.js";

export interface BlockInfo {
  type: string;
  aliases: string[];
  title: string;
  family: string;
  description: string;
  flowControl: boolean;
  stateful: boolean;
  outputs: { name: string; kinds: string[] }[];
  properties: PropertyModel[];
}

export interface Catalogue {
  blocks: BlockInfo[];
  /** By `type` id and by every alias. */
  byType: ReadonlyMap<string, BlockInfo>;
}

export const EMPTY_CATALOGUE: Catalogue = { blocks: [], byType: new Map() };

function blockInfo(description: BlockDescription): BlockInfo {
  const schema = description.block_schema;
  return {
    type: description.manifest_type_identifier,
    aliases: description.manifest_type_identifier_aliases,
    title: description.human_friendly_block_name,
    family: description.block_family,
    description: typeof schema.description === "string" ? schema.description : "",
    flowControl: description.flow_control,
    stateful: description.stateful,
    outputs: description.outputs_manifest.map((output) => ({ name: output.name, kinds: output.kind.map((kind) => kind.name) })),
    properties: propertyModels(schema),
  };
}

export function catalogueFrom(description: BlocksDescription): Catalogue {
  const blocks = description.blocks.map(blockInfo);
  const byType = new Map<string, BlockInfo>();
  for (const block of blocks) for (const id of [block.type, ...block.aliases]) byType.set(id, block);
  return { blocks, byType };
}

export interface BlockFamily {
  family: string;
  blocks: BlockInfo[];
}

/**
 * The blocks matching every word of `query` (in the title, type id, aliases, family or
 * description; case-insensitive), grouped by family — families and blocks alphabetically.
 */
export function searchBlocks(catalogue: Catalogue, query: string): BlockFamily[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = catalogue.blocks.filter((block) => {
    const text = [block.title, block.type, ...block.aliases, block.family, block.description].join(" ").toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const families = new Map<string, BlockInfo[]>();
  for (const block of matches) families.set(block.family, [...(families.get(block.family) ?? []), block]);
  return [...families.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([family, blocks]) => ({ family, blocks: [...blocks].sort((a, b) => a.title.localeCompare(b.title)) }));
}
