/**
 * `/workflows/validate`'s answer, arranged for showing inline: messages per step and property
 * (from `blocks_errors`), and the rest (errors about outputs, inputs or the document as a whole).
 */
import type { WorkflowErrorBody } from "../wire.js";

export interface StepProblem {
  /** Null when the message concerns the step as a whole. */
  property: string | null;
  message: string;
}

export type Validation =
  | { state: "pending" }
  | { state: "valid" }
  | { state: "invalid"; errorType: string; message: string; byStep: ReadonlyMap<string, StepProblem[]>; general: string[] }
  /** The check itself failed (server unreachable, …). */
  | { state: "unavailable"; message: string };

export function validationFromError(body: WorkflowErrorBody): Validation {
  const byStep = new Map<string, StepProblem[]>();
  for (const error of body.blocks_errors ?? []) {
    if (!error.block_id) continue;
    const problem = { property: error.property_name, message: error.property_details ?? body.message };
    byStep.set(error.block_id, [...(byStep.get(error.block_id) ?? []), problem]);
  }
  const general = byStep.size === 0 ? [body.message] : [];
  return { state: "invalid", errorType: body.error_type, message: body.message, byStep, general };
}

export function stepProblems(validation: Validation, step: string): StepProblem[] {
  return validation.state === "invalid" ? (validation.byStep.get(step) ?? []) : [];
}

/** The messages about one property of a step. */
export function propertyProblems(validation: Validation, step: string, property: string): string[] {
  return stepProblems(validation, step)
    .filter((problem) => problem.property === property)
    .map((problem) => problem.message);
}
