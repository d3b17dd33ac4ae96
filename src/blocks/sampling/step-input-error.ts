/**
 * Stateful sampling blocks reject degenerate frames (zero vectors, NaN, a different embedding
 * length, …) rather than let NaN into their per-stream state. The rejection becomes a
 * `StepExecutionError` that says which step, stream and frame it was, because with many streams
 * and frames "step x failed" alone does not tell the user which input to look at.
 */
import type { StepContext } from "../../block-api/index.js";
import { StepExecutionError } from "../../errors/index.js";
import { DegenerateInputError } from "../../maths/input-checks.js";

export function rejectingDegenerateInput<T>(ctx: StepContext<unknown>, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (!(error instanceof DegenerateInputError)) throw error;
    const frame = ctx.frameNumber === null ? "" : `, frame ${ctx.frameNumber}`;
    const element = ctx.index === null ? "" : `, batch element ${ctx.index}`;
    throw new StepExecutionError(`Error during execution of step: $steps.${ctx.step} (stream "${ctx.stream}"${frame}${element}). Details: ${error.message}`, {
      blockId: ctx.step,
      blockType: ctx.blockType,
      context: "workflow_execution | step_execution",
      inner: error,
    });
  }
}
