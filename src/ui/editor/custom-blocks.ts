/**
 * The definition's JavaScript custom blocks (`dynamic_blocks_definitions` with
 * `"type": "JavaScriptCode"`, docs/reference/workflows.md#custom-blocks): finding a block's code
 * and replacing it. Pure; no React.
 */
import type { WorkflowDefinition } from "./definition.js";

type DynamicBlock = NonNullable<WorkflowDefinition["dynamic_blocks_definitions"]>[number];

// The draft may hold anything a user typed into the JSON view: entries are checked, not trusted.
const dynamicBlocks = (definition: WorkflowDefinition): DynamicBlock[] =>
  Array.isArray(definition.dynamic_blocks_definitions) ? definition.dynamic_blocks_definitions : [];

const isJavaScriptBlock = (entry: DynamicBlock | undefined, blockType: string): entry is DynamicBlock =>
  entry?.manifest?.block_type === blockType && entry.code?.type === "JavaScriptCode" && typeof entry.code.run_function_code === "string";

/** The `run_function_code` of the JavaScript custom block `blockType`, or null when the definition has none. */
export function customBlockCode(definition: WorkflowDefinition, blockType: string): string | null {
  const entry = dynamicBlocks(definition).find((candidate) => isJavaScriptBlock(candidate, blockType));
  return entry ? entry.code.run_function_code : null;
}

/** The definition with `code` as the JavaScript custom block `blockType`'s `run_function_code`. */
export function setCustomBlockCode(definition: WorkflowDefinition, blockType: string, code: string): WorkflowDefinition {
  return {
    ...definition,
    dynamic_blocks_definitions: dynamicBlocks(definition).map((entry) =>
      isJavaScriptBlock(entry, blockType) ? { ...entry, code: { ...entry.code, run_function_code: code } } : entry,
    ),
  };
}
