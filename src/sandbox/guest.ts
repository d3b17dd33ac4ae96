/**
 * One QuickJS runtime + context running one block's code, driven synchronously from inside a
 * sandbox worker. It owns the limits (interrupt deadline, heap limit, stack limit), evaluates the
 * code, and copies values in and out of the QuickJS heap. Everything the guest hands back is
 * read defensively: reading may run guest getters (under the same deadline), and every shape is
 * validated before it becomes a host value.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten";
import { PRELUDE_HELPERS, PRELUDE_SOURCE, type PreludeHelper } from "./prelude.js";
import {
  MAX_NESTING,
  childPath,
  isTypedArrayName,
  type CapturedLogs,
  type CodeSource,
  type GuestSetup,
  type LimitName,
  type SandboxPhase,
  type TypedArrayName,
  type WireFailure,
  type WireImage,
  type WireObject,
  type WireValue,
} from "./protocol.js";

/** A failure of the guest, as it will be reported to the host. */
export class GuestFailure extends Error {
  constructor(
    readonly failure: WireFailure,
    /** The runtime may be exhausted or stopped mid-way: discard it. */
    readonly fatal: boolean,
  ) {
    super(failure.reason);
  }
}

/** Limits after which the guest cannot be trusted to be consistent (or has no memory left). */
const FATAL_LIMITS: ReadonlySet<LimitName> = new Set(["time", "wall_time", "memory"]);

function limitFailure(phase: SandboxPhase, limit: LimitName, value: number): GuestFailure {
  return new GuestFailure({ reason: "limit", phase, limit, value }, FATAL_LIMITS.has(limit));
}

function dataFailure(phase: SandboxPhase, path: string, problem: string): GuestFailure {
  return new GuestFailure({ reason: "data", phase, path, problem }, false);
}

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

/** Bytes a call's output may still take; counted as the output is copied out. */
class OutputBudget {
  private remaining: number;

  constructor(private readonly limit: number) {
    this.remaining = limit;
  }

  charge(bytes: number): void {
    this.remaining -= bytes;
    if (this.remaining < 0) throw limitFailure("run", "output_size", this.limit);
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
  const malloc = emscripten?._malloc;
  const free = emscripten?._free;
  if (typeof malloc !== "function" || typeof free !== "function") {
    throw new Error("quickjs-emscripten no longer exposes its Emscripten module's malloc/free; the sandbox needs them");
  }
  return (bytes) => {
    const pointer = malloc(bytes) as number;
    if (pointer === 0) return false;
    free(pointer);
    return true;
  };
}

export interface CallOutcome {
  readonly output: WireValue;
  readonly logs: CapturedLogs;
  /** Fresh buffers in `output`, to move (not copy) to the host. */
  readonly transfer: ArrayBuffer[];
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
        return this.settle(this.context.callFunction(init, this.context.undefined));
      } finally {
        init.dispose();
      }
    });
    return this.logs.take();
  }

  /** Calls `run(inputs, self)` with `this === self`. */
  call(inputs: WireObject, executionId: string): CallOutcome {
    this.phase = "run";
    const transfer: ArrayBuffer[] = [];
    const output = this.withDeadline(() => {
      const ctx = this.context;
      const inputsHandle = this.importInputs(inputs);
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
        let output: WireValue;
        try {
          const budget = new OutputBudget(this.setup.limits.outputBytes);
          this.ensureHeap(MIB);
          output = this.exportValue(result, "output", 0, [], budget, transfer);
        } finally {
          result.dispose();
        }
        // Between calls, garbage cycles must not pile up towards the limit.
        if (!this.canAllocate(this.setup.limits.memoryBytes / 4)) this.collectGarbage();
        return output;
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
      throw limitFailure(this.phase, "time", this.setup.limits.timeMs);
    }
  }

  /**
   * The value of a call once its promise (if it returned one) has settled. The guest has no
   * timers or I/O, so draining the job queue settles every promise that can ever settle.
   */
  private settle(result: ReturnType<QuickJSContext["callFunction"]>): QuickJSHandle {
    const value = this.unwrap(result);
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
    if (state.type === "rejected") throw this.failureOf(state.error);
    throw new GuestFailure(
      {
        reason: "execution",
        phase: this.phase,
        guestName: "Error",
        guestMessage: "the function returned a promise that never settles (the sandbox has no timers or I/O)",
        guestStack: "",
      },
      false,
    );
  }

  /** Runs every pending promise job; an interrupt inside one rejects its promise rather than failing here. */
  private drainJobs(): void {
    const jobs = this.runtime.executePendingJobs();
    if (jobs.error) throw this.failureOf(jobs.error);
    if (this.interrupted) throw limitFailure(this.phase, "time", this.setup.limits.timeMs);
  }

  private unwrap(result: ReturnType<QuickJSContext["callFunction"]>): QuickJSHandle {
    if (result.error) throw this.failureOf(result.error);
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
      if (this.interrupted) return limitFailure(this.phase, "time", this.setup.limits.timeMs);
      const [name, message, stack] = this.describe(error);
      if ((name === "InternalError" && message === "out of memory") || (name === "" && !this.canAllocate(MIB))) {
        return limitFailure(this.phase, "memory", this.setup.limits.memoryBytes);
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
    if (!this.canAllocate(bytes)) throw limitFailure(this.phase, "memory", this.setup.limits.memoryBytes);
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
    throw limitFailure(this.phase, "memory", this.setup.limits.memoryBytes);
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
      return [parts[0]!, parts[1]!, parts[2]!];
    } catch {
      return ["", "<the thrown value could not be described>", ""];
    } finally {
      this.deadline = deadline;
      this.interrupted = false;
    }
  }

  // ---- values in ---------------------------------------------------------------------------

  /** Copying in allocates in the guest's memory, twice for buffers (the glue's copy, then QuickJS's). */
  private importInputs(inputs: WireObject): QuickJSHandle {
    this.ensureHeap(2 * wireBytes(inputs) + MIB);
    try {
      return this.importValue(inputs);
    } catch (error) {
      if (error instanceof GuestFailure) throw error;
      throw limitFailure(this.phase, "memory", this.setup.limits.memoryBytes);
    }
  }

  /** A host value as a new guest value (the caller disposes it). */
  private importValue(value: WireValue): QuickJSHandle {
    const ctx = this.context;
    if (value === null) return ctx.null;
    if (value === undefined) return ctx.undefined;
    if (typeof value === "boolean") return value ? ctx.true : ctx.false;
    if (typeof value === "number") return ctx.newNumber(value);
    if (typeof value === "string") return this.allocated(ctx.newString(value), "string");
    switch (value.t) {
      case "array": {
        const array = this.allocated(ctx.newArray(), "object");
        value.items.forEach((item, index) => this.setProperty(array, index, this.importValue(item)));
        return array;
      }
      case "object": {
        const object = this.allocated(ctx.newObject(), "object");
        for (const [key, item] of value.entries) this.setProperty(object, key, this.importValue(item));
        return object;
      }
      case "typed":
        return this.importBytes(value.name, value.bytes);
      case "date":
        return this.callHelper("makeDate", ctx.newNumber(value.ms));
      case "image":
        return this.importImage(value);
    }
  }

  private importImage(image: WireImage): QuickJSHandle {
    const metadata = image.videoMetadata;
    return this.importValue({
      t: "object",
      entries: [
        ["width", image.width],
        ["height", image.height],
        ["data", { t: "typed", name: "Uint8Array", bytes: image.data }],
        ["parent_id", image.parentId],
        [
          "video_metadata",
          metadata && {
            t: "object",
            entries: [
              ["video_identifier", metadata.video_identifier],
              ["frame_number", metadata.frame_number],
              ["frame_timestamp", { t: "date", ms: metadata.frame_timestamp_ms }],
              ["fps", metadata.fps],
              ["measured_fps", metadata.measured_fps],
              ["comes_from_video_file", metadata.comes_from_video_file],
            ],
          },
        ],
      ],
    });
  }

  private importBytes(name: TypedArrayName, bytes: Uint8Array): QuickJSHandle {
    const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    return this.callHelper("makeTyped", this.context.newString(name), this.context.newArrayBuffer(exact));
  }

  /** Host-made strings and containers that hit the heap limit come back as exceptions, not values. */
  private allocated(handle: QuickJSHandle, expected: "string" | "object"): QuickJSHandle {
    if (this.context.typeof(handle) === expected) return handle;
    handle.dispose();
    throw limitFailure(this.phase, "memory", this.setup.limits.memoryBytes);
  }

  private setProperty(target: QuickJSHandle, key: string | number, value: QuickJSHandle): void {
    // Assigning `__proto__` would set the prototype instead of making a property.
    if (key === "__proto__") {
      this.callHelper("defineData", target.dup(), this.context.newString(key), value).dispose();
      return;
    }
    this.context.setProp(target, key, value);
    value.dispose();
  }

  // ---- values out --------------------------------------------------------------------------

  private classify(handle: QuickJSHandle): string {
    const kind = this.callHelper("classify", handle.dup());
    try {
      return this.context.getString(kind);
    } finally {
      kind.dispose();
    }
  }

  /**
   * `value.length` as a number (0 when absent). Not `QuickJSContext.getLength`: it answers only
   * for objects, and reads its result through a view made once, which a grown memory detaches.
   */
  private lengthOf(handle: QuickJSHandle): number {
    const length = this.property(handle, "length");
    try {
      return this.context.typeof(length) === "number" ? this.context.getNumber(length) : 0;
    } finally {
      length.dispose();
    }
  }

  private exportValue(
    handle: QuickJSHandle,
    path: string,
    depth: number,
    ancestors: QuickJSHandle[],
    budget: OutputBudget,
    transfer: ArrayBuffer[],
  ): WireValue {
    const ctx = this.context;
    const kind = this.classify(handle);
    switch (kind) {
      case "undefined":
      case "null":
        budget.charge(8);
        return null;
      case "boolean":
        budget.charge(8);
        return ctx.sameValue(handle, ctx.true);
      case "number":
        budget.charge(8);
        return ctx.getNumber(handle);
      case "string": {
        // Checked before copying: the string may be as large as the guest's whole heap.
        const length = ctx.getProp(handle, "length");
        const characters = ctx.getNumber(length);
        length.dispose();
        budget.charge(2 * characters);
        // Copied out as UTF-8 through the guest's heap.
        this.ensureHeap(3 * characters + 1);
        return ctx.getString(handle);
      }
      case "date": {
        budget.charge(8);
        const ms = this.callHelper("dateValue", handle.dup());
        try {
          return { t: "date", ms: ctx.getNumber(ms) };
        } finally {
          ms.dispose();
        }
      }
      case "array":
      case "object":
        break;
      default:
        if (isTypedArrayName(kind)) return this.exportTyped(handle, kind, path, budget, transfer);
        throw dataFailure(this.phase, path, unsupportedProblem(kind));
    }
    this.checkDeadline();
    if (depth >= MAX_NESTING) throw dataFailure(this.phase, path, `is nested deeper than ${MAX_NESTING} levels`);
    if (ancestors.some((ancestor) => ctx.sameValue(ancestor, handle))) {
      throw dataFailure(this.phase, path, "refers back to itself (a cycle cannot leave the sandbox)");
    }
    ancestors.push(handle);
    try {
      return kind === "array"
        ? this.exportArray(handle, path, depth, ancestors, budget, transfer)
        : this.exportObject(handle, path, depth, ancestors, budget, transfer);
    } finally {
      ancestors.pop();
    }
  }

  private exportArray(
    handle: QuickJSHandle,
    path: string,
    depth: number,
    ancestors: QuickJSHandle[],
    budget: OutputBudget,
    transfer: ArrayBuffer[],
  ): WireValue {
    const length = this.lengthOf(handle);
    // Charged up front: a sparse `new Array(2 ** 32 - 1)` is cheap to make but not to walk.
    budget.charge(8 * length);
    const items: WireValue[] = [];
    for (let index = 0; index < length; index++) {
      items.push(this.exportProperty(handle, index, childPath(path, index), depth, ancestors, budget, transfer));
    }
    return { t: "array", items };
  }

  private exportObject(
    handle: QuickJSHandle,
    path: string,
    depth: number,
    ancestors: QuickJSHandle[],
    budget: OutputBudget,
    transfer: ArrayBuffer[],
  ): WireValue {
    const keys = this.ownKeys(handle, budget);
    if (keys.includes("data") && keys.includes("width") && keys.includes("height")) {
      const image = this.exportImage(handle, path, budget, transfer);
      if (image) return image;
    }
    const entries: [string, WireValue][] = keys.map((key) => [key, this.exportProperty(handle, key, childPath(path, key), depth, ancestors, budget, transfer)]);
    return { t: "object", entries };
  }

  private ownKeys(handle: QuickJSHandle, budget: OutputBudget): string[] {
    const ctx = this.context;
    const keys = this.callHelper("keysOf", handle.dup());
    try {
      const count = this.lengthOf(keys);
      budget.charge(16 * count);
      const names: string[] = [];
      for (let index = 0; index < count; index++) {
        const key = ctx.getProp(keys, index);
        names.push(ctx.getString(key));
        key.dispose();
      }
      for (const name of names) budget.charge(2 * name.length);
      return names;
    } finally {
      keys.dispose();
    }
  }

  private exportProperty(
    handle: QuickJSHandle,
    key: string | number,
    path: string,
    depth: number,
    ancestors: QuickJSHandle[],
    budget: OutputBudget,
    transfer: ArrayBuffer[],
  ): WireValue {
    const child = this.property(handle, key);
    try {
      return this.exportValue(child, path, depth + 1, ancestors, budget, transfer);
    } finally {
      child.dispose();
    }
  }

  /** `object[key]`; a getter may throw (the API does not hand over what), failing the call with the property named. */
  private property(handle: QuickJSHandle, key: string | number): QuickJSHandle {
    const value = this.context.getProp(handle, key);
    if (this.context.typeof(value) !== "unknown") return value;
    value.dispose();
    if (this.interrupted) throw limitFailure(this.phase, "time", this.setup.limits.timeMs);
    throw new GuestFailure(
      {
        reason: "execution",
        phase: this.phase,
        guestName: "Error",
        guestMessage: `reading property ${JSON.stringify(String(key))} of the returned value failed`,
        guestStack: "",
      },
      false,
    );
  }

  private exportTyped(handle: QuickJSHandle, name: TypedArrayName, path: string, budget: OutputBudget, transfer: ArrayBuffer[]): WireValue {
    const bytes = this.typedBytes(handle, path, budget);
    transfer.push(bytes.buffer as ArrayBuffer);
    return { t: "typed", name, bytes };
  }

  /** A copy of a typed array's bytes, read through the untamperable intrinsic getters. */
  private typedBytes(handle: QuickJSHandle, path: string, budget: OutputBudget): Uint8Array {
    const ctx = this.context;
    const view = this.callHelper("viewOf", handle.dup());
    const [buffer, offset, length] = [0, 1, 2].map((index) => ctx.getProp(view, index));
    view.dispose();
    try {
      const start = ctx.getNumber(offset!);
      const size = ctx.getNumber(length!);
      budget.charge(size);
      this.ensureHeap(size);
      const heap = ctx.getArrayBuffer(buffer!);
      try {
        if (!(start >= 0 && size >= 0 && start + size <= heap.value.length)) {
          throw dataFailure(this.phase, path, "is a typed array whose buffer could not be read");
        }
        return heap.value.slice(start, start + size);
      } finally {
        heap.dispose();
      }
    } finally {
      buffer!.dispose();
      offset!.dispose();
      length!.dispose();
    }
  }

  /**
   * An object with `width`, `height` and a `Uint8Array` (or `Uint8ClampedArray`) `data` is an
   * image; anything else with those keys is an ordinary object.
   */
  private exportImage(handle: QuickJSHandle, path: string, budget: OutputBudget, transfer: ArrayBuffer[]): WireImage | null {
    const ctx = this.context;
    const data = this.property(handle, "data");
    try {
      const kind = this.classify(data);
      if (kind !== "Uint8Array" && kind !== "Uint8ClampedArray") return null;
      const width = this.imageDimension(handle, "width", path);
      const height = this.imageDimension(handle, "height", path);
      const bytes = this.typedBytes(data, childPath(path, "data"), budget);
      if (bytes.length !== width * height * 3) {
        throw dataFailure(this.phase, childPath(path, "data"), `has ${bytes.length} bytes; a ${width}x${height} RGB image needs ${width * height * 3}`);
      }
      const parent = this.property(handle, "parent_id");
      let parentId: string | null;
      try {
        const parentKind = ctx.typeof(parent);
        if (parentKind === "string") parentId = ctx.getString(parent);
        else if (parentKind === "undefined" || this.classify(parent) === "null") parentId = null;
        else throw dataFailure(this.phase, childPath(path, "parent_id"), "must be a string, null or absent");
      } finally {
        parent.dispose();
      }
      transfer.push(bytes.buffer as ArrayBuffer);
      return { t: "image", width, height, data: bytes, parentId, videoMetadata: null };
    } finally {
      data.dispose();
    }
  }

  private imageDimension(handle: QuickJSHandle, key: "width" | "height", path: string): number {
    const value = this.property(handle, key);
    try {
      const number = this.context.typeof(value) === "number" ? this.context.getNumber(value) : Number.NaN;
      if (!Number.isInteger(number) || number < 1) {
        throw dataFailure(this.phase, childPath(path, key), "must be a positive integer (the image has image data)");
      }
      return number;
    } finally {
      value.dispose();
    }
  }
}

function unsupportedProblem(kind: string): string {
  const what: Record<string, string> = {
    function: "is a function",
    symbol: "is a symbol",
    bigint: "is a BigInt (convert it with Number())",
    "unsupported:Map": "is a Map (use a plain object)",
    "unsupported:Set": "is a Set (use an array)",
    "unsupported:Promise": "is a Promise (await it before returning)",
    "unsupported:ArrayBuffer": "is an ArrayBuffer (wrap it in a typed array such as Uint8Array)",
    "unsupported:DataView": "is a DataView (use a typed array)",
  };
  const problem = what[kind] ?? `is a ${kind}`;
  return `${problem}; only null, booleans, numbers, strings, arrays, plain objects, Dates, typed arrays and images can leave the sandbox`;
}

/** Roughly what copying `value` into the guest allocates. */
function wireBytes(value: WireValue): number {
  if (typeof value === "string") return 3 * value.length + 16;
  if (value === null || typeof value !== "object") return 16;
  switch (value.t) {
    case "array":
      return 16 + value.items.reduce((sum: number, item) => sum + wireBytes(item), 0);
    case "object":
      return 16 + value.entries.reduce((sum: number, [key, item]) => sum + 3 * key.length + 16 + wireBytes(item), 0);
    case "typed":
      return 64 + value.bytes.byteLength;
    case "image":
      return 1024 + value.data.byteLength;
    case "date":
      return 64;
  }
}
