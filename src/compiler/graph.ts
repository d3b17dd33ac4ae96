/**
 * The execution graph: selector resolution (docs/reference/workflows.md#selectors) and kind checks
 * (docs/reference/workflows.md#kind-compatibility), flow-control branches
 * (docs/reference/workflows.md#branches), cycle detection, longest-path layers
 * (docs/reference/workflows.md#layers-and-concurrency) and batch-vs-scalar lineage
 * (docs/reference/workflows.md#lineage).
 */
import type { z } from "zod";
import { findSelectors, literalPart, type PropertyPath, type SelectorOccurrence } from "../block-api/schema-walk.js";
import { formatPath, parseSelector, type InputDefinition, type OutputDefinitionEntry } from "../definition/index.js";
import { ExecutionGraphStructureError, InvalidReferenceTargetError, ReferenceTypeError, StepInputDimensionalityError, blockError } from "../errors/index.js";
import { kindNameOf, kindsCompatible } from "../kinds/index.js";
import type { Branch, CompiledOutput, CompiledStep, InputNode, InputRole, InputTemplate, RuntimeInputCheck, ValueSource } from "./plan.js";
import type { ValidatedStep } from "./steps.js";

const GRAPH_CONTEXT = "workflow_compilation | execution_graph_construction";

export function buildInputNodes(inputs: readonly InputDefinition[]): InputNode[] {
  return inputs.map((input) => {
    const kinds = input.kind.map(kindNameOf);
    let role: InputRole;
    switch (input.type) {
      case "WorkflowImage":
      case "InferenceImage":
        role = "image";
        break;
      case "WorkflowVideoMetadata":
        role = "video_metadata";
        break;
      case "WorkflowBatchInput":
        if (input.dimensionality > 1) {
          throw new StepInputDimensionalityError(
            `Input "${input.name}" declares dimensionality ${input.dimensionality}; sightline supports batch inputs of dimensionality 1 only.`,
            { context: GRAPH_CONTEXT },
          );
        }
        role = "batch";
        break;
      default:
        role = "parameter";
    }
    return { name: input.name, role, kinds, isBatch: role !== "parameter", definition: input };
  });
}

interface StepShell {
  validated: ValidatedStep;
  selectors: SelectorOccurrence[];
}

/** Everything the graph knows about where selectors point, before lineage is known. */
interface Resolution {
  inputs: ReadonlyMap<string, InputNode>;
  steps: ReadonlyMap<string, StepShell>;
}

function stepError(step: ValidatedStep, property: string | number | undefined, message: string) {
  return [blockError({ name: step.name, type: step.type }, property === undefined ? null : String(property), message)];
}

/** Kinds a `$steps.s.o` selector yields. */
function outputKinds(shell: StepShell, output: string): string[] | null {
  if (output === "*") return ["*"];
  const declared = shell.validated.block.manifest.outputs.find((o) => o.name === output);
  return declared ? [...declared.kinds] : null;
}

/** What is said of a selector that points at nothing, in a step's property or a workflow output (`where`). */
const NOTHING_THERE = {
  input: (selector: string, where: string) => `Detected reference to non-existing input "${selector}" in ${where}.`,
  step: (stepName: string, where: string) => `Detected reference to non-existing step "$steps.${stepName}" in ${where}.`,
  output: (output: string, stepName: string, available: readonly string[], where: string) =>
    `Found reference to non-existing property "${output}" of step "$steps.${stepName}" in ${where}. ` +
    (available.length > 0 ? `Its outputs are: ${available.join(", ")}.` : `Step "${stepName}" has no outputs (flow-control block).`),
};

/**
 * What is said of a `$` value the selector grammar cannot read. Selector-only properties reject
 * one when the step is validated; a property that also takes a literal string lets it through.
 */
const MALFORMED = {
  data: (selector: string, where: string) =>
    `Invalid selector "${selector}" in ${where}: data is selected with $inputs.<name>, $steps.<step>.<output> or $steps.<step>.*.`,
  step: (selector: string, where: string) => `Invalid selector "${selector}" in ${where}: a step is selected with $steps.<name>.`,
};

/** Checks one data selector and says which input or step output it reads. */
function resolveDataSelector(
  step: ValidatedStep,
  occurrence: SelectorOccurrence,
  resolution: Resolution,
): { target: "input" | "step"; name: string; output: string } {
  const property = occurrence.path[0];
  const where = `step "${step.name}", property "${formatPath(occurrence.path)}"`;
  const selector = parseSelector(occurrence.selector);
  if (selector?.type === "input") {
    const input = resolution.inputs.get(selector.input);
    if (!input) {
      const message = NOTHING_THERE.input(occurrence.selector, where);
      throw new InvalidReferenceTargetError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, property, message) });
    }
    if (occurrence.metadata.role === "input" && input.role !== "image") {
      const message = `${where} must reference a WorkflowImage input, but "${occurrence.selector}" is a ${input.definition.type}.`;
      throw new ReferenceTypeError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, property, message) });
    }
    checkKinds(step, occurrence, input.kinds, where);
    return { target: "input", name: input.name, output: "" };
  }
  if (selector?.type !== "output") {
    const message = MALFORMED.data(occurrence.selector, where);
    throw new InvalidReferenceTargetError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, property, message) });
  }
  const { step: stepName, output } = selector;
  const producer = resolution.steps.get(stepName);
  if (!producer) {
    const message = NOTHING_THERE.step(stepName, where);
    throw new InvalidReferenceTargetError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, property, message) });
  }
  const kinds = outputKinds(producer, output);
  if (!kinds) {
    const available = producer.validated.block.manifest.outputs.map((o) => o.name);
    const message = NOTHING_THERE.output(output, stepName, available, where);
    throw new ExecutionGraphStructureError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, property, message) });
  }
  if (stepName === step.name) {
    const message = `Step "${step.name}" references its own output in ${where}.`;
    throw new ExecutionGraphStructureError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, property, message) });
  }
  checkKinds(step, occurrence, kinds, where);
  return { target: "step", name: stepName, output };
}

function checkKinds(step: ValidatedStep, occurrence: SelectorOccurrence, actual: readonly string[], where: string): void {
  if (kindsCompatible(occurrence.metadata.kinds, actual)) return;
  const message =
    `Invalid reference in ${where}: "${occurrence.selector}" has kinds [${actual.join(", ")}], ` +
    `but the property accepts [${occurrence.metadata.kinds.join(", ")}].`;
  throw new ReferenceTypeError(message, {
    context: GRAPH_CONTEXT,
    blocksErrors: stepError(step, occurrence.path[0], message),
  });
}

/** Upstream's branch naming: a list property is one branch, each dict key its own. */
function branchKey(path: PropertyPath): string {
  if (path.length >= 2 && typeof path[1] === "string") return `${String(path[0])}[${path[1]}]`;
  return String(path[0]);
}

function collectBranches(step: ValidatedStep, stepSelectors: SelectorOccurrence[], resolution: Resolution): Branch[] {
  const branches = new Map<string, Branch>();
  const seenTargets = new Set<string>();
  for (const occurrence of stepSelectors) {
    const selector = parseSelector(occurrence.selector);
    if (selector?.type !== "step") {
      const message = MALFORMED.step(occurrence.selector, `step "${step.name}", property "${formatPath(occurrence.path)}"`);
      throw new InvalidReferenceTargetError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, occurrence.path[0], message) });
    }
    const target = selector.step;
    if (!resolution.steps.has(target)) {
      const message = `Flow-control step "${step.name}" selects non-existing step "${occurrence.selector}" (property "${formatPath(occurrence.path)}").`;
      throw new InvalidReferenceTargetError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, occurrence.path[0], message) });
    }
    if (target === step.name) {
      const message = `Flow-control step "${step.name}" selects itself.`;
      throw new ExecutionGraphStructureError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, occurrence.path[0], message) });
    }
    if (seenTargets.has(target)) {
      const message = `Flow-control step "${step.name}" selects step "${target}" more than once; each step may be targeted at most once.`;
      throw new ExecutionGraphStructureError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, occurrence.path[0], message) });
    }
    seenTargets.add(target);
    const id = `Branch[$steps.${step.name} -> ${branchKey(occurrence.path)}]`;
    const branch = branches.get(id) ?? { id, flowStep: step.name, selectors: [], targets: [] };
    branch.selectors.push(occurrence.selector);
    branch.targets.push(target);
    branches.set(id, branch);
  }
  return [...branches.values()];
}

/** Order steps so producers (data) and deciders (control) come first; reject cycles. */
function layerSteps(names: readonly string[], predecessors: ReadonlyMap<string, Set<string>>): Map<string, number> {
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string, trail: string[]): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw new ExecutionGraphStructureError(`Detected a cycle in the workflow: ${cycle.map((s) => `$steps.${s}`).join(" -> ")}.`, {
        context: GRAPH_CONTEXT,
        blocksErrors: cycle.slice(0, -1).map((s) => blockError({ name: s, type: null })),
      });
    }
    visiting.add(name);
    let distance = 0;
    for (const predecessor of predecessors.get(name) ?? []) {
      distance = Math.max(distance, visit(predecessor, [...trail, name]) + 1);
    }
    visiting.delete(name);
    layer.set(name, distance);
    return distance;
  };
  for (const name of names) visit(name, []);
  return layer;
}

function buildTemplate(value: unknown, path: PropertyPath, sourceAt: ReadonlyMap<string, ValueSource>): InputTemplate {
  const key = JSON.stringify(path);
  const source = sourceAt.get(key);
  if (source) return { kind: "reference", source };
  const prefix = key.slice(0, -1);
  const holdsSelector = [...sourceAt.keys()].some((k) => k.startsWith(prefix) && k !== key);
  if (!holdsSelector) return { kind: "constant", value };
  if (Array.isArray(value)) return { kind: "array", items: value.map((item, i) => buildTemplate(item, [...path, i], sourceAt)) };
  if (typeof value === "object" && value !== null) {
    return { kind: "object", entries: Object.entries(value).map(([k, item]) => [k, buildTemplate(item, [...path, k], sourceAt)]) };
  }
  return { kind: "constant", value };
}

export interface GraphResult {
  steps: CompiledStep[];
  outputs: CompiledOutput[];
}

export function buildGraph(validatedSteps: readonly ValidatedStep[], inputNodes: readonly InputNode[], outputs: readonly OutputDefinitionEntry[]): GraphResult {
  const inputs = new Map(inputNodes.map((input) => [input.name, input]));
  const shells = new Map<string, StepShell>();
  for (const validated of validatedSteps) {
    shells.set(validated.name, { validated, selectors: findSelectors(validated.block.manifest.properties, validated.properties) });
  }
  const resolution: Resolution = { inputs, steps: shells };

  // References, kinds and branches.
  const predecessors = new Map<string, Set<string>>();
  const dataRefs = new Map<string, { occurrence: SelectorOccurrence; target: "input" | "step"; name: string; output: string }[]>();
  const branchesOf = new Map<string, Branch[]>();
  const gatesOf = new Map<string, Branch[]>();
  for (const { validated, selectors } of shells.values()) {
    const preds = new Set<string>();
    const refs = [];
    const stepSelectors: SelectorOccurrence[] = [];
    for (const occurrence of selectors) {
      if (occurrence.metadata.role === "step") {
        stepSelectors.push(occurrence);
        continue;
      }
      const resolved = resolveDataSelector(validated, occurrence, resolution);
      refs.push({ occurrence, ...resolved });
      if (resolved.target === "step") preds.add(resolved.name);
    }
    if (stepSelectors.length > 0 && !validated.block.manifest.flowControl) {
      const message = `Step "${validated.name}" holds step selectors but block ${validated.block.manifest.type} is not a flow-control block.`;
      throw new ExecutionGraphStructureError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(validated, stepSelectors[0].path[0], message) });
    }
    const branches = collectBranches(validated, stepSelectors, resolution);
    branchesOf.set(validated.name, branches);
    for (const branch of branches) {
      for (const target of branch.targets) {
        gatesOf.set(target, [...(gatesOf.get(target) ?? []), branch]);
      }
    }
    predecessors.set(validated.name, preds);
    dataRefs.set(validated.name, refs);
  }
  for (const [target, gates] of gatesOf) {
    for (const gate of gates) predecessors.get(target)!.add(gate.flowStep);
  }

  const layers = layerSteps([...shells.keys()], predecessors);
  const ordered = [...shells.values()].sort((a, b) => layers.get(a.validated.name)! - layers.get(b.validated.name)!);

  // Lineage, in execution order so producers are known before consumers.
  const compiled = new Map<string, CompiledStep>();
  for (const { validated } of ordered) {
    const refs = dataRefs.get(validated.name)!;
    const gates = gatesOf.get(validated.name) ?? [];
    const sources: ValueSource[] = [];
    const sourceAt = new Map<string, ValueSource>();
    for (const ref of refs) {
      const source: ValueSource =
        ref.target === "input"
          ? { from: "input", input: ref.name, isBatch: inputs.get(ref.name)!.isBatch, nestedIn: null }
          : stepSource(compiled.get(ref.name)!, ref.output);
      sources.push(source);
      sourceAt.set(JSON.stringify(ref.occurrence.path), source);
    }
    // Control-flow lineage (EE >= 1.8): a step gated by a per-element decision runs per element.
    const isBatch = sources.some((s) => s.isBatch) || gates.some((gate) => compiled.get(gate.flowStep)!.isBatch);
    const nestedIn = nestingOf(validated, sources, gates, compiled);
    const increases = validated.block.manifest.increasesDimensionality === true;
    if (increases && (!isBatch || nestedIn !== null)) {
      const message = `Step "${validated.name}" (${validated.type}) makes a batch one level deeper, so it must run on the input batch; sightline supports one level of nesting (docs/architecture.md#dimensionality).`;
      throw new StepInputDimensionalityError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(validated, undefined, message) });
    }
    const properties = validated.properties;
    const outputNames = validated.block.manifest.outputs.map((o) => o.name);
    compiled.set(validated.name, {
      name: validated.name,
      type: validated.type,
      block: validated.block,
      isBatch,
      nestedIn,
      outputsNestedIn: increases ? validated.name : nestedIn,
      layer: layers.get(validated.name)!,
      inputs: Object.entries(properties).map(([key, value]) => [key, buildTemplate(value, [key], sourceAt)]),
      sources,
      gates,
      branches: branchesOf.get(validated.name)!,
      runtimeChecks: runtimeChecksFor(validated, refs, inputs),
      outputNames,
    });
  }

  return { steps: [...compiled.values()], outputs: outputs.map((output) => compileOutput(output, inputs, compiled)) };
}

function stepSource(producer: CompiledStep, output: string): ValueSource {
  return { from: "step", step: producer.name, output, isBatch: producer.isBatch, nestedIn: producer.outputsNestedIn };
}

/**
 * The nested batch a step runs on (docs/architecture.md#dimensionality): the one its nested
 * inputs come from — input-batch values and scalars alongside them are read for each nested
 * element's parent. Nested batches of two different crops cannot be paired, and a decision per
 * element gates only steps on the same elements.
 */
function nestingOf(step: ValidatedStep, sources: readonly ValueSource[], gates: readonly Branch[], compiled: ReadonlyMap<string, CompiledStep>): string | null {
  const nested = [...new Set(sources.map((source) => source.nestedIn).filter((name) => name !== null))];
  if (nested.length > 1) {
    const message = `Step "${step.name}" reads the nested batches of different steps (${nested.map((name) => `$steps.${name}`).join(", ")}); their elements cannot be paired.`;
    throw new StepInputDimensionalityError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, undefined, message) });
  }
  const nestedIn = nested[0] ?? null;
  for (const gate of gates) {
    const decider = compiled.get(gate.flowStep)!;
    if (decider.isBatch && decider.nestedIn !== nestedIn) {
      const message = `Step "${step.name}" is gated by "${decider.name}", which decides per element of another batch (one level ${nestedIn === null ? "deeper" : "up"}); sightline gates a step only by decisions on its own elements or by scalar ones.`;
      throw new StepInputDimensionalityError(message, { context: GRAPH_CONTEXT, blocksErrors: stepError(step, undefined, message) });
    }
  }
  return nestedIn;
}

/** Properties that are exactly `$inputs.<parameter>` are re-validated with the run-time value (docs/reference/workflows.md#parameters). */
function runtimeChecksFor(
  step: ValidatedStep,
  refs: readonly { occurrence: SelectorOccurrence; target: "input" | "step"; name: string }[],
  inputs: ReadonlyMap<string, InputNode>,
): RuntimeInputCheck[] {
  const checks: RuntimeInputCheck[] = [];
  const shape = step.block.manifest.properties.shape as Record<string, z.ZodType>;
  for (const ref of refs) {
    if (ref.target !== "input" || ref.occurrence.path.length !== 1) continue;
    if (inputs.get(ref.name)!.role !== "parameter") continue;
    const property = String(ref.occurrence.path[0]);
    const literal = shape[property] ? literalPart(shape[property]) : null;
    if (literal) checks.push({ property, input: ref.name, schema: literal });
  }
  return checks;
}

function compileOutput(output: OutputDefinitionEntry, inputs: ReadonlyMap<string, InputNode>, steps: ReadonlyMap<string, CompiledStep>): CompiledOutput {
  const selector = parseSelector(output.selector);
  const where = `output "${output.name}"`;
  // upstream names a workflow output in blocks_errors as block "$outputs", property <output name>
  const invalidReference = (message: string) =>
    new InvalidReferenceTargetError(message, {
      context: GRAPH_CONTEXT,
      blocksErrors: [blockError({ name: "$outputs" }, output.name, `Invalid reference to ${output.selector}`)],
    });
  if (selector?.type === "input") {
    const input = inputs.get(selector.input);
    if (!input) throw invalidReference(NOTHING_THERE.input(output.selector, where));
    return { name: output.name, source: { from: "input", input: input.name, isBatch: input.isBatch, nestedIn: null }, kinds: input.kinds };
  }
  if (selector?.type !== "output") throw invalidReference(MALFORMED.data(output.selector, where));
  const { step: stepName, output: outputName } = selector;
  const step = steps.get(stepName);
  if (!step) throw invalidReference(NOTHING_THERE.step(stepName, where));
  if (outputName !== "*" && !step.outputNames.includes(outputName)) {
    throw invalidReference(NOTHING_THERE.output(outputName, stepName, step.outputNames, where));
  }
  const kinds = outputName === "*" ? ["*"] : [...step.block.manifest.outputs.find((o) => o.name === outputName)!.kinds];
  return { name: output.name, source: stepSource(step, outputName), kinds };
}
