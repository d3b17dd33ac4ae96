/**
 * The host's side of one pooled sandbox thread: starting it, one request at a time with a
 * wall-clock timer, and noticing when it dies. The timer is the preemptive backstop behind
 * QuickJS's cooperative interrupt deadline: a thread that does not answer in time is terminated
 * (and the pool replaces it).
 */
import { Worker } from "node:worker_threads";
import { SandboxCrashError, SandboxLimitError } from "./errors.js";
import { MAXIMUM_STACK_BYTES, type HostMessage, type SandboxPhase, type SandboxStep, type WorkerMessage } from "./protocol.js";

/** Starting a thread and compiling QuickJS; generous because a busy machine is slow at it. */
const BOOT_TIMEOUT_MS = 30_000;

/**
 * QuickJS checks its stack limit against WebAssembly's shadow stack, while the interpreter's
 * frames also use the thread's native stack — much more of it per frame. A native stack ~128×
 * the largest guest limit lets QuickJS's own "stack overflow" fire first for any guest the
 * thread may host (it is reserved, and committed only as it is used); should it still run out,
 * the guest reports a crash and is replaced.
 */
const RESOURCE_LIMITS = {
  stackSizeMb: (128 * MAXIMUM_STACK_BYTES) / (1024 * 1024),
  // The glue's own heap: room for one output of the default 64 MiB limit on its way out (twice,
  // as strings are copied), so that a thread in trouble dies alone rather than with the process.
  maxOldGenerationSizeMb: 64 + 2 * 64,
};

function spawn(): Worker {
  const options = { resourceLimits: RESOURCE_LIMITS, env: {}, argv: [], execArgv: [] };
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker.js", here), options);
  // Running from the TypeScript sources (tests, tsx): the worker needs the same loader.
  const loader = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker.ts", here).href;
  const bootstrap = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

interface Pending {
  resolve(message: WorkerMessage): void;
  reject(detail: string): void;
}

export class SandboxWorker {
  private pending: Pending | null = null;
  private death: string | null = null;

  private constructor(private readonly thread: Worker) {
    thread.on("message", (message: WorkerMessage) => this.pending?.resolve(message));
    thread.on("error", (error: Error) => this.die(`${error.name}: ${error.message}`));
    thread.on("exit", (code: number) => this.die(`its worker exited (code ${code})`));
    // An idle thread must not keep the process alive; `exchange` holds it while a request runs.
    thread.unref();
  }

  /** A booted thread (QuickJS compiled, no guest yet); rejects with why it could not start. */
  static async start(): Promise<SandboxWorker> {
    const worker = new SandboxWorker(spawn());
    const booted = await worker.exchange(null, BOOT_TIMEOUT_MS, () => new Error(`the sandbox worker did not start within ${BOOT_TIMEOUT_MS / 1000} s`));
    if (booted.type !== "booted") {
      await worker.terminate();
      throw new Error(`the sandbox worker answered ${booted.type} instead of starting`);
    }
    return worker;
  }

  get alive(): boolean {
    return this.death === null;
  }

  /** Sends `message` for `step` and waits for the answer; past `wallTimeMs` the thread is killed. */
  request(message: HostMessage, wallTimeMs: number, phase: SandboxPhase, step: SandboxStep): Promise<WorkerMessage> {
    return this.exchange(
      message,
      wallTimeMs,
      () => new SandboxLimitError({ reason: "limit", phase, limit: "wall_time", value: wallTimeMs }, step),
      (detail) => new SandboxCrashError({ reason: "crash", phase, detail }, step),
    );
  }

  /** Sends a message that has no answer (the thread handles it after what it is doing). */
  post(message: HostMessage): void {
    if (this.death === null) this.thread.postMessage(message);
  }

  /** Stops the thread; a request in progress fails with `reason`. */
  async terminate(reason = "the sandbox was closed"): Promise<void> {
    this.death ??= reason;
    this.pending?.reject(this.death);
    await this.thread.terminate();
  }

  private exchange(
    message: HostMessage | null,
    timeoutMs: number,
    onTimeout: () => Error,
    onDeath: (detail: string) => Error = (detail) => new Error(detail),
  ): Promise<WorkerMessage> {
    if (this.death !== null) return Promise.reject(onDeath(this.death));
    if (this.pending) return Promise.reject(new Error("SandboxWorker: one request at a time"));
    return new Promise<WorkerMessage>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending = null;
        this.thread.unref();
      };
      const timer = setTimeout(() => {
        finish();
        void this.terminate(`it did not answer within ${timeoutMs} ms`);
        reject(onTimeout());
      }, timeoutMs);
      this.pending = {
        resolve: (answer) => {
          finish();
          resolve(answer);
        },
        reject: (detail) => {
          finish();
          reject(onDeath(detail));
        },
      };
      this.thread.ref();
      if (message) this.thread.postMessage(message);
    });
  }

  private die(detail: string): void {
    const closedOnPurpose = this.death !== null;
    this.death ??= detail;
    this.pending?.reject(closedOnPurpose ? this.death : detail);
  }
}
