/**
 * Sandboxed JavaScript for custom ("dynamic") blocks whose code is `"type": "JavaScriptCode"`
 * (docs/reference/workflows.md#custom-blocks; upstream runs Python `PythonCode` with the same
 * fields).
 *
 * ## Calling convention
 *
 * `run_function_code` and `init_function_code` are classic scripts evaluated in one global scope
 * (upstream runs Python at module level): top-level `function`, `let`, `const` and `var` persist
 * across calls of the same step until the sandbox restarts. Upstream's `run(self, **inputs)` is
 *
 * ```js
 * function run(inputs, self) {            // also `this === self`
 *   const { value, image } = inputs;      // one object of the manifest's named inputs
 *   self.init_results;                    // what init() returned ({} without init code)
 *   self.getWorkflowContext();            // { step_name, step_selector, block_type, workflow_execution_id }
 *   return { out: value };                // a dict of outputs (a list of them for batch input)
 * }
 * function init() { return { threshold: 0.5 }; }   // optional; no arguments, like upstream
 * ```
 *
 * `run` and `init` may be `async` (the sandbox has no timers or I/O, so their promises settle
 * during the call). `console.log/info/debug` print to the call's `stdout`, `console.warn/error` to
 * its `stderr` (upstream's `python_blocks_output_streams`).
 *
 * Values: null, booleans, numbers (NaN, ±Infinity, -0 included), strings, arrays, plain objects,
 * Dates and typed arrays cross both ways; `undefined` comes back as `null`. A `WorkflowImage`
 * enters as `{ width, height, data, parent_id, video_metadata }` with `data` a `Uint8Array` of
 * interleaved RGB (w·h·3 bytes), copied into the QuickJS heap as one buffer. Any returned object
 * with `width`, `height` and a `Uint8Array` (or `Uint8ClampedArray`) `data` becomes a
 * `WorkflowImage`; its `parent_id` states its lineage, as upstream's `parent_metadata` does: an
 * input's parent id gives that input back when the pixels are unchanged, or that input's lineage
 * and video metadata with the new pixels; a missing/null `parent_id` gives a new image with a
 * fresh id; any other string becomes the new image's id. Functions, symbols, BigInts, Maps, Sets,
 * Promises and cycles in outputs are errors naming the path (`output.items[2].f`).
 *
 * ## Security model
 *
 * Isolation: each sandbox (one per step) is its own QuickJS interpreter compiled to WebAssembly,
 * with its own WebAssembly instance and memory, hosted by one of a pool's worker threads
 * (`pool.ts`: at most `maxWorkers` threads however many steps; a step's instance stays in its
 * thread, which other steps' instances share). The code runs inside QuickJS, not V8: its global
 * object has only ECMAScript built-ins plus the `console` above — no `process`, `require`,
 * `import()` of anything (no module loader is installed), filesystem, network, environment,
 * timers, `WebAssembly`, or other threads. Host objects never enter the guest: inputs are copied
 * in as guest values and outputs copied out and validated, so no guest reference can reach a
 * host object or prototype (`__proto__` keys come back as plain own properties). QuickJS's own
 * memory is linear WebAssembly memory private to that instance, so even a memory-safety bug in
 * QuickJS is confined to one sandbox's WebAssembly memory (its thread's JavaScript glue, shared
 * with the other instances of the thread, is reached only through the instance's imports); the
 * threads run with an empty `env`.
 *
 * Limits (`SandboxLimits`, defaults in `DEFAULT_SANDBOX_LIMITS`), per call and for loading + init:
 * - time (1 s): QuickJS's interrupt handler checks a deadline while the code runs, including
 *   inside regular expressions and sorting; the interrupt cannot be caught by the code. It is
 *   measured as elapsed time on the worker's thread (Node 20 has no per-thread CPU clock), so a
 *   busy machine makes it stricter, never looser.
 * - wall time (time + 4 s): a host timer terminates the thread if it has not answered, which
 *   also covers work that polls the interrupt rarely (a few huge allocations, a huge `repeat`).
 *   The pool starts a new thread in its place; the other steps it hosted reload their code.
 * - memory (128 MiB, inputs included): the ceiling is the sandbox's WebAssembly memory, reserved
 *   at 16 MiB + the limit up front (address space; pages are committed as they are used). When
 *   it is full, allocation fails with QuickJS's "out of memory". QuickJS's own accounting is not
 *   relied on: under Emscripten it counts 8 bytes per allocation whatever the size. For the same
 *   reason its cycle collector would rarely run, so the sandbox provokes collections when the
 *   heap gets tight (garbage held in reference cycles, e.g. image copies, is reclaimed).
 * - stack (256 KiB of QuickJS stack, ~1,300 plain frames): "stack overflow" is an ordinary
 *   exception; the threads' native stacks are sized well beyond it (the interpreter's native frames
 *   are much larger than what QuickJS measures), so deep recursion inside built-ins such as
 *   `JSON.stringify` or the parser stops inside QuickJS too.
 * - output size (64 MiB) and captured console text (1 MiB per stream, then truncated).
 * After a time, wall-time or memory limit, or a crash, the sandbox is discarded and the NEXT call
 * transparently starts a fresh one: the code is re-evaluated and `init` re-run, so module-level
 * state starts over (code stopped at an arbitrary point cannot be trusted to be consistent, and
 * a heap full of live data stays full). Stack-limit, output-size and data errors and exceptions
 * keep the sandbox and its state. A wall-time kill or a thread crash also restarts the other
 * sandboxes of that thread. A limit or an exception while loading the code or in `init` is a
 * `DynamicBlockCodeError` naming the step (`loadError`).
 *
 * Not guaranteed: QuickJS is not constant-time — the code can time its own operations with
 * `Date.now()` and may learn about the machine through timing side channels (shared caches, CPU
 * load); isolation relies on QuickJS, Emscripten's output, quickjs-emscripten's glue and V8's
 * WebAssembly implementation being correct (a corrupted guest heap stays inside its WebAssembly memory); a
 * runaway call still occupies a thread for up to the wall time; `Math.random` is not a
 * cryptographic source. The sandbox protects the host from the code, not the code's results from
 * the code itself (it may redefine built-ins in its own realm). Steps sharing a thread share its
 * time: a call waits while another step's call runs (up to that call's time, or wall time), and a
 * step whose calls run into the wall-time limit restarts its neighbours' state. Each sandbox's
 * memory is its own limit, so a definition's steps together may use up to their number times it.
 */
export { DEFAULT_SANDBOX_LIMITS, JavaScriptSandbox, type SandboxCall, type SandboxOptions, type SandboxResult } from "./sandbox.js";
export { DEFAULT_MAX_SANDBOX_WORKERS, SandboxPool, type SandboxPoolOptions } from "./pool.js";
export {
  SandboxCodeError,
  SandboxCrashError,
  SandboxDataError,
  SandboxExecutionError,
  SandboxFunctionMissingError,
  SandboxLimitError,
  type SandboxError,
} from "./errors.js";
export type { CapturedLogs, CodeSource, JavaScriptCode, LimitName, SandboxLimits, SandboxPhase, SandboxStep } from "./protocol.js";
