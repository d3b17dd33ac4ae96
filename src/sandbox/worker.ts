/**
 * Entry point of a sandbox worker thread: one per sandbox, holding one QuickJS WebAssembly
 * instance. Anything that escapes the guest machinery (a WebAssembly trap, the thread's own
 * stack running out) is reported as a fatal crash, and the host replaces the worker.
 */
import { parentPort, workerData } from "node:worker_threads";
import { RELEASE_SYNC, newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten";
import { GuestFailure } from "./guest-failure.js";
import { GuestVm } from "./guest.js";
import { type HostMessage, type SandboxPhase, type WorkerBoot, type WorkerMessage } from "./protocol.js";

if (!parentPort) throw new Error("src/sandbox/worker is a worker-thread entry point; use JavaScriptSandbox");
const port = parentPort;
const { memoryPages } = workerData as WorkerBoot;
// QuickJS's own heap accounting misses most allocations under Emscripten, so the hard limit is
// the WebAssembly memory itself: when it is full, malloc fails and QuickJS throws "out of
// memory". It is allocated at its final size because quickjs-emscripten keeps typed-array views
// on it that a later `memory.grow` would detach. Being this worker's own instance, a guest that
// corrupted QuickJS's memory reaches nothing else either.
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (limits: { initial: number; maximum: number }) => object } }).WebAssembly;
const memory = new Memory({ initial: memoryPages, maximum: memoryPages });
const module = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
let vm: GuestVm | null = null;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function fail(error: unknown, phase: SandboxPhase): void {
  const logs = vm?.takeLogs() ?? { stdout: "", stderr: "" };
  if (error instanceof GuestFailure) {
    post({ type: "failure", failure: error.failure, logs, fatal: error.fatal });
    return;
  }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  post({ type: "failure", failure: { reason: "crash", phase, detail }, logs, fatal: true });
}

port.on("message", (message: HostMessage) => {
  if (message.type === "load") {
    try {
      vm = GuestVm.create(module, message.setup);
      post({ type: "loaded", logs: vm.load() });
    } catch (error) {
      fail(error, "load");
    }
    return;
  }
  try {
    if (!vm) throw new Error("call before load");
    const outcome = vm.call(message.inputs, message.executionId);
    post({ type: "result", output: outcome.output, logs: outcome.logs }, outcome.transfer);
  } catch (error) {
    fail(error, "run");
  }
});

post({ type: "booted" });
