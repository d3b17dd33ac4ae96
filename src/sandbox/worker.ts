/**
 * Entry point of a pooled sandbox worker thread. It hosts the guests the pool assigned to it —
 * one per step, each its own QuickJS WebAssembly instance with its own memory — and answers one
 * request at a time, in order. Anything that escapes the guest machinery (a WebAssembly trap,
 * the thread's own stack running out) is reported as a fatal crash of that guest, which is
 * discarded; the thread and its other guests go on.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";
import { RELEASE_SYNC, newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten";
import { GuestFailure } from "./guest-failure.js";
import { GuestVm } from "./guest.js";
import { memoryPages, type GuestSetup, type HostMessage, type SandboxPhase, type WorkerMessage } from "./protocol.js";

if (!parentPort) throw new Error("src/sandbox/worker is a worker-thread entry point; use JavaScriptSandbox");
const port = parentPort;

// The compiler's libraries do not declare WebAssembly (no DOM lib); what is used of it here.
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<object>;
      Memory: new (limits: { initial: number; maximum: number }) => object;
    };
  }
).WebAssembly;

// Compiled once per thread; every guest instantiates it with a memory of its own.
const quickjsPackage = createRequire(import.meta.url).resolve("quickjs-emscripten");
const wasmFile = createRequire(quickjsPackage).resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
const wasmModule = await wasm.compile(readFileSync(wasmFile));
const guests = new Map<number, GuestVm>();

/**
 * A fresh QuickJS instance for one guest. Its hard memory limit is its WebAssembly memory: when
 * that is full, malloc fails and QuickJS throws "out of memory" (QuickJS's own accounting misses
 * most allocations under Emscripten). It is allocated at its final size because
 * quickjs-emscripten keeps typed-array views on it that a later `memory.grow` would detach; the
 * pages are committed only as the guest touches them. Being the guest's own memory, a guest that
 * corrupted QuickJS's heap reaches no other guest's.
 */
async function newGuest(setup: GuestSetup): Promise<GuestVm> {
  const pages = memoryPages(setup.limits.memoryBytes);
  const wasmMemory = new wasm.Memory({ initial: pages, maximum: pages });
  const module = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory, wasmModule }));
  return GuestVm.create(module, setup);
}

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function fail(guest: number, vm: GuestVm | undefined, error: unknown, phase: SandboxPhase): void {
  const logs = vm?.takeLogs() ?? { stdout: "", stderr: "" };
  const failure =
    error instanceof GuestFailure
      ? error
      : new GuestFailure({ reason: "crash", phase, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, true);
  if (failure.fatal) guests.delete(guest);
  post({ type: "failure", failure: failure.failure, logs, fatal: failure.fatal });
}

async function handle(message: HostMessage): Promise<void> {
  switch (message.type) {
    case "drop":
      guests.delete(message.guest);
      return;
    case "load": {
      let vm: GuestVm | undefined;
      try {
        vm = await newGuest(message.setup);
        const logs = vm.load();
        guests.set(message.guest, vm);
        post({ type: "loaded", logs });
      } catch (error) {
        fail(message.guest, vm, error, "load");
      }
      return;
    }
    case "call": {
      const vm = guests.get(message.guest);
      try {
        if (!vm) throw new Error(`guest ${message.guest} is not loaded in this worker`);
        const outcome = vm.call(message.inputs, message.executionId);
        post({ type: "result", output: outcome.output, logs: outcome.logs }, outcome.transfer);
      } catch (error) {
        fail(message.guest, vm, error, "run");
      }
    }
  }
}

// Loading is asynchronous (instantiating WebAssembly): messages are handled strictly in order.
let handled = Promise.resolve();
port.on("message", (message: HostMessage) => {
  handled = handled.then(() => handle(message));
});

post({ type: "booted" });
