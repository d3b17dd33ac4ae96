/**
 * Upstream's block tests call `step.run(**properties)` with resolved values. Here the same
 * properties run as the one step of a real workflow: every value upstream passes resolved
 * arrives through a workflow parameter (`$inputs.<name>`), so the block sees what upstream's sees.
 */
import { expect } from "vitest";
import { compile, type WorkflowError } from "../../../src/index.js";
import { rejectionOf } from "../../helpers/errors.js";

/** A definition with one step of `type` and `properties`, fed by `parameters`, outputting its `output`. */
function oneStep(type: string, properties: Record<string, unknown>, parameters: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: Object.keys(parameters).map((name) => ({ type: "WorkflowParameter", name })),
    steps: [{ type, name: "step", ...properties }],
    outputs: [{ type: "JsonField", name: "output", selector: "$steps.step.output" }],
  };
}

/** `{name: "$inputs.<name>"}` for each name: values to be resolved from parameters of that name. */
export function fromInputs(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, `$inputs.${name}`]));
}

/** The step's result, `{output}`, as upstream's `step.run(...)` returns it. */
export async function runStep(type: string, properties: Record<string, unknown>, parameters: Record<string, unknown> = {}): Promise<unknown> {
  const [result] = await compile(oneStep(type, properties, parameters)).run(parameters);
  return result;
}

/** The workflow error the step fails with. */
export function stepFailure(type: string, properties: Record<string, unknown>, parameters: Record<string, unknown> = {}): Promise<WorkflowError> {
  return rejectionOf(compile(oneStep(type, properties, parameters)).run(parameters));
}

/** The error compiling the step fails with (a check sightline makes before any run). */
export function compileFailure(type: string, properties: Record<string, unknown>, parameters: Record<string, unknown> = {}): WorkflowError {
  try {
    compile(oneStep(type, properties, parameters));
  } catch (error) {
    return error as WorkflowError;
  }
  throw new Error("expected the definition not to compile");
}

/**
 * `pytest.raises(<Python exception>)` from `step.run`: through the engine, the step fails with a
 * `StepExecutionError` whose inner error is that exception (`inner_error_type`, as upstream's).
 */
export function expectInnerError(error: WorkflowError, pythonName: string, fragment: string): void {
  const body = error.toBody();
  expect(body.error_type).toBe("StepExecutionError");
  expect(body.inner_error_type).toBe(pythonName);
  expect(body.inner_error_message).toContain(fragment);
}
