/**
 * The workflow definition document (docs/reference/workflows.md#definition-document): one zod
 * schema per thing, giving the types, the validation and the JSON Schema served at
 * `/workflows/definition/schema`. Steps are only checked for `type` and `name` here; each block
 * validates its own properties (compiler).
 */
import { z } from "zod";
import { DATA_SELECTOR, NAME_PATTERN } from "./selectors.js";

const kindEntry = z.union([z.string(), z.looseObject({ name: z.string() })]);
const kindList = (fallback: string) => z.array(kindEntry).default([fallback]);
const inputName = z.string().min(1, "input name must not be empty");

export const WorkflowImageInputSchema = z.object({
  type: z.enum(["WorkflowImage", "InferenceImage"]),
  name: inputName,
  kind: kindList("image"),
});

export const WorkflowVideoMetadataInputSchema = z.object({
  type: z.literal("WorkflowVideoMetadata"),
  name: inputName,
  kind: kindList("video_metadata"),
});

export const WorkflowBatchInputSchema = z.object({
  type: z.literal("WorkflowBatchInput"),
  name: inputName,
  kind: kindList("*"),
  dimensionality: z.number().int().min(1).default(1),
});

const parameterValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown()), z.null()]);

export const WorkflowParameterInputSchema = z.object({
  type: z.enum(["WorkflowParameter", "InferenceParameter"]),
  name: inputName,
  kind: kindList("*"),
  default_value: parameterValue.default(null),
});

export const InputSchema = z.discriminatedUnion("type", [
  WorkflowImageInputSchema,
  WorkflowVideoMetadataInputSchema,
  WorkflowBatchInputSchema,
  WorkflowParameterInputSchema,
]);

export const OutputSchema = z.object({
  type: z.literal("JsonField"),
  name: z.string().min(1),
  selector: z.string().regex(DATA_SELECTOR, "must be $inputs.<name>, $steps.<step>.<output> or $steps.<step>.*"),
  coordinates_system: z.enum(["own", "parent"]).default("parent"),
});

/** A step before its block has checked it: `type`, `name`, and whatever properties it has. */
export const StepSchema = z.looseObject({
  type: z.string().min(1),
  name: z.string().regex(NAME_PATTERN, "step names may only use letters, digits, '_' and '-' (they appear in $steps.<name> selectors)"),
});

// ---- dynamic blocks (docs/reference/workflows.md#custom-blocks) ------------------------------

export const SELECTOR_TYPES = ["input_image", "step_output_image", "input_parameter", "step_output", "generic"] as const;
export const VALUE_TYPES = ["any", "integer", "float", "boolean", "dict", "list", "string"] as const;

export const DynamicInputDefinitionSchema = z.object({
  type: z.literal("DynamicInputDefinition"),
  has_default_value: z.boolean().default(false),
  default_value: z.unknown().optional(),
  is_optional: z.boolean().default(false),
  is_dimensionality_reference: z.boolean().default(false),
  dimensionality_offset: z.number().int().min(-1).max(1).default(0),
  selector_types: z.array(z.enum(SELECTOR_TYPES)).default([]),
  selector_data_kind: z.partialRecord(z.enum(SELECTOR_TYPES), z.array(z.string())).default({}),
  value_types: z.array(z.enum(VALUE_TYPES)).default([]),
});

export const DynamicOutputDefinitionSchema = z.object({
  type: z.literal("DynamicOutputDefinition"),
  kind: z.array(z.string()).default([]),
});

export const ManifestDescriptionSchema = z.object({
  type: z.literal("ManifestDescription"),
  block_type: z.string().min(1),
  description: z.string().nullable().optional(),
  inputs: z.record(z.string(), DynamicInputDefinitionSchema),
  outputs: z.record(z.string(), DynamicOutputDefinitionSchema).default({}),
  output_dimensionality_offset: z.number().int().min(-1).max(1).default(0),
  accepts_batch_input: z.boolean().default(false),
  accepts_empty_values: z.boolean().default(false),
  batch_oriented_parameters: z.array(z.string()).optional(),
  parameters_with_scalars_and_batches: z.array(z.string()).optional(),
  get_parameters_enforcing_auto_batch_casting: z.array(z.string()).optional(),
  ui_manifest: z.record(z.string(), z.unknown()).optional(),
  tensor_compatibility: z.string().optional(),
});

const codeFields = {
  run_function_code: z.string(),
  run_function_name: z.string().default("run"),
  init_function_code: z.string().nullable().optional(),
  init_function_name: z.string().default("init"),
  imports: z.array(z.string()).default([]),
};

export const PythonCodeSchema = z.object({ type: z.literal("PythonCode"), ...codeFields });
export const JavaScriptCodeSchema = z.object({ type: z.literal("JavaScriptCode"), ...codeFields });

export const DynamicBlockDefinitionSchema = z.object({
  type: z.literal("DynamicBlockDefinition"),
  manifest: ManifestDescriptionSchema,
  code: z.discriminatedUnion("type", [PythonCodeSchema, JavaScriptCodeSchema]),
});

// ---- the whole definition ----------------------------------------------------------------

export const WorkflowDefinitionSchema = z.object({
  version: z.string(),
  inputs: z.array(InputSchema),
  steps: z.array(StepSchema),
  outputs: z.array(OutputSchema),
  dynamic_blocks_definitions: z.array(DynamicBlockDefinitionSchema).optional(),
});

export type InputDefinition = z.output<typeof InputSchema>;
export type OutputDefinitionEntry = z.output<typeof OutputSchema>;
export type StepDefinition = z.output<typeof StepSchema>;
export type DynamicBlockDefinition = z.output<typeof DynamicBlockDefinitionSchema>;
export type DynamicInputDefinition = z.output<typeof DynamicInputDefinitionSchema>;
export type WorkflowDefinition = z.output<typeof WorkflowDefinitionSchema>;
/** What a user writes (defaults not yet applied). */
export type WorkflowDefinitionInput = z.input<typeof WorkflowDefinitionSchema>;
