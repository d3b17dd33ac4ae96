/**
 * One QuickJS runtime + context running one block's code, driven synchronously from inside a
 * sandbox worker: its lifecycle (creating it with its limits, evaluating the code, calling
 * `init` and `run`, settling promises, turning what the guest throws into failures) and its
 * limits (interrupt deadline, heap, stack). Copying the values of a call in and out is
 * marshal.ts's work, through the `GuestAccess` this VM gives it.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten";
import { GuestFailure, limitFailure, sandboxError } from "./guest-failure.js";
import { exportOutput, importInputs, type ExportedOutput, type GuestAccess } from "./marshal.js";
import { PRELUDE_HELPERS, PRELUDE_SOURCE, type PreludeHelper } from "./prelude.js";
import type { CapturedLogs, CodeSource, GuestSetup, SandboxPhase, WireObject } from "./protocol.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `run_function_code:3:14` in a QuickJS stack trace → line 3, column 14. */
export function codePosition(stack: string, source: CodeSource): { line: number | null; column: number | null } {
  const match = new RegExp(`${source}:(\\d+):(\\d+)`).exec(stack);
  return match ? { line: Number(match[1]), column: Number(match[2]) } : { line: null, column: null };
}

class LogCapture {
  private readonly streams: [string, string] = ["", ""];
  private readonly used: [number, number] = [0, 0];

  constructor(private readonly limitBytes: number) {}

  append(stream: 0 | 1, text: string): void {
    const used = this.used[stream];
    if (used > this.limitBytes) return;
    const size = Buffer.byteLength(text);
    if (used + size <= this.limitBytes) {
      this.streams[stream] += text;
      this.used[stream] = used + size;
      return;
    }
    this.streams[stream] += `\n[output truncated: more than ${this.limitBytes} bytes]\n`;
    this.used[stream] = this.limitBytes + 1;
  }

  take(): CapturedLogs {
    const logs = { stdout: this.streams[0], stderr: this.streams[1] };
    this.streams[0] = this.streams[1] = "";
    this.used[0] = this.used[1] = 0;
    return logs;
  }
}

const MIB = 1024 * 1024;
/** Deadline for the sandbox's own work in the guest (priming the garbage collector). */
const INTERNAL_WORK_MS = 5000;
/** Most cyclic objects `collectGarbage` makes; enough to cross the threshold of a large guest. */
const GARBAGE_COLLECTION_BUDGET = 2_000_000;

/**
 * Whether the guest's heap can still give `bytes`. Needed because quickjs-emscripten's glue does
 * not check its own `malloc` (a failed one writes through a null pointer) and QuickJS counts
 * almost nothing of what it allocates under Emscripten (`malloc_usable_size` is 0 there), so the
 * only reliable question is asking the allocator. Uses the module's Emscripten exports, which
 * quickjs-emscripten 0.32 keeps in its `module` field.
 */
export type HeapProbe = (bytes: number) => boolean;

export function heapProbe(module: QuickJSWASMModule): HeapProbe {
  const emscripten = (module as unknown as { module?: { _malloc?: unknown; _free?: unknown } }).module;
  const malloc = emscripten?._malloc as ((bytes: number) => number) | undefined;
  const free = emscripten?._free as ((pointer: number) => void) | undefined;
  if (typeof malloc !== "function" || typeof free !== "function") {
    throw new Error("quickjs-emscripten no longer exposes its Emscripten module's malloc/free; the sandbox needs them");
  }
  return (bytes) => {
    const pointer = malloc(bytes);
    if (pointer === 0) return false;
    free(pointer);
    return true;
  };
}

export interface CallOutcome extends ExportedOutput {
  readonly logs: CapturedLogs;
}

export class GuestVm {
  private readonly runtime: QuickJSRuntime;
  private readonly context: QuickJSContext;
  private readonly helpers = new Map<PreludeHelper, QuickJSHandle>();
  private readonly logs: LogCapture;
  private runFunction: QuickJSHandle | null = null;
  private initResults: QuickJSHandle | null = null;
  private deadline = Number.POSITIVE_INFINITY;
  private interrupted = false;
  private phase: SandboxPhase = "load";
  private readonly canAllocate: HeapProbe;
  /** What marshal.ts may use of this VM to copy a call's values in and out. */
  private readonly access: GuestAccess;

  private constructor(
    module: QuickJSWASMModule,
    private readonly setup: GuestSetup,
  ) {
    this.canAllocate = heapProbe(module);
    this.logs = new LogCapture(setup.limits.logBytes);
    this.runtime = module.newRuntime();
    // The real ceiling is the WebAssembly memory (see worker.ts); this only refuses single
    // oversized allocations early, QuickJS's accounting missing nearly everything else.
    this.runtime.setMemoryLimit(setup.limits.memoryBytes);
    this.runtime.setMaxStackSize(setup.limits.stackBytes);
    this.runtime.setInterruptHandler(() => {
      if (performance.now() <= this.deadline) return false;
      this.interrupted = true;
      return true;
    });
    this.context = this.runtime.newContext();
    this.access = {
      context: this.context,
      callHelper: (name, ...args) => this.callHelper(name, ...args),
      ensureHeap: (bytes) => this.ensureHeap(bytes),
      checkDeadline: () => this.checkDeadline(),
      wasInterrupted: () => this.interrupted,
      phase: () => this.phase,
      timeFailure: () => this.timeFailure(),
      memoryFailure: () => this.memoryFailure(),
    };
  }

  /** A fresh runtime and context with the limits and the prelude; no user code yet. */
  static create(module: QuickJSWASMModule, setup: GuestSetup): GuestVm {
    const vm = new GuestVm(module, setup);
    vm.installPrelude();
    // Once it has collected, QuickJS's threshold follows the live data instead of waiting for
    // ~32,000 allocations. Our own overhead, so not charged to the code's time.
    vm.deadline = performance.now() + INTERNAL_WORK_MS;
    vm.collectGarbage();
    vm.deadline = Number.POSITIVE_INFINITY;
    return vm;
  }

  /** Evaluates the run and init code, finds the functions and runs `init`; returns what was printed. */
  load(): CapturedLogs {
    const { setup } = this;
    this.phase = "load";
    this.withDeadline(() => {
      this.evaluate(setup.runCode, "run_function_code");
      if (setup.initCode !== null) this.evaluate(setup.initCode, "init_function_code");
      this.runFunction = this.lookUpFunction("run", setup.runName, "run_function_code");
      // Asynchronous work started at the top level finishes while loading, not in the first call.
      this.drainJobs();
    });
    this.phase = "init";
    this.initResults = this.withDeadline(() => {
      if (setup.initCode === null) return this.context.newObject();
      const init = this.lookUpFunction("init", setup.initName, "init_function_code");
      try {
        // What init throws is a problem of the code being loaded: reported against its source.
        return this.settle(this.context.callFunction(init, this.context.undefined), "init_function_code");
      } finally {
        init.dispose();
      }
    });
    return this.logs.take();
  }

  /** Calls `run(inputs, self)` with `this === self`. */
  call(inputs: WireObject, executionId: string): CallOutcome {
    this.phase = "run";
    const { output, transfer } = this.withDeadline(() => {
      const ctx = this.context;
      const inputsHandle = importInputs(this.access, inputs);
      const self = this.callHelper(
        "makeSelf",
        this.initResults!,
        ctx.newString(this.setup.step.name),
        ctx.newString(`$steps.${this.setup.step.name}`),
        ctx.newString(this.setup.step.blockType),
        ctx.newString(executionId),
      );
      try {
        const result = this.settle(ctx.callFunction(this.runFunction!, self, inputsHandle, self));
        let exported: ExportedOutput;
        try {
          exported = exportOutput(this.access, result, this.setup.limits.outputBytes);
        } finally {
          result.dispose();
        }
        // Between calls, garbage cycles must not pile up towards the limit.
        if (!this.canAllocate(this.setup.limits.memoryBytes / 4)) this.collectGarbage();
        return exported;
      } finally {
        self.dispose();
        inputsHandle.dispose();
      }
    });
    return { output, logs: this.logs.take(), transfer };
  }

  takeLogs(): CapturedLogs {
    return this.logs.take();
  }

  // ---- set-up ------------------------------------------------------------------------------

  private installPrelude(): void {
    const ctx = this.context;
    const emit = ctx.newFunction("emit", (stream, text) => {
      this.logs.append(ctx.getNumber(stream) === 1 ? 1 : 0, ctx.getString(text));
    });
    try {
      const prelude = this.unwrap(ctx.evalCode(PRELUDE_SOURCE, "sightline:prelude", { type: "global" }));
      const helpers = this.unwrap(ctx.callFunction(prelude, ctx.undefined, emit));
      prelude.dispose();
      PRELUDE_HELPERS.forEach((name, index) => this.helpers.set(name, ctx.getProp(helpers, index)));
      helpers.dispose();
    } finally {
      emit.dispose();
    }
  }

  private evaluate(code: string, source: CodeSource): void {
    const result = this.context.evalCode(code, source, { type: "global" });
    if (result.error) throw this.failureOf(result.error, source);
    result.value.dispose();
  }

  private lookUpFunction(role: "run" | "init", name: string, source: CodeSource): QuickJSHandle {
    const missing = (detail: string): GuestFailure =>
      new GuestFailure({ reason: "missing_function", phase: this.phase, role, functionName: name, detail }, false);
    if (!IDENTIFIER.test(name)) throw missing(`\`${name}\` is not a JavaScript identifier`);
    const result = this.context.evalCode(name, "sightline:lookup", { type: "global" });
    if (result.error) {
      const failure = this.failureOf(result.error, source);
      if (failure.failure.reason === "limit") throw failure;
      throw missing(`${source} defines no \`${name}\``);
    }
    if (this.context.typeof(result.value) !== "function") {
      result.value.dispose();
      throw missing(`\`${name}\` in ${source} is not a function`);
    }
    return result.value;
  }

  // ---- execution ---------------------------------------------------------------------------

  private withDeadline<T>(work: () => T): T {
    this.interrupted = false;
    this.deadline = performance.now() + this.setup.limits.timeMs;
    try {
      return work();
    } finally {
      this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  private checkDeadline(): void {
    if (performance.now() > this.deadline) {
      this.interrupted = true;
      throw this.timeFailure();
    }
  }

  private timeFailure(): GuestFailure {
    return limitFailure(this.phase, "time", this.setup.limits.timeMs);
  }

  private memoryFailure(): GuestFailure {
    return limitFailure(this.phase, "memory", this.setup.limits.memoryBytes);
  }

  /**
   * The value of a call once its promise (if it returned one) has settled. The guest has no
   * timers or I/O, so draining the job queue settles every promise that can ever settle. With a
   * `source`, what the call throws is reported as an error of that code (`SandboxCodeError`).
   */
  private settle(result: ReturnType<QuickJSContext["callFunction"]>, source?: CodeSource): QuickJSHandle {
    const value = this.unwrap(result, source);
    try {
      this.drainJobs();
    } catch (error) {
      value.dispose();
      throw error;
    }
    const state = this.context.getPromiseState(value);
    if (state.type === "fulfilled") {
      if (state.notAPromise) return value;
      value.dispose();
      return state.value;
    }
    value.dispose();
    if (state.type === "rejected") throw this.failureOf(state.error, source);
    throw sandboxError(this.phase, "the function returned a promise that never settles (the sandbox has no timers or I/O)");
  }

  /** Runs every pending promise job; an interrupt inside one rejects its promise rather than failing here. */
  private drainJobs(): void {
    const jobs = this.runtime.executePendingJobs();
    if (jobs.error) throw this.failureOf(jobs.error);
    if (this.interrupted) throw this.timeFailure();
  }

  private unwrap(result: ReturnType<QuickJSContext["callFunction"]>, source?: CodeSource): QuickJSHandle {
    if (result.error) throw this.failureOf(result.error, source);
    return result.value;
  }

  private callHelper(name: PreludeHelper, ...args: QuickJSHandle[]): QuickJSHandle {
    const ctx = this.context;
    try {
      return this.unwrap(ctx.callFunction(this.helpers.get(name)!, ctx.undefined, ...args));
    } finally {
      for (const arg of args) if (arg !== this.initResults) arg.dispose();
    }
  }

  /** Turns a thrown guest value into a failure; disposes it. */
  private failureOf(error: QuickJSHandle, source?: CodeSource): GuestFailure {
    try {
      if (this.interrupted) return this.timeFailure();
      const [name, message, stack] = this.describe(error);
      if ((name === "InternalError" && message === "out of memory") || (name === "" && !this.canAllocate(MIB))) {
        return this.memoryFailure();
      }
      if (name === "InternalError" && message === "stack overflow") {
        return limitFailure(this.phase, "stack", this.setup.limits.stackBytes);
      }
      if (source !== undefined) {
        const { line, column } = codePosition(stack, source);
        return new GuestFailure({ reason: "code", phase: this.phase, source, guestName: name, guestMessage: message, line, column }, false);
      }
      return new GuestFailure({ reason: "execution", phase: this.phase, guestName: name, guestMessage: message, guestStack: stack }, false);
    } finally {
      error.dispose();
    }
  }

  /** Host-side work in the guest's heap needs `bytes` free; a guest that left less has exhausted its memory. */
  private ensureHeap(bytes: number): void {
    if (this.canAllocate(bytes)) return;
    this.collectGarbage();
    if (!this.canAllocate(bytes)) throw this.memoryFailure();
  }

  /**
   * Frees garbage held in reference cycles. QuickJS runs its cycle collector when its count of
   * allocated bytes passes a threshold (then 1.5× what survived), but under Emscripten it counts
   * 8 bytes per allocation whatever the size: the first collection waits for ~32,000 allocations,
   * and cycles holding large buffers (image copies) can fill the heap between two collections.
   * There is no API to run it, so the prelude's helper provokes one. Running out of memory while
   * doing so means the heap is full of live data.
   */
  private collectGarbage(): void {
    const limit = this.context.newNumber(GARBAGE_COLLECTION_BUDGET);
    const result = this.context.callFunction(this.helpers.get("collectGarbage")!, this.context.undefined, limit);
    limit.dispose();
    if (!result.error) {
      result.value.dispose();
      return;
    }
    const failure = this.failureOf(result.error);
    if (failure.failure.reason === "limit") throw failure;
    throw this.memoryFailure();
  }

  /**
   * name, message and stack of a thrown value; empty name and placeholder message when that
   * fails (e.g. no memory left). Describing runs guest code (getters, toString), so it gets a
   * short deadline of its own.
   */
  private describe(error: QuickJSHandle): [string, string, string] {
    const ctx = this.context;
    const deadline = this.deadline;
    this.deadline = performance.now() + 100;
    try {
      const result = ctx.callFunction(this.helpers.get("describeError")!, ctx.undefined, error);
      if (result.error) {
        result.error.dispose();
        return ["", "<the thrown value could not be described>", ""];
      }
      const parts = [0, 1, 2].map((index) => {
        const part = ctx.getProp(result.value, index);
        const text = ctx.typeof(part) === "string" ? ctx.getString(part) : "";
        part.dispose();
        return text;
      });
      result.value.dispose();
      return [parts[0], parts[1], parts[2]];
    } catch {
      return ["", "<the thrown value could not be described>", ""];
    } finally {
      this.deadline = deadline;
      this.interrupted = false;
    }
  }
}
