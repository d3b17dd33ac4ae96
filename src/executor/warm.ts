/**
 * Warming: telling blocks which inputs their steps will run on next, so they can start work
 * that does not depend on state (an inference) while the current run is still going. Only steps
 * whose inputs are known before the run are warmed — fed by workflow inputs and literals — and
 * only for inputs that need no decoding. Steps behind flow control are a guess (`GatePredictor`).
 */
import type { CompiledStep, CompiledWorkflow, InputTemplate } from "../compiler/index.js";
import type { Services } from "../block-api/index.js";
import { isWorkflowImage } from "../images/index.js";

/** Steps worth warming: a `warm` hook and every source a workflow input. */
export function warmableSteps(plan: CompiledWorkflow): CompiledStep[] {
  return plan.steps.filter((step) => step.block.warm && step.sources.every((source) => source.from === "input"));
}

/** Runs in a row a step's gates must have opened before the next run warms it. */
export const OPEN_RUNS_BEFORE_WARMING = 2;

/**
 * Which warmable steps the next run will probably reach. Ungated ones always; a step behind flow
 * control once its gates have let every element through `OPEN_RUNS_BEFORE_WARMING` runs in a
 * row — a frame sampler that passes every frame it is given (`--sample-fps` with a rate
 * limiter). A wrong guess costs the inferences of the inputs warmed meanwhile (a video
 * pipeline's read-ahead, one batch); a gate that opens now and then (one frame in thirty) is
 * never guessed open.
 */
export class GatePredictor {
  private readonly openRuns = new Map<string, number>();

  constructor(private readonly steps: readonly CompiledStep[]) {}

  likelyToRun(): CompiledStep[] {
    return this.steps.filter((step) => step.gates.length === 0 || (this.openRuns.get(step.name) ?? 0) >= OPEN_RUNS_BEFORE_WARMING);
  }

  observe(passedGates: (step: CompiledStep) => boolean): void {
    for (const step of this.steps) {
      if (step.gates.length > 0) this.openRuns.set(step.name, passedGates(step) ? (this.openRuns.get(step.name) ?? 0) + 1 : 0);
    }
  }
}

function materialize(template: InputTemplate, values: ReadonlyMap<string, unknown>, index: number): unknown {
  switch (template.kind) {
    case "constant":
      return template.value;
    case "reference": {
      if (template.source.from !== "input") return undefined;
      const value = values.get(template.source.input);
      return template.source.isBatch ? (value as unknown[])[index] : value;
    }
    case "array":
      return template.items.map((item) => materialize(item, values, index));
    case "object":
      return Object.fromEntries(template.entries.map(([key, item]) => [key, materialize(item, values, index)]));
  }
}

/**
 * Best effort, synchronous: returns without doing anything when the inputs are not ready-made
 * (an image still to be decoded, a list length that does not match) — the run will then do
 * the work itself, and report any problem.
 */
export function warmSteps(plan: CompiledWorkflow, steps: readonly CompiledStep[], raw: Readonly<Record<string, unknown>>, services: Services): void {
  if (steps.length === 0) return;
  const values = new Map<string, unknown>();
  let batchSize = 1;
  for (const input of plan.inputs) {
    const value = Object.hasOwn(raw, input.name) ? raw[input.name] : (input.definition as { default_value?: unknown }).default_value;
    if (!input.isBatch) {
      values.set(input.name, value);
      continue;
    }
    const elements = Array.isArray(value) ? value : [value];
    if (input.role === "image" && !elements.every(isWorkflowImage)) return;
    if (elements.length > 1) {
      if (batchSize > 1 && elements.length !== batchSize) return;
      batchSize = elements.length;
    }
    values.set(input.name, elements);
  }
  for (const input of plan.inputs) {
    const elements = values.get(input.name);
    if (input.isBatch && Array.isArray(elements) && elements.length === 1 && batchSize > 1) values.set(input.name, new Array(batchSize).fill(elements[0]));
  }
  for (const step of steps) {
    const count = step.isBatch ? batchSize : 1;
    const inputs = Array.from({ length: count }, (_, index) =>
      Object.fromEntries(step.inputs.map(([key, template]) => [key, materialize(template, values, index)])),
    );
    try {
      step.block.warm!(inputs, services);
    } catch {
      // A hint only: the run itself reports whatever is wrong.
    }
  }
}
