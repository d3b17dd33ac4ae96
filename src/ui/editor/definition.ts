/**
 * The workflow definition as the editor holds it, and reading one from a JSON document.
 *
 * The types are the definition schema's (`src/definition/schema.ts`) as a user writes them,
 * before defaults, made looser: the editor keeps whatever is written so far — an input or output
 * type the server does not know, an output not connected yet (empty selector), keys no schema
 * names — and leaves judging it to the server, whose answer it shows.
 */
import type { z } from "zod";
import { isJsonObject } from "../../definition/json.js";
import type { InputSchema, OutputSchema, StepDefinition, WorkflowDefinitionInput } from "../../definition/schema.js";

/** Any `type`, and room for keys the schema does not name. */
type Editable<T> = Omit<T, "type"> & { type: string; [key: string]: unknown };

export type InputDefinition = Editable<z.input<typeof InputSchema>>;
/** Already as loose as the editor needs: each block checks a step's properties later. */
export type { StepDefinition };
export type OutputDefinition = Editable<z.input<typeof OutputSchema>>;

export type WorkflowDefinition = Omit<WorkflowDefinitionInput, "inputs" | "steps" | "outputs"> & {
  inputs: InputDefinition[];
  steps: StepDefinition[];
  outputs: OutputDefinition[];
  [key: string]: unknown;
};

export const EMPTY_DEFINITION: WorkflowDefinition = { version: "1.0", inputs: [], steps: [], outputs: [] };

const DEFAULT_INPUT_KINDS: Record<string, string[]> = {
  WorkflowImage: ["image"],
  InferenceImage: ["image"],
  WorkflowVideoMetadata: ["video_metadata"],
};

export function inputKinds(input: InputDefinition): string[] {
  if (Array.isArray(input.kind) && input.kind.length > 0) return input.kind.map((kind) => (typeof kind === "string" ? kind : kind.name));
  return DEFAULT_INPUT_KINDS[input.type] ?? ["*"];
}

/**
 * A parsed JSON document as a definition, or what keeps it from being one (the server checks
 * everything else; this only guards the editor's own assumptions).
 */
export function readDefinition(value: unknown): { definition: WorkflowDefinition } | { problem: string } {
  if (!isJsonObject(value)) return { problem: "A workflow definition is a JSON object with version, inputs, steps and outputs." };
  for (const key of ["inputs", "steps", "outputs"] as const) {
    const list = value[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return { problem: `"${key}" must be a list.` };
    const index = list.findIndex((item) => !isJsonObject(item) || typeof item.name !== "string" || typeof item.type !== "string");
    if (index >= 0) return { problem: `${key}[${index}] needs a "type" and a "name" (strings).` };
  }
  const outputs = (value.outputs ?? []) as Record<string, unknown>[];
  const badOutput = outputs.findIndex((output) => output.selector !== undefined && typeof output.selector !== "string");
  if (badOutput >= 0) return { problem: `outputs[${badOutput}].selector must be a string.` };
  return {
    definition: {
      ...value,
      version: typeof value.version === "string" ? value.version : "1.0",
      inputs: (value.inputs ?? []) as InputDefinition[],
      steps: (value.steps ?? []) as StepDefinition[],
      outputs: outputs.map((output) => ({ ...output, selector: (output.selector as string | undefined) ?? "" })) as OutputDefinition[],
    },
  };
}
