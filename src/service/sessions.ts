/**
 * Where stateful `/workflows/run` sessions live (docs/reference/http.md#sessions): the contract
 * of a session backend — in this process (`memory-sessions.ts`) or in Redis, shared by every
 * replica (`redis-sessions.ts`). The rules every backend keeps are in the server's
 * `SessionStore`, which turns a backend's refusals into HTTP answers and runs the requests of a
 * session one at a time on each server.
 */
import { hashDefinition } from "../compiler/index.js";
import type { WorkflowEngine } from "../executor/engine.js";
import type { EngineSnapshot } from "../state/store.js";

/** A session as its backend keeps it (times in ms since the epoch). */
export interface SessionRecord {
  id: string;
  /** Hash of the session's specification (`hashDefinition`). */
  specificationHash: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  runs: number;
  /** Streams whose block state the session holds. */
  streams: string[];
}

/** What opening a session for a run gives: its engine, or why not. */
export type SessionOpening =
  | {
      kind: "opened";
      engine: WorkflowEngine;
      /** Call once the run has ended (however it ended): keeps the engine's state for the next run. */
      finish(): Promise<void>;
    }
  /** The session runs another specification (hash `hash`). */
  | { kind: "conflict"; hash: string }
  /** A new session does not fit: `maxSessions` exist. */
  | { kind: "full" };

export interface SessionBackend {
  /**
   * Opens session `id` for one run, creating it on first use (a bad specification throws its
   * compile error). The caller runs a session's requests one at a time on this server and calls
   * `finish` after each.
   */
  open(id: string, specification: unknown): Promise<SessionOpening>;
  get(id: string): Promise<SessionRecord | null>;
  list(): Promise<SessionRecord[]>;
  count(): Promise<number>;
  /** The session's block state, as `engine.snapshot()` gives it. */
  snapshot(id: string): Promise<EngineSnapshot | null>;
  /** Forgets the session (a run in progress ends on its engine first); false when there is none. */
  delete(id: string): Promise<boolean>;
  /** Lets go of what has been idle past the TTL. */
  sweep(): void;
  /** Closes every engine this process holds (the caller has let their runs end). */
  close(): Promise<void>;
}

export interface SessionBackendOptions {
  /** A session idle this long is dropped. */
  ttlMs: number;
  /** Sessions held at most; a new one beyond that is refused. */
  maxSessions: number;
  /** Builds a session's engine, from `snapshot` when given; throws the compile error for a bad specification. */
  createEngine: (specification: unknown, snapshot?: EngineSnapshot) => WorkflowEngine;
  now?: () => number;
}

/**
 * The specification a session runs, by hash (key order does not matter), and the last text it
 * was posted as: a client repeats its own text, whose comparison spares hashing it again.
 */
export class SessionSpecification {
  constructor(
    readonly hash: string,
    private text: string | null = null,
  ) {}

  matches(specification: unknown): boolean {
    const text = JSON.stringify(specification);
    if (text === this.text) return true;
    if (hashDefinition(specification) !== this.hash) return false;
    this.text = text;
    return true;
  }
}
