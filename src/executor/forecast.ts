/**
 * Running a flow-control step ahead of its real run, on a copy of its state, to tell which
 * branches it will take — what the warm-up (warm.ts) and the pixel demand (demand.ts) plan with.
 * The step is read through the interpreter the run uses (its inputs, its context); only its
 * state is a copy, and nothing it does reaches the engine.
 */
import { isFlowControl, type Services } from "../block-api/index.js";
import type { CompiledStep } from "../compiler/index.js";
import type { StateStore } from "../state/store.js";
import { NEVER_ABORTED, stepContext, stepInputs, type BatchStreams, type StateCells, type Values } from "./interpreter.js";

/** Whether every value a step reads is a workflow input (or a literal): its inputs are known before the run. */
export function fedByInputs(step: CompiledStep): boolean {
  return step.sources.every((source) => source.from === "input");
}

/** A flow-control step the engine may run ahead: deterministic, synchronous, fed by inputs, ungated. */
export function isForecastable(step: CompiledStep): boolean {
  return (
    step.block.manifest.flowControl === true &&
    step.block.deterministic === true &&
    step.block.run !== undefined &&
    step.gates.length === 0 &&
    fedByInputs(step)
  );
}

/** A step's inputs for an element of the upcoming run; the step must be `fedByInputs`, so none is missing. */
export function inputsAhead(step: CompiledStep, inputs: Values, index: number | null): Record<string, unknown> {
  return stepInputs(step, inputs, index)!;
}

/** What running a block ahead of its real run needs from the engine. */
export interface AheadEnvironment {
  readonly store: StateStore;
  readonly services: Services;
  readonly clock: () => number;
}

/** One element a forecastable step is run ahead on. */
export interface AheadElement {
  readonly batch: BatchStreams;
  readonly index: number | null;
  readonly inputs: Record<string, unknown>;
}

/**
 * Runs a forecastable step's block once on `holder.state`, advancing it: the steps it selects,
 * or null when it terminates the branch or fails (the real run fails the same way).
 */
export function runAhead(step: CompiledStep, holder: { state: unknown }, element: AheadElement, env: AheadEnvironment): readonly string[] | null {
  const states: StateCells = {
    get: () => holder.state,
    set: (_step, _key, value) => {
      holder.state = value;
    },
  };
  const scope = { store: env.store, states, services: env.services, clock: env.clock, signal: NEVER_ABORTED, executionId: "forecast" };
  try {
    const decision = step.block.run!(element.inputs, stepContext(scope, step, element.batch, element.index));
    return isFlowControl(decision) ? decision.next : null;
  } catch {
    return null;
  }
}

/** A copy of the state a step has now under `key` (its initial state if it has none yet), to run ahead on. */
export function startingState(step: CompiledStep, store: StateStore, key: string): unknown {
  const real = store.peek(step.name, key);
  return real === undefined ? step.block.state!.initial() : structuredClone(real);
}
