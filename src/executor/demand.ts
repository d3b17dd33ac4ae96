/**
 * Pixel demand: which frames of a stream will have their pixels read by some step, known before
 * the frames are decoded. A video decoder can then skip converting and piping the others — with
 * a rate limiter letting one frame a second through to CLIP, 29 frames of 30.
 *
 * A frame's pixels are read by the steps fed by the image input, except blocks that use only an
 * image's metadata (`imagesMetadataOnly`). The demand is known ahead when each such step is gated
 * by forecastable flow control (see `isForecastable`): those gates are run ahead, frame after
 * frame, on a copy of their state for the stream, as the Warmer does. Otherwise — a step that
 * reads every frame, a workflow output that is the image, a gate that cannot be run ahead, a
 * gate whose state spans streams — there is no demand to plan with: every frame is needed; and
 * from a frame whose gate reads the clock on (wall time cannot be known ahead) every frame is.
 */
import type { CompiledStep, CompiledWorkflow, ValueSource } from "../compiler/index.js";
import { inputsAhead, isForecastable, runAhead, startingState, type AheadEnvironment } from "./forecast.js";
import { parameterValue } from "./inputs.js";
import { FlowDecisions, identifyStreams, stateKey, streamOf, workflowInputs } from "./interpreter.js";

/**
 * Starts a forecast from the engine's state now (so, before the frames run). The function it
 * returns takes the consecutive frames of one stream, in order, each as its batch inputs (e.g.
 * `{ image, video_metadata }`), and says whether some step will read that frame's pixels.
 */
export type PixelDemand = () => (frame: Readonly<Record<string, unknown>>) => boolean;

export function planPixelDemand(
  plan: CompiledWorkflow,
  env: AheadEnvironment,
  imageInput: string,
  params: Readonly<Record<string, unknown>>,
): PixelDemand | null {
  const input = plan.inputsByName.get(imageInput);
  if (!input || input.role !== "image" || !input.isBatch) return null;
  const readsImage = (source: ValueSource) => source.from === "input" && source.input === imageInput;
  if (plan.outputs.some((output) => readsImage(output.source))) return null;
  const readers = plan.steps.filter((step) => step.sources.some(readsImage) && step.block.imagesMetadataOnly !== true);
  const gateSteps = new Map<string, CompiledStep>();
  for (const reader of readers) {
    if (reader.gates.length === 0) return null;
    for (const gate of reader.gates) {
      const step = plan.stepsByName.get(gate.flowStep)!;
      if (!isForecastable(step) || !step.isBatch) return null;
      // one state for all streams: a stream's frames alone cannot tell its decisions
      if (step.block.state && env.store.sharedByStreams(step.block.state.scope === "step")) return null;
      gateSteps.set(step.name, step);
    }
  }
  const parameters = new Map(plan.inputs.filter((node) => !node.isBatch).map((node) => [node.name, parameterValue(node, params)]));
  return () => {
    const holders = new Map<string, { state: unknown }>();
    // A gate that reads the clock (a rate limiter on frames without fps) cannot be told ahead:
    // from the first such frame on, every frame is demanded.
    let clockRead = false;
    const ahead: AheadEnvironment = {
      ...env,
      clock: () => {
        clockRead = true;
        return env.clock();
      },
    };
    return (frame) => {
      if (clockRead) return true;
      const values = new Map(parameters);
      for (const node of plan.inputs) if (node.isBatch) values.set(node.name, [frame[node.name]]);
      const batch = identifyStreams(plan, 1, values);
      const inputs = workflowInputs(values);
      const decisions = new FlowDecisions(1);
      for (const step of gateSteps.values()) {
        let holder = holders.get(step.name);
        if (!holder) {
          holder = { state: step.block.state ? startingState(step, env.store, stateKey(env.store, step, streamOf(batch, 0))) : undefined };
          holders.set(step.name, holder);
        }
        decisions.register(step, runAhead(step, holder, { batch, index: 0, inputs: inputsAhead(step, inputs, 0) }, ahead), 0);
      }
      return clockRead || readers.some((reader) => decisions.open(reader, 0));
    };
  };
}
