/**
 * sightline as a library:
 *
 *   import { compile } from "sightline";
 *   const engine = compile(definition);
 *   const results = await engine.run({ image: { type: "url", value: "https://…" } });
 */
import { BlockRegistry, type BlockPlugin } from "./block-api/index.js";
import { coreBlocks } from "./blocks/index.js";
import { buildDynamicBlock } from "./blocks/custom/dynamic-block.js";
import { compileWorkflow, type CompiledWorkflow, type DynamicBlockFactory } from "./compiler/index.js";
import { WorkflowEngine, type EngineOptions } from "./executor/engine.js";

export interface CompileOptions extends EngineOptions {
  /** Blocks to use; defaults to the core blocks. Build one with `createRegistry(plugin, …)`. */
  registry?: BlockRegistry;
  /** Builds blocks from `dynamic_blocks_definitions` (default: JavaScript in a sandbox); `null` disables custom blocks. */
  dynamicBlocks?: DynamicBlockFactory | null;
  /** Step properties a block does not know fail the compilation instead of being ignored with a warning (`plan.warnings`). */
  strict?: boolean;
  /** Steps of custom blocks a definition may have (default 32); more fail the compilation with `DynamicBlockError`. */
  maxCustomSteps?: number;
}

/** A registry holding the core blocks plus the given plugins. */
export function createRegistry(...plugins: BlockPlugin[]): BlockRegistry {
  const registry = new BlockRegistry().use(coreBlocks);
  for (const plugin of plugins) registry.use(plugin);
  return registry;
}

let defaultRegistry: BlockRegistry | null = null;

export function getDefaultRegistry(): BlockRegistry {
  defaultRegistry ??= createRegistry();
  return defaultRegistry;
}

/** Checks a definition without building an engine; throws the workflow error that a run would. */
export function validate(
  definition: unknown,
  options: Pick<CompileOptions, "registry" | "dynamicBlocks" | "strict" | "maxCustomSteps"> = {},
): CompiledWorkflow {
  return compileWorkflow(definition, {
    registry: options.registry ?? getDefaultRegistry(),
    strict: options.strict,
    maxCustomSteps: options.maxCustomSteps,
    dynamicBlocks: options.dynamicBlocks === null ? undefined : (options.dynamicBlocks ?? ((definition) => buildDynamicBlock(definition))),
  });
}

/** Compiles a workflow definition into an engine that keeps block state across runs. */
export function compile(definition: unknown, options: CompileOptions = {}): WorkflowEngine {
  return new WorkflowEngine(validate(definition, options), options);
}

// The library's public surface (the package's "." entry). Writing blocks: `sightline/blocks`; the
// HTTP server: `sightline/server`; video: `sightline/video`; models: `sightline/models`.
export { coreBlocks } from "./blocks/index.js";
export { Services, type BlockRegistry, type BlockPlugin } from "./block-api/index.js";
export { WorkflowEngine, type EngineOptions, type ElementError, type RunOptions, type RunOutcome } from "./executor/engine.js";
export type { PixelDemand } from "./executor/demand.js";
export { serialiseResults, type ImageSerialiser, type SerialiseOptions } from "./executor/serialise.js";
export { SnapshotError, type EngineSnapshot, type StateScope } from "./state/store.js";
export type { CompiledWorkflow, DynamicBlockFactory } from "./compiler/index.js";
export { definitionSchema, describeBlocks, type BlocksDescription } from "./describe/index.js";
export type { BlockDescription, JsonSchema } from "./block-api/description.js";
export { EXECUTION_ENGINE_VERSION } from "./definition/index.js";
export type { WorkflowDefinition, WorkflowDefinitionInput } from "./definition/index.js";
export * from "./errors/index.js";
export { WorkflowImage, type VideoMetadata } from "./images/index.js";
export { loadImage, toJpegBase64, type ImageLoadOptions } from "./images/codec.js";
