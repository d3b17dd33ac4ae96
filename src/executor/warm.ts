/**
 * Warming: telling blocks which inputs their steps will run on next, so they can start work
 * that does not depend on state (an inference) while the current run is still going. Only steps
 * whose inputs are known before the run are warmed — fed by workflow inputs and literals — and
 * only for inputs that need no decoding.
 *
 * A step behind flow control is warmed for the elements its gates will probably let through:
 *   - when every gate is decided by a `deterministic` block fed by workflow inputs (a rate
 *     limiter on video time), that block is run ahead on a copy of its state, frame after
 *     frame in the order they are warmed — an exact forecast while the copy agrees with the
 *     real state after each run, and re-taken from the real state when it does not;
 *   - otherwise once its gates have let every element through `OPEN_RUNS_BEFORE_WARMING` runs
 *     in a row (e.g. a sampler that passes every frame it is given).
 * A wrong guess costs the inferences of the inputs warmed meanwhile; a missed one costs nothing
 * but the overlap.
 */
import type { Services } from "../block-api/index.js";
import type { CompiledStep, CompiledWorkflow } from "../compiler/index.js";
import { isWorkflowImage } from "../images/index.js";
import type { StateStore } from "../state/store.js";
import { fedByInputs, inputsAhead, isForecastable, runAhead, startingState, type AheadElement } from "./forecast.js";
import { batchSizeOf, broadcast, parameterValue } from "./inputs.js";
import { FlowDecisions, frameOf, identifyStreams, stateKey, stepElements, streamOf, workflowInputs, type BatchStreams, type Values } from "./interpreter.js";
import type { RunOutcome } from "./run.js";

/** Runs in a row a step's gates must have opened before the next run warms it (when not forecast). */
export const OPEN_RUNS_BEFORE_WARMING = 2;

/** Frames a forecast keeps ahead of the runs (more are dropped, oldest first: warms that never ran). */
const MAX_FORECAST_FRAMES = 1024;

interface ReadyInputs {
  values: Values;
  batchSize: number;
  batch: BatchStreams;
}

/** One element a forecast has run a flow-control step on, ahead of its real run. */
interface ForecastFrame extends AheadElement {
  /** The state the forecast expects after this frame's run, as JSON. */
  after: string;
}

/** A flow-control step's state (for one stream) run ahead over the frames warmed but not yet run. */
interface Forecast {
  state: unknown;
  readonly frames: ForecastFrame[];
}

export class Warmer {
  /** Steps worth warming: a `warm` hook and every source a workflow input. */
  private readonly steps: CompiledStep[];
  /** Flow-control steps that can be run ahead: deterministic, synchronous, fed by inputs, ungated. */
  private readonly forecastable: Set<string>;
  private readonly openRuns = new Map<string, number>();
  /** Per (flow step, state key). */
  private readonly forecasts = new Map<string, Forecast>();

  constructor(
    private readonly plan: CompiledWorkflow,
    private readonly store: StateStore,
    private readonly services: Services,
    private readonly clock: () => number,
  ) {
    this.steps = plan.steps.filter((step) => step.block.warm && fedByInputs(step));
    this.forecastable = new Set(plan.steps.filter(isForecastable).map((step) => step.name));
  }

  /** Best effort, synchronous, never throws: the run itself does the work and reports problems. */
  warm(raw: Readonly<Record<string, unknown>>): void {
    if (this.steps.length === 0) return;
    const ready = readyInputs(this.plan, raw);
    if (!ready) return;
    const decisions = new FlowDecisions(ready.batchSize); // each flow-control step forecast once per warm
    for (const step of this.steps) {
      const elements = this.elementsLikelyToRun(step, ready, decisions);
      if (elements.length === 0) continue;
      const inputs = elements.map((index) => inputsAhead(step, ready.values, index));
      try {
        step.block.warm!(inputs, this.services);
      } catch {
        // A hint only.
      }
    }
  }

  /** Learns from a finished run: gate history, and whether the forecast states still match. */
  observe(outcome: RunOutcome): void {
    for (const step of this.steps) {
      if (step.gates.length > 0) this.openRuns.set(step.name, outcome.passedGates(step) ? (this.openRuns.get(step.name) ?? 0) + 1 : 0);
    }
    for (const name of this.forecastable) {
      const step = this.plan.stepsByName.get(name)!;
      for (const index of stepElements(step, outcome.streams.length)) {
        const key = stateKey(this.store, step, streamOf(outcome, index));
        const forecast = this.forecasts.get(forecastId(step, key));
        if (forecast) this.check(step, key, forecast, frameOf(outcome, index));
      }
    }
  }

  /**
   * After the real run of `frame` (null: an image without a frame number — runs come in the
   * order they were warmed, so it is the oldest one forecast): if the forecast expected the state
   * it left, the frame is done with; otherwise (a frame it never saw, a wall clock that moved)
   * it starts again from the real state and replays the frames still ahead, so later forecasts
   * are right again.
   */
  private check(step: CompiledStep, key: string, forecast: Forecast, frame: number | null): void {
    const real = this.store.peek(step.name, key);
    const at = frame !== null ? forecast.frames.findIndex((entry) => frameOf(entry.batch, entry.index) === frame) : forecast.frames.length > 0 ? 0 : -1;
    const agrees = at >= 0 && forecast.frames[at].after === JSON.stringify(real ?? null);
    forecast.frames.splice(0, at + 1);
    if (!agrees) {
      forecast.state = startingState(step, this.store, key);
      for (const entry of forecast.frames) this.simulate(step, forecast, entry);
    }
    if (forecast.frames.length === 0) this.forecasts.delete(forecastId(step, key));
  }

  private elementsLikelyToRun(step: CompiledStep, ready: ReadyInputs, decisions: FlowDecisions): (number | null)[] {
    const all = stepElements(step, ready.batchSize);
    if (step.gates.length === 0) return all;
    if (!step.gates.every((gate) => this.forecastable.has(gate.flowStep))) {
      return (this.openRuns.get(step.name) ?? 0) >= OPEN_RUNS_BEFORE_WARMING ? all : [];
    }
    for (const gate of step.gates) {
      if (!decisions.decided(gate)) this.forecast(this.plan.stepsByName.get(gate.flowStep)!, ready, decisions);
    }
    return all.filter((index) => decisions.open(step, index));
  }

  /** Registers the branches a flow-control step will probably take, per element of the upcoming run. */
  private forecast(step: CompiledStep, ready: ReadyInputs, decisions: FlowDecisions): void {
    for (const index of stepElements(step, ready.batchSize)) decisions.register(step, this.runAhead(step, ready, index), index);
  }

  /** The steps a flow-control step would select for one element, run on the forecast's state; null when it terminates or cannot tell. */
  private runAhead(step: CompiledStep, ready: ReadyInputs, index: number | null): readonly string[] | null {
    const entry: ForecastFrame = { batch: ready.batch, index, inputs: inputsAhead(step, ready.values, index), after: "" };
    if (!step.block.state) return this.simulate(step, { state: undefined, frames: [] }, entry);
    const key = stateKey(this.store, step, streamOf(ready.batch, index));
    let forecast = this.forecasts.get(forecastId(step, key));
    if (!forecast) {
      forecast = { state: startingState(step, this.store, key), frames: [] };
      this.forecasts.set(forecastId(step, key), forecast);
    }
    const next = this.simulate(step, forecast, entry);
    forecast.frames.push(entry);
    if (forecast.frames.length > MAX_FORECAST_FRAMES) forecast.frames.shift();
    return next;
  }

  /** Runs the block on the forecast's state (advancing it) and records the state it leaves. */
  private simulate(step: CompiledStep, forecast: Forecast, entry: ForecastFrame): readonly string[] | null {
    const next = runAhead(step, forecast, entry, { store: this.store, services: this.services, clock: this.clock });
    entry.after = JSON.stringify(forecast.state ?? null);
    return next;
  }
}

function forecastId(step: CompiledStep, stateKey: string): string {
  return `${step.name}\0${stateKey}`;
}

/**
 * The raw inputs as the run will see them, or null when they are not ready-made (an image still
 * to be decoded, a list length that does not match).
 */
function readyInputs(plan: CompiledWorkflow, raw: Readonly<Record<string, unknown>>): ReadyInputs | null {
  const batchSize = batchSizeOf(plan, raw);
  const values = new Map<string, unknown>();
  for (const input of plan.inputs) {
    if (!input.isBatch) {
      values.set(input.name, parameterValue(input, raw));
      continue;
    }
    const value = raw[input.name];
    const elements = Array.isArray(value) ? value : [value];
    if (elements.length !== 1 && elements.length !== batchSize) return null;
    if (input.role === "image" && !elements.every(isWorkflowImage)) return null;
    values.set(input.name, broadcast(elements, batchSize));
  }
  return { values: workflowInputs(values), batchSize, batch: identifyStreams(plan, batchSize, values) };
}
