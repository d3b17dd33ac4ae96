/**
 * ONNX Runtime sessions living in worker threads (see `worker-script.ts` for why). Every graph
 * file gets one session in each worker, created on first use; a run goes to the worker with the
 * least pending work, and requests in one worker run one after another.
 *
 * Why several workers with a few intra-op threads each rather than one using every core: a
 * parallel operator waits for its slowest thread, so one session spread over all cores idles
 * between operators and stalls whenever decoding or preprocessing takes a core for a moment.
 * Two single-thread sessions on two cores do more images per second than one two-thread
 * session (BENCHMARKS.md) and give the other work of a pipeline room without stalling.
 *
 * A worker is referenced only while requests are pending, so an idle runtime never keeps the
 * process alive, and a pending inference always does.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { ModelError } from "../errors.js";
import type { ExecutionProvider } from "../options.js";
import { WORKER_SCRIPT } from "./worker-script.js";

export type TensorType = "float32" | "float16" | "int64" | "int32";

export interface TensorData {
  readonly type: TensorType;
  readonly data: Float32Array | Uint16Array | BigInt64Array | Int32Array;
  readonly dims: readonly number[];
}

export interface InputInfo {
  readonly name: string;
  readonly type: string;
  /** Numbers for fixed dimensions, names for symbolic ones. */
  readonly shape: readonly (number | string)[];
}

export interface SessionHostOptions {
  /** Worker threads, each with its own session of every graph. */
  workers: number;
  /** Intra-op threads of each session. */
  threadsPerWorker: number;
  executionProvider: ExecutionProvider;
}

type Request =
  | { type: "load"; session: number; path: string; options: Record<string, unknown> }
  | { type: "run"; session: number; feeds: Record<string, TensorData>; outputs: readonly string[] };

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class OnnxSession {
  constructor(
    private readonly host: SessionHost,
    private readonly handle: number,
    readonly path: string,
    readonly inputs: readonly InputInfo[],
    readonly outputs: readonly string[],
  ) {}

  input(name: string): InputInfo | undefined {
    return this.inputs.find((input) => input.name === name);
  }

  /** Input buffers are transferred to a worker: do not use them after the call. */
  async run(feeds: Record<string, TensorData>, outputs: readonly string[]): Promise<Record<string, TensorData>> {
    const transfer = Object.values(feeds).map((tensor) => tensor.data.buffer as ArrayBuffer);
    return (await this.host.leastBusy().request({ type: "run", session: this.handle, feeds, outputs }, transfer)) as Record<string, TensorData>;
  }
}

/** A closing runtime waits this long at most for a worker to finish the inference it is running. */
const TERMINATE_GRACE_MS = 10_000;

/** One worker thread and the requests it has not answered yet. */
export class WorkerLane {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Requests posted and not answered, whether or not anyone still waits for them (see `terminate`). */
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly host: SessionHost) {}

  get load(): number {
    return this.pending.size;
  }

  request(request: Request, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const refusal = this.host.refusal();
    if (refusal) return Promise.reject(refusal);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      this.inFlight++;
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const onnxRuntimePath = createRequire(import.meta.url).resolve("onnxruntime-node");
    const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { onnxRuntimePath } });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      this.answered(1);
      this.settle(reply);
    });
    worker.on("error", (error) => this.host.fail(new ModelError(`an ONNX Runtime worker failed: ${error.message}`)));
    worker.on("exit", (code) => {
      this.answered(this.inFlight);
      if (this.worker === worker) this.host.fail(new ModelError(`an ONNX Runtime worker stopped (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new Error(reply.message));
  }

  rejectAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private answered(count: number): void {
    this.inFlight = Math.max(0, this.inFlight - count);
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Ends the worker once it has answered what it was asked (at most `TERMINATE_GRACE_MS`): a
   * worker stopped while ONNX Runtime's native code runs an inference aborts the whole process.
   */
  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINATE_GRACE_MS))),
      ]);
      clearTimeout(timer);
    }
    await worker.terminate();
  }
}

export class SessionHost {
  private readonly lanes: WorkerLane[];
  private failure: Error | null = null;
  private readonly sessions = new Map<string, Promise<OnnxSession>>();
  private nextHandle = 1;
  private closed = false;

  constructor(private readonly options: SessionHostOptions) {
    this.lanes = Array.from({ length: Math.max(1, options.workers) }, () => new WorkerLane(this));
  }

  /** How many inferences can run at once: one per worker. */
  get concurrency(): number {
    return this.lanes.length;
  }

  /** The session for a graph file, created once (in every worker). */
  session(path: string): Promise<OnnxSession> {
    let session = this.sessions.get(path);
    if (!session) {
      session = this.create(path);
      this.sessions.set(path, session);
      // A failed load (missing CUDA, corrupt file) may succeed later; do not remember it.
      session.catch(() => this.sessions.delete(path));
    }
    return session;
  }

  private async create(path: string): Promise<OnnxSession> {
    const handle = this.nextHandle++;
    const options = {
      intraOpNumThreads: this.options.threadsPerWorker,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionProviders: this.options.executionProvider === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    };
    let result: { inputs: InputInfo[]; outputs: string[] };
    try {
      const loaded = await Promise.all(this.lanes.map((lane) => lane.request({ type: "load", session: handle, path, options })));
      result = loaded[0] as typeof result;
    } catch (error) {
      const cuda =
        this.options.executionProvider === "cuda"
          ? ' (the CUDA execution provider needs onnxruntime-node\'s CUDA binaries and CUDA 12 with cuDNN 9; see the README, "GPU")'
          : "";
      throw new ModelError(`ONNX Runtime could not load ${path}: ${(error as Error).message}${cuda}`);
    }
    return new OnnxSession(this, handle, path, result.inputs, result.outputs);
  }

  /** The worker with the fewest pending requests (the first on a tie, so one request uses one worker). */
  leastBusy(): WorkerLane {
    return this.lanes.reduce((best, lane) => (lane.load < best.load ? lane : best));
  }

  /** Why requests are refused now, if they are. */
  refusal(): Error | null {
    if (this.closed) return new ModelError("the model runtime is closed");
    return this.failure;
  }

  fail(error: Error): void {
    this.failure ??= error;
    for (const lane of this.lanes) lane.rejectAll(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.fail(new ModelError("the model runtime was closed while inference was pending"));
    this.closed = true;
    this.sessions.clear();
    await Promise.all(this.lanes.map((lane) => lane.terminate()));
  }
}
