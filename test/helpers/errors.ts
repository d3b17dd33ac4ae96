/** The workflow error a call or a promise ends in; fails the test when it ends otherwise. */
import { WorkflowError } from "../../src/index.js";

export function errorOf(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowError) return error;
    throw error;
  }
  throw new Error("expected a workflow error");
}

export async function rejectionOf(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkflowError) return error;
    throw error;
  }
  throw new Error("expected a workflow error");
}
