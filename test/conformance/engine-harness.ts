/**
 * What sightline's conformance tests stand in for upstream's test helpers with: a manifest
 * parsed like pydantic's `BlockManifest.model_validate(raw)`, a flow-control decision read like
 * upstream's `FlowControl(mode=…, context=…)`, and a workflow run in this process.
 */
import { isFlowControl, Services, type BlockRegistry } from "../../src/block-api/index.js";
import type { CompiledWorkflow, ValueSource } from "../../src/compiler/index.js";
import { validateSteps } from "../../src/compiler/steps.js";
import { parseDefinition } from "../../src/definition/index.js";
import { compile, getDefaultRegistry, type CompileOptions } from "../../src/index.js";
import { ModelRuntime, modelRuntime, TINY_CLIP } from "../../src/models/index.js";
import { join } from "node:path";
import { tinyClipFolder } from "../models/helpers.js";

/**
 * Upstream's `BlockManifest.model_validate(step)`: the step's block found by `type` (id or alias)
 * and its properties validated as the compiler does (property aliases renamed, defaults filled).
 * Throws the `WorkflowSyntaxError` a definition with this step would fail with; references are
 * not resolved (that is the graph's work, as upstream's manifests do not resolve them either).
 */
export function parseStep(step: Record<string, unknown>, registry: BlockRegistry = getDefaultRegistry()): Record<string, unknown> {
  const { definition } = parseDefinition({ version: "1.0", inputs: [], steps: [step], outputs: [] });
  const {
    steps: [validated],
  } = validateSteps(definition.steps, registry);
  return validated.properties;
}

/** Upstream's `FlowControl` as its tests compare it: `select_step` with the selected steps, or `terminate_branch`. */
export type UpstreamFlowControl = { mode: "select_step"; context: readonly string[] } | { mode: "terminate_branch" };

export function asUpstreamFlowControl(decision: unknown): UpstreamFlowControl {
  if (!isFlowControl(decision)) throw new Error(`not a flow-control decision: ${JSON.stringify(decision)}`);
  return decision.next === null ? { mode: "terminate_branch" } : { mode: "select_step", context: decision.next };
}

/** Upstream's `ExecutionEngine.init(...).run(runtime_parameters)`: a fresh engine, one run, closed after. */
export async function runWorkflow(definition: unknown, inputs: Record<string, unknown>, options: CompileOptions = {}): Promise<Record<string, unknown>[]> {
  const engine = compile(definition, options);
  try {
    return await engine.run(inputs);
  } finally {
    await engine.close();
  }
}

/**
 * Services whose model runtime maps the given CLIP versions to the generated tiny CLIP (random
 * weights, 16-value embeddings): what upstream's tests get from a mocked or a real model, for
 * cases that assert structure — keys, lengths, lineage, errors — not similarity values.
 */
export async function tinyClipServices(versions: readonly string[] = ["ViT-B-32", "ViT-B-16"]): Promise<Services> {
  const folder = await tinyClipFolder();
  // offline on an empty cache: a version not mapped fails at once instead of being downloaded
  const runtime = new ModelRuntime({
    folders: Object.fromEntries(versions.map((version) => [version, folder])),
    threads: 1,
    offline: true,
    cacheDir: join(folder, "empty-cache"),
  });
  return new Services().provide(modelRuntime, runtime);
}

export const TINY_CLIP_EMBEDDING_LENGTH = TINY_CLIP.projectionDim;

/**
 * A compiled plan as upstream's execution graph: nodes named `$inputs.x`, `$steps.s`,
 * `$outputs.o`, and an edge from every input and step a step reads (data) or is gated by (flow
 * control) to it, and from what an output reads to the output.
 */
export function executionGraph(plan: CompiledWorkflow): { nodes: Set<string>; edges: Set<string> } {
  const node = (source: ValueSource) => (source.from === "input" ? `$inputs.${source.input}` : `$steps.${source.step}`);
  const nodes = new Set([
    ...plan.inputs.map((input) => `$inputs.${input.name}`),
    ...plan.steps.map((step) => `$steps.${step.name}`),
    ...plan.outputs.map((output) => `$outputs.${output.name}`),
  ]);
  const edges = new Set<string>();
  for (const step of plan.steps) {
    for (const source of step.sources) edges.add(`${node(source)} -> $steps.${step.name}`);
    for (const gate of step.gates) edges.add(`$steps.${gate.flowStep} -> $steps.${step.name}`);
  }
  for (const output of plan.outputs) edges.add(`${node(output.source)} -> $outputs.${output.name}`);
  return { nodes, edges };
}
