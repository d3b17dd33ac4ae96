/**
 * ONNX Runtime sessions living in one worker thread (see `worker-script.ts` for why). One session
 * per graph file, created on first use and shared; requests run one after another in the worker,
 * which is what we want — each run already uses every intra-op thread.
 *
 * The worker is referenced only while requests are pending, so an idle runtime never keeps the
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
  threads: number;
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

  /** Input buffers are transferred to the worker: do not use them after the call. */
  async run(feeds: Record<string, TensorData>, outputs: readonly string[]): Promise<Record<string, TensorData>> {
    const transfer = Object.values(feeds).map((tensor) => tensor.data.buffer as ArrayBuffer);
    return (await this.host.request({ type: "run", session: this.handle, feeds, outputs }, transfer)) as Record<string, TensorData>;
  }
}

export class SessionHost {
  private worker: Worker | null = null;
  private failure: Error | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly sessions = new Map<string, Promise<OnnxSession>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SessionHostOptions) {}

  /** The session for a graph file, created once. */
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
    const handle = this.nextId++;
    const options = {
      intraOpNumThreads: this.options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionProviders: this.options.executionProvider === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    };
    let result: { inputs: InputInfo[]; outputs: string[] };
    try {
      result = (await this.request({ type: "load", session: handle, path, options })) as typeof result;
    } catch (error) {
      const cuda =
        this.options.executionProvider === "cuda"
          ? ' (the CUDA execution provider needs onnxruntime-node\'s CUDA binaries and CUDA 12 with cuDNN 9; see the README, "GPU")'
          : "";
      throw new ModelError(`ONNX Runtime could not load ${path}: ${(error as Error).message}${cuda}`);
    }
    return new OnnxSession(this, handle, path, result.inputs, result.outputs);
  }

  request(request: Request, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new ModelError("the model runtime is closed"));
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const onnxRuntimePath = createRequire(import.meta.url).resolve("onnxruntime-node");
    const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { onnxRuntimePath } });
    worker.unref();
    worker.on("message", (reply: Reply) => this.settle(reply));
    worker.on("error", (error) => this.fail(new ModelError(`the ONNX Runtime worker failed: ${error.message}`)));
    worker.on("exit", (code) => {
      if (!this.closed) this.fail(new ModelError(`the ONNX Runtime worker stopped (exit code ${code})`));
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

  private fail(error: Error): void {
    this.failure = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new ModelError("the model runtime was closed while inference was pending"));
    const worker = this.worker;
    this.worker = null;
    this.sessions.clear();
    if (worker) await worker.terminate();
  }
}
