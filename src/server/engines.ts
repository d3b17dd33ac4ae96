/**
 * Engines for the server: every one shares the server's `Services` (models load once), never
 * reads server-side image files, and holds images to the server's limits. Compiled plans are cached by definition hash, so a client
 * posting the same specification on every request pays for compilation once — but each request
 * still gets a fresh engine, hence fresh block state, as upstream's `/workflows/run` does.
 */
import type { BlockRegistry, Services } from "../block-api/index.js";
import { buildDynamicBlock } from "../blocks/custom/dynamic-block.js";
import type { CompiledWorkflow, DynamicBlockFactory } from "../compiler/index.js";
import { WorkflowEngine, type EngineOptions } from "../executor/engine.js";
import type { ImageLoadOptions } from "../images/codec.js";
import { validate } from "../index.js";
import { LruCache } from "../models/lru.js";

const MAX_CACHED_DEFINITION_CHARS = 256 * 1024;

export class EngineFactory {
  private readonly plans: LruCache<string, CompiledWorkflow>;
  /** Builds custom blocks; null refuses definitions that have any. */
  readonly dynamicBlocks: DynamicBlockFactory | null;

  /** `dynamicBlocks` undefined: the library's default (JavaScript in a sandbox); null: none. */
  constructor(
    readonly registry: BlockRegistry,
    dynamicBlocks: DynamicBlockFactory | null | undefined,
    readonly services: Services,
    /** How request images are loaded: never local files (see `createServer`). */
    readonly imageLoading: ImageLoadOptions,
    /** Steps of custom blocks a definition may have (see `CompileOptions.maxCustomSteps`). */
    private readonly maxCustomSteps?: number,
    planCacheSize = 64,
  ) {
    this.dynamicBlocks = dynamicBlocks === null ? null : (dynamicBlocks ?? ((definition) => buildDynamicBlock(definition)));
    this.plans = new LruCache(planCacheSize);
  }

  /** Compiles (or reuses) the plan; throws the workflow's compile error. */
  plan(specification: unknown): CompiledWorkflow {
    // Custom blocks belong to one compile (their sandboxes keep globals and are released by
    // `engine.close()`), so their plans are never shared.
    if (hasDynamicBlocks(specification)) return this.compile(specification);
    // The JSON text, not `hashDefinition`: ten times cheaper, and a client repeats its own text.
    const key = JSON.stringify(specification);
    const cached = this.plans.get(key);
    if (cached) return cached;
    const plan = this.compile(specification);
    // Huge definitions are compiled every time rather than pinned in memory by their key.
    if (key.length <= MAX_CACHED_DEFINITION_CHARS) this.plans.set(key, plan);
    return plan;
  }

  /** A new engine on the shared services; close it when done (it releases custom blocks' sandboxes, never the services). */
  engine(specification: unknown, options: Omit<EngineOptions, "services" | "imageLoading"> = {}): WorkflowEngine {
    return new WorkflowEngine(this.plan(specification), { ...options, services: this.services, imageLoading: this.imageLoading });
  }

  private compile(specification: unknown): CompiledWorkflow {
    return validate(specification, { registry: this.registry, dynamicBlocks: this.dynamicBlocks, maxCustomSteps: this.maxCustomSteps });
  }
}

function hasDynamicBlocks(specification: unknown): boolean {
  if (typeof specification !== "object" || specification === null) return false;
  const definitions = (specification as Record<string, unknown>).dynamic_blocks_definitions;
  return Array.isArray(definitions) && definitions.length > 0;
}
