/**
 * Admission control for workflow runs: at most `maxConcurrent` run at once, at most `maxQueued`
 * wait (FIFO) for a slot, and anything beyond is refused at once with 429 — a client learns that
 * the server is saturated instead of piling up requests it will time out on anyway. The memory
 * its images take is bounded the same way, by the in-flight memory budget (`MemoryBudget`).
 *
 * A run keeps its slot until its work has really settled, even when the client has already had a
 * timeout answer: a block that ignores the abort signal still occupies the CPU, and the bound is
 * about work, not about open requests.
 */
import type { FastifyReply } from "fastify";
import { HttpError, payloadTooLarge, requestTimeout, tooManyRequests } from "./errors.js";

interface Waiter {
  grant: () => void;
  onAbort: () => void;
}

export class ConcurrencyLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number,
  ) {
    if (!(maxConcurrent >= 1)) throw new RangeError(`max concurrency must be at least 1, got ${maxConcurrent}`);
    if (!(maxQueued >= 0)) throw new RangeError(`max queue must be at least 0, got ${maxQueued}`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Runs `task` when a slot is free; rejects with 429 when the queue is full, with the abort reason when aborted while waiting. */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        tooManyRequests(
          `The server is busy: ${this.running} workflow runs or CLIP requests in progress and ${this.queue.length} waiting (limits ${this.maxConcurrent} and ${this.maxQueued}). Retry later.`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener("abort", waiter.onAbort);
          resolve();
        },
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(abortReason(signal));
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.grant();
    else this.running--;
  }
}

const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return `${Math.ceil(bytes / MIB)} MiB`;
}

/**
 * The server's in-flight memory budget (docs/reference/http.md#limits): what the requests being
 * served may hold at once in images — downloaded bytes as they arrive, decoded pixels as the
 * headers announce them, before any is decoded. A request that does not fit beside the others is
 * refused with 429 (it would fit once they are done); one that would not fit an empty budget,
 * with 413. Nothing waits: a request that cannot have its memory gives way at once.
 */
export class MemoryBudget {
  private used = 0;

  constructor(readonly capacityBytes: number) {
    if (!(capacityBytes > 0)) throw new RangeError(`the in-flight memory budget must be positive, got ${capacityBytes}`);
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Runs one request's `work` with a reservation of its own, given back once the work has settled. */
  async hold<T>(work: (reservation: MemoryReservation) => Promise<T>): Promise<T> {
    const reservation = this.reservation();
    try {
      return await work(reservation);
    } finally {
      reservation.release();
    }
  }

  /** An empty reservation for one request; release it once the request's work has settled. */
  reservation(): MemoryReservation {
    let held = 0;
    let released = false;
    return {
      add: (bytes, what) => {
        // A download of a request that has already failed must stop, not hold memory nobody gives back.
        if (released) throw new Error(`the request has ended; ${what} stopped`);
        if (held + bytes > this.capacityBytes) {
          throw payloadTooLarge(
            `The request's images need about ${mib(held + bytes)} in memory (${what}), more than the server's in-flight memory budget of ${mib(this.capacityBytes)} (--max-inflight-memory-mb).`,
            "request_admission",
          );
        }
        if (this.used + bytes > this.capacityBytes) {
          throw tooManyRequests(
            `The server's in-flight memory budget of ${mib(this.capacityBytes)} (--max-inflight-memory-mb) has ${mib(this.used)} in use; this request's images need ${mib(bytes)} more (${what}). Retry later.`,
          );
        }
        this.used += bytes;
        held += bytes;
      },
      release: () => {
        this.used -= held;
        held = 0;
        released = true;
      },
    };
  }
}

/** One request's share of the `MemoryBudget`. */
export interface MemoryReservation {
  /** Adds `bytes` to the share (`what` says what for), or throws 413 or 429 and leaves it as it was. */
  add(bytes: number, what: string): void;
  /** Gives the share back, for good: adding to it afterwards throws. Idempotent. */
  release(): void;
}

/** Why a signal aborted, as an Error (a signal may be aborted with any value). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (whatever `work` is still doing). */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // The loser must not become an unhandled rejection.
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- work's own rejection, passed on unchanged
        reject(error);
      },
    );
  });
}

/**
 * Runs a request's work with a deadline: its signal aborts after `timeoutMs` (answered with 504
 * at once, whatever the work is still doing) or when the client hangs up (499), and the work
 * stops at its next step boundary.
 */
export async function withDeadline<T>(reply: FastifyReply, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(requestTimeout(timeoutMs)), timeoutMs);
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new HttpError(499, "ClientClosedRequest", "The client closed the connection before the answer."));
  };
  reply.raw.on("close", onClose);
  try {
    return await raceAbort(work(controller.signal), controller.signal);
  } finally {
    clearTimeout(timer);
    reply.raw.off("close", onClose);
  }
}
