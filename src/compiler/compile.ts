/**
 * Definition → plan (docs/reference/workflows.md#compilation): version rule, dynamic blocks, step
 * validation, graph, lineage. Compile errors stop here, before anything runs.
 */
import { createHash } from "node:crypto";
import type { Block, BlockRegistry } from "../block-api/index.js";
import { parseDefinition, type DynamicBlockDefinition, type WorkflowDefinition } from "../definition/index.js";
import { DynamicBlockError, WorkflowError } from "../errors/index.js";
import { buildGraph, buildInputNodes } from "./graph.js";
import type { CompiledStep, CompiledWorkflow } from "./plan.js";
import { validateSteps } from "./steps.js";

/** Turns one `dynamic_blocks_definitions` entry into a block; throws `DynamicBlockError` & co. */
export type DynamicBlockFactory = (definition: DynamicBlockDefinition) => Block;

/**
 * Steps of custom blocks a definition may have unless told otherwise: far more than real
 * workflows use, while bounding what one definition makes its engine load
 * (docs/reference/workflows.md#custom-code-limits).
 */
export const DEFAULT_MAX_CUSTOM_STEPS = 32;

export interface CompilerOptions {
  registry: BlockRegistry;
  /** Without a factory, a definition with dynamic blocks fails with `DynamicBlockError`. */
  dynamicBlocks?: DynamicBlockFactory;
  /** Steps of dynamic blocks at most (default `DEFAULT_MAX_CUSTOM_STEPS`); more fail with `DynamicBlockError`. */
  maxCustomSteps?: number;
  /** Step properties the block does not know are errors, not warnings. */
  strict?: boolean;
}

export function compileWorkflow(raw: unknown, options: CompilerOptions): CompiledWorkflow {
  const { definition } = parseDefinition(raw);
  checkCustomStepCount(definition, options.maxCustomSteps ?? DEFAULT_MAX_CUSTOM_STEPS);
  const registry = registerDynamicBlocks(definition.dynamic_blocks_definitions ?? [], options);
  const inputs = buildInputNodes(definition.inputs);
  const { steps: validated, warnings } = validateSteps(definition.steps, registry, { strict: options.strict });
  const { steps, outputs } = buildGraph(validated, inputs, definition.outputs);
  const layers: CompiledStep[][] = [];
  for (const step of steps) (layers[step.layer] ??= []).push(step);
  return {
    definition,
    inputs,
    inputsByName: new Map(inputs.map((input) => [input.name, input])),
    steps,
    stepsByName: new Map(steps.map((step) => [step.name, step])),
    layers: layers.filter(Boolean),
    outputs,
    hasBatchOutputs: outputs.some((output) => output.source.isBatch),
    hash: hashDefinition(raw),
    warnings,
  };
}

/** Refused before any block is built: each custom step costs a sandbox. */
function checkCustomStepCount(definition: WorkflowDefinition, maxCustomSteps: number): void {
  const customTypes = new Set((definition.dynamic_blocks_definitions ?? []).map((dynamic) => dynamic.manifest.block_type));
  const count = definition.steps.filter((step) => customTypes.has(step.type)).length;
  if (count <= maxCustomSteps) return;
  throw new DynamicBlockError(
    `The definition has ${count} steps of custom blocks; at most ${maxCustomSteps} are allowed (the maxCustomSteps option; sightline serve --max-custom-steps).`,
    { context: "workflow_compilation | dynamic_blocks_compilation" },
  );
}

function registerDynamicBlocks(definitions: readonly DynamicBlockDefinition[], options: CompilerOptions): BlockRegistry {
  if (definitions.length === 0) return options.registry;
  const registry = options.registry.child();
  for (const definition of definitions) {
    const blockType = definition.manifest.block_type;
    if (!options.dynamicBlocks) {
      throw new DynamicBlockError(
        `Dynamic block "${blockType}" uses code of type ${definition.code.type}, which this engine cannot run (custom blocks are disabled).`,
        {
          context: "workflow_compilation | dynamic_blocks_compilation",
        },
      );
    }
    let block: Block;
    try {
      block = options.dynamicBlocks(definition);
    } catch (error) {
      if (error instanceof WorkflowError) throw error;
      throw new DynamicBlockError(`Could not build dynamic block "${blockType}": ${(error as Error).message}`, {
        context: "workflow_compilation | dynamic_blocks_compilation",
        inner: error,
      });
    }
    if (registry.get(blockType)) {
      throw new DynamicBlockError(`Dynamic block type "${blockType}" clashes with an existing block type.`, {
        context: "workflow_compilation | dynamic_blocks_compilation",
      });
    }
    registry.register(block);
  }
  return registry;
}

/** Key-order-independent hash, so a snapshot can tell whether it belongs to this definition. */
export function hashDefinition(raw: unknown): string {
  return createHash("sha256").update(stableStringify(raw)).digest("hex").slice(0, 16);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
