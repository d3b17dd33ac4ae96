/**
 * Calling a block during a run: whatever it throws becomes a workflow error that names the step
 * and the element, and what it returns is checked against its contract before the run takes it.
 */
import { isFlowControl, type FlowControl } from "../block-api/index.js";
import type { CompiledStep } from "../compiler/index.js";
import { describeValue, StepExecutionError, WorkflowError } from "../errors/index.js";
import type { BatchStreams } from "./interpreter.js";
import type { Outputs } from "./values.js";

/**
 * Calls a block for element `index` of the batch (null: a scalar step, or every element at
 * once); `expectList` when it is `runBatch`, which must return a list.
 */
export function callBlock(step: CompiledStep, invoke: () => unknown, batch: BatchStreams, index: number | null, expectList = false): unknown {
  let result: unknown;
  try {
    result = invoke();
  } catch (error) {
    throw blockError(step, error, batch, index);
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => checkList(step, value, batch, index, expectList),
      (error: unknown) => {
        throw blockError(step, error, batch, index);
      },
    );
  }
  return checkList(step, result, batch, index, expectList);
}

function checkList(step: CompiledStep, result: unknown, batch: BatchStreams, index: number | null, expectList: boolean): unknown {
  if (expectList && !Array.isArray(result)) throw blockError(step, new Error(`runBatch must return a list of results`), batch, index);
  return result;
}

/** A flow-control block's result, checked to be a decision. */
export function checkDecision(step: CompiledStep, result: unknown, batch: BatchStreams, index: number | null): FlowControl {
  if (!isFlowControl(result)) {
    throw blockError(step, new Error(`flow-control block ${step.block.manifest.type} must return selectSteps(...) or terminateBranch()`), batch, index);
  }
  return result;
}

/** A dimensionality-increasing block's result for one element, checked to be a list (of outputs, each checked by `checkOutputs`). */
export function checkNestedList(step: CompiledStep, result: unknown, batch: BatchStreams, index: number | null): unknown[] {
  if (!Array.isArray(result)) {
    throw blockError(step, new Error(`block returned ${describeValue(result)} instead of a list of outputs (it makes a batch one level deeper)`), batch, index);
  }
  return result as unknown[];
}

/** Any other block's result, checked to hold exactly the outputs its step declares. */
export function checkOutputs(step: CompiledStep, result: unknown, batch: BatchStreams, index: number | null): Outputs {
  if (typeof result !== "object" || result === null || Array.isArray(result) || isFlowControl(result)) {
    throw blockError(step, new Error(`block returned ${describeValue(result)} instead of its outputs`), batch, index);
  }
  const outputs = result as Outputs;
  const keys = Object.keys(outputs);
  if (keys.length !== step.outputNames.length || !step.outputNames.every((name) => name in outputs)) {
    throw blockError(step, new Error(`block returned outputs [${keys.join(", ")}], but declares [${step.outputNames.join(", ")}]`), batch, index);
  }
  return outputs;
}

/** What a block threw, as a workflow error that says where. */
function blockError(step: CompiledStep, error: unknown, batch: BatchStreams, index: number | null): WorkflowError {
  const where = describeElement(batch, index);
  if (error instanceof WorkflowError) {
    error.context ??= `step_execution | $steps.${step.name}${where}`;
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StepExecutionError(`Error during execution of step: $steps.${step.name}${where}. Details: ${message}`, {
    context: `workflow_execution | step_output_registration`,
    inner: error,
    blockId: step.name,
    blockType: step.block.manifest.type,
  });
}

/** An element as errors name it: by stream and frame, else by its place in a batch of several. */
function describeElement(batch: BatchStreams, index: number | null): string {
  if (index === null) return "";
  const frame = batch.frames[index];
  if (frame === null) return batch.streams.length > 1 ? ` (batch element ${index})` : "";
  return ` (stream ${batch.streams[index]}, frame ${frame})`;
}
