import { afterAll } from "vitest";
import { JavaScriptSandbox, type SandboxLimits } from "../../src/sandbox/index.js";

export const CALL = { workflowExecutionId: "3f1c5a2e-0000-4000-8000-000000000001" };
export const STEP = { name: "custom_step", blockType: "CustomBlock" };

export interface TestSandboxOptions {
  init?: string;
  runName?: string;
  initName?: string;
  limits?: Partial<SandboxLimits>;
}

/** Sandboxes made by a test file, closed after it (each holds a worker thread). */
export function sandboxFactory(): (runCode: string, options?: TestSandboxOptions) => Promise<JavaScriptSandbox> {
  const made: JavaScriptSandbox[] = [];
  afterAll(async () => {
    await Promise.all(made.map((sandbox) => sandbox.close()));
  });
  return async (runCode, options = {}) => {
    const sandbox = await JavaScriptSandbox.create({
      code: {
        run_function_code: runCode,
        run_function_name: options.runName,
        init_function_code: options.init ?? null,
        init_function_name: options.initName,
      },
      step: STEP,
      limits: options.limits,
    });
    made.push(sandbox);
    return sandbox;
  };
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`, { cause: error });
  }
  throw new Error("expected a rejection, but it resolved");
}
