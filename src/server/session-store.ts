/**
 * Stateful sessions: upstream's `/workflows/run` builds a new engine per request, so stream blocks
 * (identify_outliers, buffer, rate_limiter, …) start from scratch every time. A request with a
 * `session_id` runs on that session's long-lived engine instead, so a client posting frames one
 * by one gets exactly what a local `engine.run` loop over the same frames gives.
 *
 * Rules (docs/reference/http.md#sessions), the same wherever sessions live — in this process, or
 * in Redis for every replica (`serve --redis`, see `SessionBackend`):
 * - the first request names the specification; a later one with a different specification (by
 *   `hashDefinition`, key-order independent) is refused with 409 — state built for one workflow
 *   means nothing to another;
 * - requests of one session run one at a time, in arrival order on this server (across replicas
 *   the Redis backend adds a lock);
 * - a session idle for `ttlMs` is dropped (its state with it);
 * - at most `maxSessions` exist; when full, a NEW session is refused with 429 rather than evicting
 *   another client's session — silently losing state would make that client's outputs diverge
 *   from a local stream without telling it. Idle sessions free their place after the TTL, or at
 *   once with `DELETE /sessions/{id}`.
 */
import { hashDefinition } from "../compiler/index.js";
import type { WorkflowEngine } from "../executor/engine.js";
import type { SessionBackend, SessionRecord } from "../service/sessions.js";
import type { EngineSnapshot } from "../state/store.js";
import { HttpError, notFound, tooManyRequests } from "./errors.js";

export interface SessionInfo {
  session_id: string;
  /** Hash of the session's specification. */
  specification_hash: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  runs: number;
  /** Requests running or waiting on this session, on the server answering. */
  in_flight: number;
  /** Streams whose block state the session holds. */
  streams: string[];
}

/** The requests of one session on this server, chained so that each starts after the previous one settled. */
class SessionQueue {
  inFlight = 0;
  private tail: Promise<unknown> = Promise.resolve();

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  settled(): Promise<unknown> {
    return this.tail;
  }
}

export class SessionStore {
  private readonly queues = new Map<string, SessionQueue>();

  constructor(
    private readonly backend: SessionBackend,
    private readonly options: { ttlMs: number; maxSessions: number },
  ) {}

  /**
   * Runs `task` on the session's engine (created on first use), one task at a time per session.
   * Throws 409 when the session exists with another specification, 429 when a new session does
   * not fit.
   */
  async run<T>(id: string, specification: unknown, task: (engine: WorkflowEngine) => Promise<T>): Promise<T> {
    let queue = this.queues.get(id);
    if (!queue) {
      queue = new SessionQueue();
      this.queues.set(id, queue);
    }
    queue.inFlight++;
    try {
      return await queue.exclusive(async () => {
        const opening = await this.backend.open(id, specification);
        if (opening.kind === "conflict") throw this.conflict(id, opening.hash, specification);
        if (opening.kind === "full") throw this.full();
        try {
          return await task(opening.engine);
        } finally {
          await opening.finish();
        }
      });
    } finally {
      if (--queue.inFlight === 0) this.queues.delete(id);
    }
  }

  async list(): Promise<SessionInfo[]> {
    return (await this.backend.list()).map((record) => this.describe(record));
  }

  async info(id: string): Promise<SessionInfo> {
    return this.describe(this.found(id, await this.backend.get(id)));
  }

  async snapshot(id: string): Promise<EngineSnapshot> {
    return this.found(id, await this.backend.snapshot(id));
  }

  /** Forgets the session; a request still running on it finishes first, then its engine is closed. */
  async delete(id: string): Promise<void> {
    if (!(await this.backend.delete(id))) throw this.missing(id);
  }

  /** Sessions held (with Redis: by every replica). */
  count(): Promise<number> {
    return this.backend.count();
  }

  /** Drops sessions idle for longer than the TTL (never one with a request in flight). */
  sweep(): void {
    this.backend.sweep();
  }

  /** Lets every request in flight finish, then closes the sessions' engines (shutdown). */
  async clear(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.settled()));
    await this.backend.close();
  }

  private conflict(id: string, hash: string, specification: unknown): HttpError {
    return new HttpError(
      409,
      "SessionConflictError",
      `Session "${id}" runs a different specification (hash ${hash}; this request's hashes to ${hashDefinition(specification)}). ` +
        `Its block state belongs to that workflow: use a new session_id, or DELETE /sessions/${encodeURIComponent(id)} first.`,
      { context: "session_management" },
    );
  }

  private full(): HttpError {
    return tooManyRequests(
      `The server holds its maximum of ${this.options.maxSessions} sessions. Delete one (DELETE /sessions/{id}) or wait until an idle one expires (after ${this.options.ttlMs / 1000} s without requests).`,
    );
  }

  private missing(id: string): HttpError {
    return notFound(`No session "${id}" (it may have expired after ${this.options.ttlMs / 1000} s without requests).`);
  }

  private found<T>(id: string, value: T | null): T {
    if (value === null) throw this.missing(id);
    return value;
  }

  private describe(record: SessionRecord): SessionInfo {
    return {
      session_id: record.id,
      specification_hash: record.specificationHash,
      created_at: new Date(record.createdAt).toISOString(),
      last_used_at: new Date(record.lastUsedAt).toISOString(),
      expires_at: new Date(record.expiresAt).toISOString(),
      runs: record.runs,
      in_flight: this.queues.get(record.id)?.inFlight ?? 0,
      streams: record.streams,
    };
  }
}
