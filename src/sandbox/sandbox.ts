import { SandboxCrashError, failureToError, loadError, type SandboxError } from "./errors.js";
import { SandboxPool, type PoolSlot, type SlotUse } from "./pool.js";
import {
  MAXIMUM_STACK_BYTES,
  type CapturedLogs,
  type GuestSetup,
  type JavaScriptCode,
  type SandboxLimits,
  type SandboxPhase,
  type SandboxStep,
} from "./protocol.js";
import { inputsToWire, outputFromWire } from "./wire.js";
import type { SandboxWorker } from "./worker-host.js";

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
/** wasm32 addresses 2 GiB, 16 MiB of which QuickJS starts with; the threads' native stacks are sized for the largest guest stack. */
const MAXIMUM_LIMITS: Partial<SandboxLimits> = { memoryBytes: 2032 * MIB, stackBytes: MAXIMUM_STACK_BYTES };

export interface SandboxOptions {
  readonly code: JavaScriptCode;
  /** The step the sandbox runs for: named in errors and returned by `getWorkflowContext()`. */
  readonly step: SandboxStep;
  readonly limits?: Partial<SandboxLimits>;
  /** The threads the code runs on; default a pool of one thread for this sandbox alone. */
  readonly pool?: SandboxPool;
  /** Gives up waiting for a thread to load the code (the reason is the rejection). */
  readonly signal?: AbortSignal;
}

export interface SandboxCall {
  /** `workflow_execution_id` in `getWorkflowContext()`: unique per engine run. */
  readonly workflowExecutionId: string;
  /** Gives up waiting for the thread (a call that has started runs to its limits). */
  readonly signal?: AbortSignal;
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

let guestCount = 0;

/**
 * The user's JavaScript for one step, loaded in a sandbox on a pooled thread (see `index.ts` for
 * the security model and `pool.ts` for the threads). Calls take turns with the other sandboxes
 * of the same thread, in order.
 */
export class JavaScriptSandbox {
  /** This sandbox's guest in its thread. */
  private readonly guest = ++guestCount;
  /** The thread generation the guest was loaded in; null when it must be loaded (again). */
  private loadedIn: number | null = null;
  private readonly closing = new AbortController();
  private loads = 0;
  private logsOfLoad: CapturedLogs = { stdout: "", stderr: "" };

  private constructor(
    private readonly setup: GuestSetup,
    private readonly pool: SandboxPool,
    private readonly slot: PoolSlot,
    /** A pool made for this sandbox alone, closed with it. */
    private readonly ownPool: boolean,
  ) {}

  /**
   * Loads the code, checks the declared functions exist and runs `init`. Rejects with
   * `SandboxCodeError` (does not compile, or throws while loading or in `init`),
   * `SandboxFunctionMissingError`, a `DynamicBlockCodeError` whose inner error is the sandbox's
   * (a limit while loading or in `init`), or `SandboxCrashError` (no thread to load it on).
   */
  static async create(options: SandboxOptions): Promise<JavaScriptSandbox> {
    const setup = resolveSetup(options);
    options.signal?.throwIfAborted();
    const pool = options.pool ?? new SandboxPool({ maxWorkers: 1 });
    const sandbox = new JavaScriptSandbox(setup, pool, pool.assign(), options.pool === undefined);
    // Given up: a load waiting for the thread leaves the queue, one under way is stopped.
    const giveUp = (): void => void sandbox.close();
    options.signal?.addEventListener("abort", giveUp, { once: true });
    try {
      await sandbox.slot.use(sandbox.use("load", undefined), (thread, generation) => sandbox.load(thread, generation));
    } catch (error) {
      await sandbox.close();
      options.signal?.throwIfAborted();
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", giveUp);
    }
    return sandbox;
  }

  /** What the top-level code and `init` printed. */
  get loadLogs(): CapturedLogs {
    return this.logsOfLoad;
  }

  /** The limits in force, defaults filled in. */
  get limits(): SandboxLimits {
    return this.setup.limits;
  }

  /** How many times the code was loaded afresh after a time, memory or wall-time limit or a crash (its own or its thread's). */
  get restarts(): number {
    return Math.max(0, this.loads - 1);
  }

  /**
   * `run(inputs, self)` in the guest with `this === self`; `inputs` are the named inputs.
   * Rejects with `SandboxExecutionError` (the code threw), `SandboxLimitError`,
   * `SandboxDataError` (a value cannot cross) or `SandboxCrashError`; with the signal's reason
   * when it aborts before the call has the thread.
   */
  async run(inputs: Readonly<Record<string, unknown>>, call: SandboxCall): Promise<SandboxResult> {
    if (this.closing.signal.aborted) throw this.crash("run", "the sandbox was closed");
    const { wire, images } = inputsToWire(inputs);
    return this.slot.use(this.use("run", call.signal), async (thread, generation) => {
      if (this.loadedIn !== generation) await this.load(thread, generation);
      const message = { type: "call", guest: this.guest, inputs: wire, executionId: call.workflowExecutionId } as const;
      const answer = await thread.request(message, this.setup.limits.wallTimeMs, "run", this.setup.step);
      switch (answer.type) {
        case "result":
          return { output: outputFromWire(answer.output, images), ...answer.logs };
        case "failure":
          if (answer.fatal) this.loadedIn = null;
          throw failureToError(answer.failure, this.setup.step, answer.logs);
        default:
          throw this.crash("run", `unexpected answer ${answer.type}`);
      }
    });
  }

  /** Releases the guest; a call in progress fails (its thread is replaced) and later calls are refused. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(this.crash("run", "the sandbox was closed"));
    if (this.slot.isHeldBy(this)) this.slot.kill("the sandbox was closed");
    else if (this.loadedIn !== null) this.slot.post({ type: "drop", guest: this.guest }, this.loadedIn);
    this.pool.release(this.slot);
    if (this.ownPool) await this.pool.close();
  }

  private use(phase: SandboxPhase, signal: AbortSignal | undefined): SlotUse {
    return { holder: this, step: this.setup.step, phase, signals: signal ? [this.closing.signal, signal] : [this.closing.signal] };
  }

  /** Loads the code into a fresh guest on `thread` (evaluating it and running `init`). */
  private async load(thread: SandboxWorker, generation: number): Promise<void> {
    if (this.closing.signal.aborted) throw this.crash("load", "the sandbox was closed");
    this.loadedIn = null;
    this.loads++;
    const answer = await thread
      .request({ type: "load", guest: this.guest, setup: this.setup }, this.setup.limits.wallTimeMs + this.setup.limits.timeMs, "load", this.setup.step)
      .catch((error: unknown) => {
        throw loadError(error as SandboxError, this.setup.step);
      });
    if (answer.type === "loaded") {
      this.loadedIn = generation;
      this.logsOfLoad = answer.logs;
      return;
    }
    if (answer.type === "failure") throw loadError(failureToError(answer.failure, this.setup.step, answer.logs), this.setup.step);
    throw this.crash("load", `unexpected answer ${answer.type}`);
  }

  private crash(phase: SandboxPhase, detail: string): SandboxCrashError {
    return new SandboxCrashError({ reason: "crash", phase, detail }, this.setup.step);
  }
}
