/**
 * The threads sandboxes run on (docs/reference/workflows.md#custom-code-limits): at most
 * `maxWorkers` per pool, however many steps there are. Each sandbox lives in one slot of the
 * pool — its QuickJS instance, and so its module-level state, stays in that slot's thread — and
 * borrows the thread for each call; the slot's callers take turns in order. A thread that dies
 * or is killed at the wall-time limit is replaced in its slot, and the sandboxes that lived in it
 * load their code afresh on their next call.
 */
import { SandboxCrashError } from "./errors.js";
import type { HostMessage, SandboxPhase, SandboxStep } from "./protocol.js";
import { SandboxWorker } from "./worker-host.js";

/**
 * Calls are CPU-bound and each thread costs ~10 MB before any guest: more threads than cores
 * add no throughput, and a few let the other steps go on while one runs into its time limit.
 */
export const DEFAULT_MAX_SANDBOX_WORKERS = 4;

export interface SandboxPoolOptions {
  /** Threads at most (default `DEFAULT_MAX_SANDBOX_WORKERS`). */
  readonly maxWorkers?: number;
}

/** Who uses a slot's thread (`use`), for which step (named in its errors), and what ends its wait. */
export interface SlotUse {
  readonly holder: object;
  readonly step: SandboxStep;
  readonly phase: SandboxPhase;
  /** Any of them aborting ends the wait. Not combined with `AbortSignal.any`, which leaks in Node 20 when the sources outlive it. */
  readonly signals: readonly AbortSignal[];
}

interface Waiter {
  readonly start: () => void;
  readonly abort: () => void;
}

/** One place in the pool: a thread (replaced when it dies), the sandboxes assigned to it, and their turns. */
export class PoolSlot {
  /** Sandboxes assigned here. */
  sandboxes = 0;
  private thread: SandboxWorker | null = null;
  /** Bumped with every new thread: guests loaded under an older one are gone. */
  private generation = 0;
  private holder: object | null = null;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  get running(): boolean {
    return this.thread?.alive ?? false;
  }

  /**
   * Runs `work` with the thread to itself, after the callers before it; rejects with the signal's
   * reason if it aborts while waiting. `generation` tells `work` whether its guest is still there.
   */
  use<T>(use: SlotUse, work: (thread: SandboxWorker, generation: number) => Promise<T>): Promise<T> {
    const aborted = use.signals.find((signal) => signal.aborted);
    if (aborted) return Promise.reject(abortReason(aborted));
    return new Promise<T>((resolve, reject) => {
      const stopListening = () => {
        for (const signal of use.signals) signal.removeEventListener("abort", waiter.abort);
      };
      const waiter: Waiter = {
        start: () => {
          stopListening();
          this.holder = use.holder;
          this.withThread(use, work)
            .then(resolve, reject)
            .finally(() => {
              this.holder = null;
              this.next();
            });
        },
        abort: () => {
          stopListening();
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(abortReason(use.signals.find((signal) => signal.aborted)!));
        },
      };
      for (const signal of use.signals) signal.addEventListener("abort", waiter.abort, { once: true });
      this.waiting.push(waiter);
      if (this.holder === null) this.next();
    });
  }

  /** Whether `holder` has the thread now. */
  isHeldBy(holder: object): boolean {
    return this.holder === holder;
  }

  /** Kills the thread, failing the request in progress with `reason`; the next caller gets a new thread. */
  kill(reason: string): void {
    const thread = this.thread;
    this.thread = null;
    void thread?.terminate(reason);
  }

  /** Tells the thread a guest of `generation` is no longer needed (nothing to do if the thread has been replaced since). */
  post(message: HostMessage, generation: number): void {
    if (generation === this.generation) this.thread?.post(message);
  }

  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = null;
    await thread?.terminate();
  }

  private next(): void {
    this.waiting.shift()?.start();
  }

  private async withThread<T>(use: SlotUse, work: (thread: SandboxWorker, generation: number) => Promise<T>): Promise<T> {
    if (this.closed) throw crash(use, "the sandbox pool was closed");
    if (!this.thread?.alive) {
      try {
        this.thread = await SandboxWorker.start();
      } catch (error) {
        throw crash(use, (error as Error).message);
      }
      this.generation++;
    }
    return work(this.thread, this.generation);
  }
}

function crash(use: SlotUse, detail: string): SandboxCrashError {
  return new SandboxCrashError({ reason: "crash", phase: use.phase, detail }, use.step);
}

/** Why a signal aborted, as an Error (a signal may be aborted with any value). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

export class SandboxPool {
  readonly maxWorkers: number;
  private readonly slots: PoolSlot[] = [];
  private closed = false;

  constructor(options: SandboxPoolOptions = {}) {
    const maxWorkers = options.maxWorkers ?? DEFAULT_MAX_SANDBOX_WORKERS;
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) throw new RangeError(`maxSandboxWorkers must be an integer >= 1, got ${String(maxWorkers)}`);
    this.maxWorkers = maxWorkers;
  }

  /** Threads running now. */
  get threads(): number {
    return this.slots.filter((slot) => slot.running).length;
  }

  /** The slot a new sandbox lives in: an empty one, a new one while the pool has room, else the least busy. */
  assign(): PoolSlot {
    if (this.closed) throw new Error("the sandbox pool is closed");
    let slot = this.slots.find((candidate) => candidate.sandboxes === 0);
    if (!slot && this.slots.length < this.maxWorkers) {
      slot = new PoolSlot();
      this.slots.push(slot);
    }
    slot ??= this.slots.reduce((least, candidate) => (candidate.sandboxes < least.sandboxes ? candidate : least));
    slot.sandboxes++;
    return slot;
  }

  release(slot: PoolSlot): void {
    slot.sandboxes--;
  }

  /** Stops every thread; sandboxes of this pool fail from then on. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.close()));
  }
}
