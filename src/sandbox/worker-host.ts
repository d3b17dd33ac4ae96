/**
 * The host's side of one sandbox worker: starting it, one request at a time with a wall-clock
 * timer, and noticing when it dies. The timer is the preemptive backstop behind QuickJS's
 * cooperative interrupt deadline: a worker that does not answer in time is terminated.
 */
import { Worker } from "node:worker_threads";
import { SandboxCrashError, SandboxLimitError } from "./errors.js";
import {
  memoryPages,
  type GuestSetup,
  type HostMessage,
  type SandboxLimits,
  type SandboxPhase,
  type SandboxStep,
  type WorkerBoot,
  type WorkerMessage,
} from "./protocol.js";

/** Starting a thread and instantiating QuickJS; generous because a busy machine is slow at it. */
const BOOT_TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;

/**
 * QuickJS checks its stack limit against WebAssembly's shadow stack, while the interpreter's
 * frames also use the thread's native stack — much more of it per frame. A native stack ~128×
 * the guest limit lets QuickJS's own "stack overflow" fire first; should the native stack still
 * run out, the worker reports a crash and is replaced.
 */
function resourceLimits(limits: SandboxLimits): { stackSizeMb: number; maxOldGenerationSizeMb: number } {
  return {
    stackSizeMb: Math.max(32, Math.ceil((limits.stackBytes * 128) / MIB)),
    // The glue's own heap: room for one output's strings on their way out.
    maxOldGenerationSizeMb: 64 + Math.ceil((2 * limits.outputBytes) / MIB),
  };
}

function spawn(limits: SandboxLimits): Worker {
  const workerData: WorkerBoot = { memoryPages: memoryPages(limits.memoryBytes) };
  const options = { resourceLimits: resourceLimits(limits), workerData, env: {}, argv: [], execArgv: [] };
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker.js", here), options);
  // Running from the TypeScript sources (tests, tsx): the worker needs the same loader.
  const loader = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker.ts", here).href;
  const bootstrap = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function crash(phase: SandboxPhase, step: SandboxStep, detail: string): SandboxCrashError {
  return new SandboxCrashError({ reason: "crash", phase, detail }, step);
}

interface Pending {
  resolve(message: WorkerMessage): void;
  reject(error: Error): void;
  readonly phase: SandboxPhase;
}

export class SandboxWorker {
  private pending: Pending | null = null;
  private death: string | null = null;

  private constructor(
    private readonly thread: Worker,
    private readonly step: SandboxStep,
  ) {
    thread.on("message", (message: WorkerMessage) => this.pending?.resolve(message));
    thread.on("error", (error: Error) => this.die(`${error.name}: ${error.message}`));
    thread.on("exit", (code: number) => this.die(`its worker exited (code ${code})`));
    // An idle sandbox must not keep the process alive; `exchange` holds it while a call runs.
    thread.unref();
  }

  /** A booted worker with the code loaded and `init` run, or the error that prevented it. */
  static async start(setup: GuestSetup): Promise<{ worker: SandboxWorker; answer: WorkerMessage }> {
    const worker = new SandboxWorker(spawn(setup.limits), setup.step);
    try {
      const booted = await worker.exchange(null, BOOT_TIMEOUT_MS, "load", () =>
        crash("load", setup.step, `the sandbox worker did not start within ${BOOT_TIMEOUT_MS / 1000} s`),
      );
      if (booted.type !== "booted") throw crash("load", setup.step, `unexpected first message ${booted.type}`);
      // Loading runs two guest phases (the code, then `init`), each with its own deadline.
      const answer = await worker.request({ type: "load", setup }, setup.limits.wallTimeMs + setup.limits.timeMs, "load");
      return { worker, answer };
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  get alive(): boolean {
    return this.death === null;
  }

  /** Sends `message` and waits for the answer; past `wallTimeMs` the worker is killed. */
  request(message: HostMessage, wallTimeMs: number, phase: SandboxPhase): Promise<WorkerMessage> {
    return this.exchange(message, wallTimeMs, phase, () => new SandboxLimitError({ reason: "limit", phase, limit: "wall_time", value: wallTimeMs }, this.step));
  }

  async terminate(): Promise<void> {
    this.death ??= "the sandbox was closed";
    await this.thread.terminate();
  }

  private exchange(message: HostMessage | null, timeoutMs: number, phase: SandboxPhase, onTimeout: () => Error): Promise<WorkerMessage> {
    if (this.death !== null) return Promise.reject(crash(phase, this.step, this.death));
    if (this.pending) return Promise.reject(new Error("SandboxWorker: one request at a time"));
    return new Promise<WorkerMessage>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending = null;
        this.thread.unref();
      };
      const timer = setTimeout(() => {
        finish();
        void this.terminate();
        reject(onTimeout());
      }, timeoutMs);
      this.pending = {
        phase,
        resolve: (answer) => {
          finish();
          resolve(answer);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      this.thread.ref();
      if (message) this.thread.postMessage(message);
    });
  }

  private die(detail: string): void {
    const closedOnPurpose = this.death !== null;
    this.death ??= detail;
    const pending = this.pending;
    if (pending) pending.reject(crash(pending.phase, this.step, closedOnPurpose ? this.death : detail));
  }
}
