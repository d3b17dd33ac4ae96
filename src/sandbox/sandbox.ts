import { SandboxCrashError, failureToError } from "./errors.js";
import type { CapturedLogs, GuestSetup, JavaScriptCode, SandboxLimits, SandboxPhase, SandboxStep, WorkerMessage } from "./protocol.js";
import { inputsToWire, outputFromWire } from "./wire.js";
import { SandboxWorker } from "./worker-host.js";

const MIB = 1024 * 1024;

/** `wallTimeMs` defaults to `timeMs` + 4 s unless given. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  timeMs: 1000,
  wallTimeMs: 5000,
  memoryBytes: 128 * MIB,
  stackBytes: 256 * 1024,
  outputBytes: 64 * MIB,
  logBytes: 1 * MIB,
};
const WALL_TIME_MARGIN_MS = 4000;
/** wasm32 addresses 2 GiB, 16 MiB of which QuickJS starts with; the worker's native stack is 128× the guest's. */
const MAXIMUM_LIMITS: Partial<SandboxLimits> = { memoryBytes: 2032 * MIB, stackBytes: 4 * MIB };

export interface SandboxOptions {
  readonly code: JavaScriptCode;
  /** The step the sandbox runs for: named in errors and returned by `getWorkflowContext()`. */
  readonly step: SandboxStep;
  readonly limits?: Partial<SandboxLimits>;
}

export interface SandboxCall {
  /** `workflow_execution_id` in `getWorkflowContext()`: unique per engine run. */
  readonly workflowExecutionId: string;
}

export interface SandboxResult extends CapturedLogs {
  /** What `run` returned (after awaiting it), as host values; `WorkflowImage`s for images. */
  readonly output: unknown;
}

function resolveLimits(given: Partial<SandboxLimits> = {}): SandboxLimits {
  for (const name of Object.keys(given)) {
    if (!(name in DEFAULT_SANDBOX_LIMITS)) throw new RangeError(`unknown sandbox limit ${name}`);
  }
  const timeMs = given.timeMs ?? DEFAULT_SANDBOX_LIMITS.timeMs;
  const limits: SandboxLimits = {
    ...DEFAULT_SANDBOX_LIMITS,
    wallTimeMs: timeMs + WALL_TIME_MARGIN_MS,
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
  };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`sandbox limit ${name} must be a positive number, got ${String(value)}`);
    }
  }
  for (const [name, maximum] of Object.entries(MAXIMUM_LIMITS) as [keyof SandboxLimits, number][]) {
    if (limits[name] > maximum) throw new RangeError(`sandbox limit ${name} must be at most ${maximum}, got ${limits[name]}`);
  }
  return limits;
}

function resolveSetup(options: SandboxOptions): GuestSetup {
  const { code, step } = options;
  if (typeof code.run_function_code !== "string") throw new TypeError("code.run_function_code must be a string");
  const initCode = code.init_function_code ?? null;
  if (initCode !== null && typeof initCode !== "string") throw new TypeError("code.init_function_code must be a string or null");
  return {
    runCode: code.run_function_code,
    runName: code.run_function_name ?? "run",
    initCode,
    initName: code.init_function_name ?? "init",
    step: { name: step.name, blockType: step.blockType },
    limits: resolveLimits(options.limits),
  };
}

/**
 * The user's JavaScript for one step, loaded in its own sandbox (see `index.ts` for the
 * security model). Calls are queued: one runs at a time, in order.
 */
export class JavaScriptSandbox {
  private worker: SandboxWorker | null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private restartCount = 0;

  private constructor(
    private readonly setup: GuestSetup,
    worker: SandboxWorker,
    /** What the top-level code and `init` printed. */
    readonly loadLogs: CapturedLogs,
  ) {
    this.worker = worker;
  }

  /**
   * Loads the code, checks the declared functions exist and runs `init`. Rejects with
   * `SandboxCodeError` (does not compile, or throws while loading), `SandboxFunctionMissingError`,
   * or the error of `init`.
   */
  static async create(options: SandboxOptions): Promise<JavaScriptSandbox> {
    const setup = resolveSetup(options);
    const { worker, logs } = await JavaScriptSandbox.startWorker(setup);
    return new JavaScriptSandbox(setup, worker, logs);
  }

  /** The limits in force, defaults filled in. */
  get limits(): SandboxLimits {
    return this.setup.limits;
  }

  /** How many times the sandbox was started afresh after a time, memory or wall-time limit or a crash. */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * `run(inputs, self)` in the guest with `this === self`; `inputs` are the named inputs.
   * Rejects with `SandboxExecutionError` (the code threw), `SandboxLimitError`,
   * `SandboxDataError` (a value cannot cross) or `SandboxCrashError`.
   */
  run(inputs: Readonly<Record<string, unknown>>, call: SandboxCall): Promise<SandboxResult> {
    const result = this.queue.then(() => this.runNow(inputs, call));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker; a call in progress fails and later calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private async runNow(inputs: Readonly<Record<string, unknown>>, call: SandboxCall): Promise<SandboxResult> {
    if (this.closed) throw this.crash("run", "the sandbox was closed");
    const { wire, images } = inputsToWire(inputs);
    const worker = await this.liveWorker();
    let answer: WorkerMessage;
    try {
      answer = await worker.request({ type: "call", inputs: wire, executionId: call.workflowExecutionId }, this.setup.limits.wallTimeMs, "run");
    } catch (error) {
      this.discard(worker);
      throw error;
    }
    switch (answer.type) {
      case "result":
        return { output: outputFromWire(answer.output, images), ...answer.logs };
      case "failure":
        if (answer.fatal) this.discard(worker);
        throw failureToError(answer.failure, this.setup.step, answer.logs);
      default:
        this.discard(worker);
        throw this.crash("run", `unexpected answer ${answer.type}`);
    }
  }

  /** The current worker, or a fresh one (code reloaded, `init` re-run) after the last was discarded. */
  private async liveWorker(): Promise<SandboxWorker> {
    if (this.worker?.alive) return this.worker;
    this.restartCount++;
    const { worker } = await JavaScriptSandbox.startWorker(this.setup);
    if (this.closed) {
      await worker.terminate();
      throw this.crash("run", "the sandbox was closed");
    }
    this.worker = worker;
    return worker;
  }

  private discard(worker: SandboxWorker): void {
    if (this.worker === worker) this.worker = null;
    void worker.terminate();
  }

  private crash(phase: SandboxPhase, detail: string): SandboxCrashError {
    return new SandboxCrashError({ reason: "crash", phase, detail }, this.setup.step);
  }

  private static async startWorker(setup: GuestSetup): Promise<{ worker: SandboxWorker; logs: CapturedLogs }> {
    const { worker, answer } = await SandboxWorker.start(setup);
    if (answer.type === "loaded") return { worker, logs: answer.logs };
    await worker.terminate();
    if (answer.type === "failure") throw failureToError(answer.failure, setup.step, answer.logs);
    throw new SandboxCrashError({ reason: "crash", phase: "load", detail: `unexpected answer ${answer.type}` }, setup.step);
  }
}
