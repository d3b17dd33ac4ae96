/**
 * Custom blocks from a definition's `dynamic_blocks_definitions`
 * (docs/reference/workflows.md#custom-blocks). The manifest becomes a zod schema like any block's;
 * the code runs in a sandbox, one per step: `"type": "JavaScriptCode"` in QuickJS (see
 * `src/sandbox`), on the threads of the engine's sandbox pool (a service, so engines sharing a
 * `Services` share its threads). Upstream's `PythonCode` cannot run here and is refused with a
 * `DynamicBlockError` that says so.
 *
 * Each compile builds new blocks from the definitions, so the sandboxes a block holds belong to
 * one engine; `engine.close()` releases them.
 */
import { z } from "zod";
import {
  defineBlock,
  imageInputSelector,
  selector,
  serviceKey,
  type Block,
  type OutputDefinition,
  type Services,
  type StepContext,
  type StepInfo,
} from "../../block-api/index.js";
import type { DynamicBlockDefinition, DynamicInputDefinition } from "../../definition/index.js";
import { DynamicBlockCodeError, DynamicBlockError, StepExecutionError, WorkflowError, blockError } from "../../errors/index.js";
import { isKnownKind } from "../../kinds/index.js";
import { JavaScriptSandbox, SandboxPool, type SandboxLimits } from "../../sandbox/index.js";

/**
 * The threads custom steps run on, one pool per `Services` (docs/reference/workflows.md#custom-code-limits),
 * sized by `settings.sandbox.maxWorkers`.
 */
export const sandboxPool = serviceKey("sandbox", (services) => new SandboxPool({ maxWorkers: maxWorkersSetting(services.settings) }));

/** Gives `services` a sandbox pool of `maxWorkers` threads, in place of the one its settings would make. */
export function provideSandboxPool(services: Services, maxWorkers: number): void {
  services.provide(sandboxPool, new SandboxPool({ maxWorkers }));
}

export { DEFAULT_MAX_SANDBOX_WORKERS } from "../../sandbox/index.js";

function maxWorkersSetting(settings: Readonly<Record<string, unknown>>): number | undefined {
  const sandbox = settings.sandbox;
  if (sandbox === undefined) return undefined;
  if (typeof sandbox !== "object" || sandbox === null) throw new TypeError("settings.sandbox must be an object such as { maxWorkers: 4 }");
  const { maxWorkers } = sandbox as { maxWorkers?: unknown };
  if (maxWorkers !== undefined && typeof maxWorkers !== "number") throw new TypeError("settings.sandbox.maxWorkers must be a number");
  return maxWorkers;
}

const CONTEXT = "workflow_compilation | dynamic_blocks_compilation";

const VALUE_SCHEMAS: Record<string, z.ZodType> = {
  any: z.unknown(),
  integer: z.number().int(),
  float: z.number(),
  boolean: z.boolean(),
  dict: z.record(z.string(), z.unknown()),
  list: z.array(z.unknown()),
  string: z.string(),
};

function kindsFor(input: DynamicInputDefinition, selectorType: string, fallback: string[]): string[] {
  const kinds = input.selector_data_kind[selectorType as keyof typeof input.selector_data_kind];
  return kinds && kinds.length > 0 ? kinds : fallback;
}

/** One property's schema: the union of its selector types and value types (upstream's generated field). */
function propertySchema(blockType: string, name: string, input: DynamicInputDefinition): z.ZodType {
  const options: z.ZodType[] = [];
  for (const selectorType of input.selector_types) {
    const kinds = kindsFor(input, selectorType, selectorType.endsWith("image") ? ["image"] : ["*"]);
    for (const kind of kinds) {
      if (!isKnownKind(kind)) {
        throw new DynamicBlockError(`Dynamic block "${blockType}", input "${name}": unknown kind "${String(kind)}".`, { context: CONTEXT });
      }
    }
    options.push(selectorType === "input_image" ? imageInputSelector() : selector(kinds));
  }
  for (const valueType of input.value_types) options.push(VALUE_SCHEMAS[valueType]);
  if (options.length === 0) {
    throw new DynamicBlockError(`Dynamic block "${blockType}", input "${name}" declares neither selector_types nor value_types.`, { context: CONTEXT });
  }
  let schema: z.ZodType = options.length === 1 ? options[0] : z.union(options as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  if (input.is_optional) schema = schema.nullable();
  if (input.has_default_value) schema = schema.default(input.default_value ?? null);
  else if (input.is_optional) schema = schema.optional();
  return schema;
}

function checkSupported(definition: DynamicBlockDefinition): void {
  const { manifest } = definition;
  if (
    manifest.output_dimensionality_offset !== 0 ||
    Object.values(manifest.inputs).some((input) => input.dimensionality_offset !== 0 || input.is_dimensionality_reference)
  ) {
    throw new DynamicBlockError(`Dynamic block "${manifest.block_type}" changes dimensionality, which sightline does not support yet.`, { context: CONTEXT });
  }
}

/**
 * A fast, host-side syntax check so that `compile()` (which is synchronous) already rejects code
 * that cannot parse; `engine.ready()` then loads it in the sandbox, which is authoritative.
 * `new Function` only parses: nothing in the code runs.
 */
function checkSyntax(blockType: string, field: string, code: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- parsing only: the function is never called
    new Function(code);
  } catch (error) {
    throw new DynamicBlockCodeError(`Dynamic block "${blockType}": ${field} does not parse: ${(error as Error).message}`, {
      context: CONTEXT,
      inner: error,
      blocksErrors: [blockError({ name: null, type: blockType }, field, (error as Error).message)],
    });
  }
}

/** Cheap early answer for the common mistake (empty code, misspelt name); the sandbox checks for real. */
function mentions(code: string, name: string): boolean {
  const escaped = name.replace(/[$]/g, "\\$");
  return new RegExp(`(^|[^\\w$])${escaped}([^\\w$]|$)`).test(code);
}

export interface DynamicBlockOptions {
  limits?: Partial<SandboxLimits>;
}

/** Builds a block from a `DynamicBlockDefinition`; throws `DynamicBlockError` / `DynamicBlockCodeError`. */
export function buildDynamicBlock(definition: DynamicBlockDefinition, options: DynamicBlockOptions = {}): Block {
  const { manifest, code } = definition;
  const blockType = manifest.block_type;
  if (code.type !== "JavaScriptCode") {
    throw new DynamicBlockError(
      `Dynamic block "${blockType}" uses code of type ${code.type}, which sightline cannot run: write the block in JavaScript with "type": "JavaScriptCode" (same fields).`,
      { context: CONTEXT },
    );
  }
  checkSupported(definition);
  checkSyntax(blockType, "run_function_code", code.run_function_code);
  if (!mentions(code.run_function_code, code.run_function_name)) {
    throw new DynamicBlockError(`Dynamic block "${blockType}": declared run function \`${code.run_function_name}\` not found in run_function_code.`, {
      context: CONTEXT,
    });
  }
  if (code.init_function_code) {
    checkSyntax(blockType, "init_function_code", code.init_function_code);
    if (!mentions(`${code.init_function_code}\n${code.run_function_code}`, code.init_function_name)) {
      throw new DynamicBlockError(`Dynamic block "${blockType}": declared init function \`${code.init_function_name}\` not found.`, { context: CONTEXT });
    }
  }

  const shape: Record<string, z.ZodType> = {};
  for (const [name, input] of Object.entries(manifest.inputs)) shape[name] = propertySchema(blockType, name, input);
  const outputs: OutputDefinition[] = Object.entries(manifest.outputs).map(([name, output]) => ({ name, kinds: output.kind.length > 0 ? output.kind : ["*"] }));
  const batchParameters = manifest.batch_oriented_parameters?.length
    ? manifest.batch_oriented_parameters
    : Object.entries(manifest.inputs)
        .filter(([, input]) => input.selector_types.length > 0)
        .map(([name]) => name);

  const sandboxes = new Map<string, Promise<JavaScriptSandbox>>();
  const sandboxFor = (step: StepInfo, services: Services, signal?: AbortSignal): Promise<JavaScriptSandbox> => {
    let sandbox = sandboxes.get(step.name);
    if (!sandbox) {
      sandbox = JavaScriptSandbox.create({ code, step, limits: options.limits, pool: services.get(sandboxPool), signal });
      sandboxes.set(step.name, sandbox);
    }
    return sandbox;
  };
  const call = async (inputs: Record<string, unknown>, ctx: StepContext<unknown>): Promise<unknown> => {
    const sandbox = await sandboxFor({ name: ctx.step, blockType }, ctx.services);
    const result = await sandbox.run(inputs, { workflowExecutionId: ctx.executionId, signal: ctx.signal });
    return result.output;
  };

  const common = {
    prepare: async (step: StepInfo, services: Services, signal: AbortSignal) => {
      try {
        await sandboxFor(step, services, signal);
      } catch (error) {
        if (error instanceof WorkflowError) throw error;
        // No thread to load the code on: the server's trouble, not the definition's.
        throw new StepExecutionError(`Could not start the sandbox of step \`${step.name}\`: ${(error as Error).message}`, {
          blockId: step.name,
          blockType,
          inner: error,
          context: "workflow_execution | step_preparation",
        });
      }
    },
    dispose: async () => {
      const all = [...sandboxes.values()];
      sandboxes.clear();
      await Promise.allSettled(all.map(async (sandbox) => (await sandbox).close()));
    },
  };
  const blockManifest = {
    type: blockType,
    name: blockType,
    family: "custom",
    description: manifest.description ?? `Custom block ${blockType} (JavaScript)`,
    properties: z.object(shape),
    outputs,
    acceptsEmptyValues: manifest.accepts_empty_values,
    compatibility: ">=1.0.0,<2.0.0",
  };

  if (!manifest.accepts_batch_input) {
    return defineBlock({
      manifest: blockManifest,
      ...common,
      run: async (inputs, ctx) => (await call(inputs as Record<string, unknown>, ctx as StepContext<unknown>)) as Record<string, unknown>,
    });
  }
  // Batch input: the code gets each batch parameter as a list and returns a list of results.
  return defineBlock({
    manifest: blockManifest,
    ...common,
    runBatch: async (elements, contexts) => {
      const inputs: Record<string, unknown> = { ...(elements[0] as Record<string, unknown>) };
      for (const name of batchParameters) inputs[name] = elements.map((element) => (element as Record<string, unknown>)[name]);
      const output = await call(inputs, contexts[0]);
      if (!Array.isArray(output) || output.length !== elements.length) {
        throw new Error(
          `a block with accepts_batch_input must return a list of ${elements.length} results, got ${Array.isArray(output) ? `${output.length}` : typeof output}`,
        );
      }
      return output as Record<string, unknown>[];
    },
  });
}
