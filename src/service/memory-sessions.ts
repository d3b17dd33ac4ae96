/**
 * Sessions in this process (the default): each session's engine lives here, with its block
 * state, until it idles past the TTL or is deleted. A full store refuses a new session rather than
 * evicting another client's (docs/reference/http.md#sessions).
 */
import type { WorkflowEngine } from "../executor/engine.js";
import type { EngineSnapshot } from "../state/store.js";
import { SessionSpecification, type SessionBackend, type SessionBackendOptions, type SessionOpening, type SessionRecord } from "./sessions.js";

class MemorySession {
  runs = 0;
  lastUsedAt: number;
  /** A run is in progress on the engine. */
  open = false;
  /** Forgotten while a run was in progress: its engine closes when the run ends. */
  dropped = false;

  constructor(
    readonly id: string,
    readonly engine: WorkflowEngine,
    readonly specification: SessionSpecification,
    readonly createdAt: number,
  ) {
    this.lastUsedAt = createdAt;
  }
}

export class MemorySessionBackend implements SessionBackend {
  private readonly sessions = new Map<string, MemorySession>();
  private readonly now: () => number;

  constructor(private readonly options: SessionBackendOptions) {
    this.now = options.now ?? Date.now;
  }

  async open(id: string, specification: unknown): Promise<SessionOpening> {
    this.sweep();
    let session = this.sessions.get(id);
    if (session && !session.specification.matches(specification)) return { kind: "conflict", hash: session.specification.hash };
    if (!session) {
      if (this.sessions.size >= this.options.maxSessions) return { kind: "full" };
      const engine = this.options.createEngine(specification);
      session = new MemorySession(id, engine, new SessionSpecification(engine.plan.hash), this.now());
      this.sessions.set(id, session);
    }
    const opened = session;
    opened.open = true;
    opened.lastUsedAt = this.now();
    return {
      kind: "opened",
      engine: opened.engine,
      finish: async () => {
        opened.open = false;
        opened.runs++;
        opened.lastUsedAt = this.now();
        if (opened.dropped) await opened.engine.close().catch(() => undefined);
      },
    };
  }

  async get(id: string): Promise<SessionRecord | null> {
    this.sweep();
    const session = this.sessions.get(id);
    return session ? this.record(session) : null;
  }

  async list(): Promise<SessionRecord[]> {
    this.sweep();
    return [...this.sessions.values()].map((session) => this.record(session));
  }

  async count(): Promise<number> {
    this.sweep();
    return this.sessions.size;
  }

  async snapshot(id: string): Promise<EngineSnapshot | null> {
    this.sweep();
    return this.sessions.get(id)?.engine.snapshot() ?? null;
  }

  async delete(id: string): Promise<boolean> {
    this.sweep();
    const session = this.sessions.get(id);
    if (!session) return false;
    await this.drop(session);
    return true;
  }

  /** Drops sessions idle for longer than the TTL (never one with a run in progress). */
  sweep(): void {
    const now = this.now();
    for (const session of this.sessions.values()) {
      if (!session.open && now - session.lastUsedAt > this.options.ttlMs) void this.drop(session);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => this.drop(session)));
  }

  private async drop(session: MemorySession): Promise<void> {
    this.sessions.delete(session.id);
    session.dropped = true;
    if (!session.open) await session.engine.close().catch(() => undefined);
  }

  private record(session: MemorySession): SessionRecord {
    return {
      id: session.id,
      specificationHash: session.specification.hash,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      expiresAt: session.lastUsedAt + this.options.ttlMs,
      runs: session.runs,
      streams: session.engine.activeStreams(),
    };
  }
}
