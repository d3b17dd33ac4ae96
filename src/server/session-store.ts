/**
 * Stateful sessions: upstream's `/workflows/run` builds a new engine per request, so stream blocks
 * (identify_outliers, buffer, rate_limiter, …) start from scratch every time. A request with a
 * `session_id` runs on that session's long-lived engine instead, so a client posting frames one
 * by one gets exactly what a local `engine.run` loop over the same frames gives.
 *
 * Rules:
 * - the first request names the specification; a later one with a different specification (by
 *   `hashDefinition`, key-order independent) is refused with 409 — state built for one workflow
 *   means nothing to another;
 * - requests of one session run one at a time, in arrival order (block state is sequential);
 * - a session idle for `ttlMs` is dropped (its state with it);
 * - at most `maxSessions` exist; when full, a NEW session is refused with 429 rather than evicting
 *   another client's session — silently losing state would make that client's outputs diverge
 *   from a local stream without telling it. Idle sessions free their place after the TTL, or at
 *   once with `DELETE /sessions/{id}`.
 */
import { hashDefinition } from "../compiler/index.js";
import type { EngineSnapshot } from "../state/store.js";
import type { WorkflowEngine } from "../executor/engine.js";
import { HttpError, notFound, tooManyRequests } from "./errors.js";

export interface SessionInfo {
  session_id: string;
  /** Hash of the session's specification. */
  specification_hash: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  runs: number;
  /** Requests running or waiting on this session. */
  in_flight: number;
  /** Streams whose block state the engine holds. */
  streams: string[];
}

export interface SessionStoreOptions {
  ttlMs: number;
  maxSessions: number;
  /** Builds the session's engine; throws the compile error for a bad specification. */
  createEngine: (specification: unknown) => WorkflowEngine;
  now?: () => number;
}

class Session {
  runs = 0;
  inFlight = 0;
  lastUsedAt: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly engine: WorkflowEngine,
    /** The specification as last posted; the same text spares hashing it again. */
    private text: string,
    readonly createdAt: number,
  ) {
    this.lastUsedAt = createdAt;
  }

  get hash(): string {
    return this.engine.plan.hash;
  }

  /** Whether `specification` (given as `text`) is the session's, whatever its key order. */
  matches(specification: unknown, text: string): boolean {
    if (text === this.text) return true;
    if (hashDefinition(specification) !== this.hash) return false;
    this.text = text;
    return true;
  }

  /** Runs `task` after every earlier task of this session has settled. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    this.sweep();
    return this.sessions.size;
  }

  /**
   * Runs `task` on the session's engine (created on first use), one task at a time per session.
   * Throws 409 when the session exists with another specification, 429 when a new session does
   * not fit.
   */
  async run<T>(id: string, specification: unknown, task: (engine: WorkflowEngine) => Promise<T>): Promise<T> {
    const session = this.acquire(id, specification);
    session.inFlight++;
    try {
      return await session.exclusive(() => task(session.engine));
    } finally {
      session.inFlight--;
      session.runs++;
      session.lastUsedAt = this.now();
    }
  }

  private acquire(id: string, specification: unknown): Session {
    this.sweep();
    const text = JSON.stringify(specification);
    const existing = this.sessions.get(id);
    if (existing) {
      if (!existing.matches(specification, text)) {
        throw new HttpError(
          409,
          "SessionConflictError",
          `Session "${id}" runs a different specification (hash ${existing.hash}; this request's hashes to ${hashDefinition(specification)}). ` +
            `Its block state belongs to that workflow: use a new session_id, or DELETE /sessions/${encodeURIComponent(id)} first.`,
          { context: "session_management" },
        );
      }
      existing.lastUsedAt = this.now();
      return existing;
    }
    if (this.sessions.size >= this.options.maxSessions) {
      throw tooManyRequests(
        `The server holds its maximum of ${this.options.maxSessions} sessions. Delete one (DELETE /sessions/{id}) or wait until an idle one expires (after ${this.options.ttlMs / 1000} s without requests).`,
      );
    }
    const session = new Session(id, this.options.createEngine(specification), text, this.now());
    this.sessions.set(id, session);
    return session;
  }

  list(): SessionInfo[] {
    this.sweep();
    return [...this.sessions.values()].map((session) => this.describe(session));
  }

  info(id: string): SessionInfo {
    return this.describe(this.get(id));
  }

  snapshot(id: string): EngineSnapshot {
    return this.get(id).engine.snapshot();
  }

  /** Forgets the session; a request still running on it finishes first, then the engine is closed. */
  delete(id: string): void {
    void this.drop(this.get(id));
  }

  /** Drops sessions idle for longer than the TTL (never one with a request in flight). */
  sweep(): void {
    const now = this.now();
    for (const session of this.sessions.values()) {
      if (session.inFlight === 0 && now - session.lastUsedAt > this.options.ttlMs) void this.drop(session);
    }
  }

  /** Drops every session (shutdown), once their requests have finished. */
  async clear(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => this.drop(session)));
  }

  private drop(session: Session): Promise<void> {
    this.sessions.delete(session.id);
    // Queued behind the session's own requests, so none of them finds its engine closed.
    return session.exclusive(() => session.engine.close()).catch(() => undefined);
  }

  private get(id: string): Session {
    this.sweep();
    const session = this.sessions.get(id);
    if (!session) throw notFound(`No session "${id}" (it may have expired after ${this.options.ttlMs / 1000} s without requests).`);
    return session;
  }

  private describe(session: Session): SessionInfo {
    return {
      session_id: session.id,
      specification_hash: session.hash,
      created_at: new Date(session.createdAt).toISOString(),
      last_used_at: new Date(session.lastUsedAt).toISOString(),
      expires_at: new Date(session.lastUsedAt + this.options.ttlMs).toISOString(),
      runs: session.runs,
      in_flight: session.inFlight,
      streams: session.engine.activeStreams(),
    };
  }
}
