/**
 * Sessions in Redis (`serve --redis`): any replica answers any request of a session with the
 * outputs one local stream would give (docs/reference/http.md#sessions-with-redis).
 *
 * A session is three keys, all with the id in braces (ids may hold `:`, never braces):
 * - `session:{id}`: a hash — its incarnation (a new one each time the id is created), the
 *   specification's hash, times, runs, the streams it holds, and a version that each saved run
 *   increments;
 * - `session:{id}:state`: its engine snapshot (JSON);
 * - `session:{id}:lock`: the lock a replica holds while it runs a request of the session — a
 *   lease, renewed while the run lasts, so a replica that dies frees the session after at most
 *   the lease;
 * and `sessions`, a sorted set of ids by expiry: the listing, the count against `maxSessions`,
 * and expiry itself (a key's own TTL only collects what expired a while ago).
 *
 * A run: take the lock; read the record (409 and 429 as in memory); use this replica's engine if
 * it holds the latest version of this incarnation, else build one from the stored snapshot; run;
 * save the snapshot and bump the version (only while still holding the lock, and only if the
 * session was not deleted meanwhile); release the lock. Expiry times use this replica's clock.
 */
import { randomUUID } from "node:crypto";
import type { WorkflowEngine } from "../executor/engine.js";
import type { EngineSnapshot } from "../state/store.js";
import { RedisError, type RedisConnection } from "./redis.js";
import { SessionSpecification, type SessionBackend, type SessionBackendOptions, type SessionOpening, type SessionRecord } from "./sessions.js";

export interface RedisSessionOptions extends SessionBackendOptions {
  redis: RedisConnection;
  /** Lease of a session's lock, ms (default 15 s): how long a replica that dies mid-run keeps others waiting. */
  lockLeaseMs?: number;
}

const DEFAULT_LOCK_LEASE_MS = 15_000;
/** Keys outlive their session's expiry by this much before Redis collects them. */
const COLLECT_AFTER_MS = 60_000;
const LOCK_POLL_FIRST_MS = 5;
const LOCK_POLL_MAX_MS = 200;

/** Creates the session unless `maxSessions` unexpired ones exist. KEYS: index, record, state. */
const CREATE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'incarnation', ARGV[5], 'hash', ARGV[6], 'created_at', ARGV[1], 'last_used_at', ARGV[1],
  'expires_at', ARGV[4], 'runs', 0, 'version', 0, 'streams', '[]')
redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
return 1`;

/**
 * Extends the lock (while `token` holds it) and the session's expiry (if it is still
 * `incarnation`); sets last_used_at when given. KEYS: lock, record, state, index.
 */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('HGET', KEYS[2], 'incarnation') == ARGV[3] then
  redis.call('HSET', KEYS[2], 'expires_at', ARGV[4])
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[2], 'last_used_at', ARGV[7]) end
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[6])
end
return 1`;

/** Saves a run's state; returns the new version, or LOCK_LOST / GONE. KEYS: lock, record, state, index. */
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[2], 'incarnation') ~= ARGV[2] then return -2 end
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[7])
redis.call('HINCRBY', KEYS[2], 'runs', 1)
redis.call('HSET', KEYS[2], 'last_used_at', ARGV[4], 'expires_at', ARGV[5], 'streams', ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[8])
return redis.call('HINCRBY', KEYS[2], 'version', 1)`;
const LOCK_LOST = -1;
const GONE = -2;

/** Releases the lock if `token` still holds it. KEYS: lock. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Deletes the session if it exists unexpired; 1 when it did. KEYS: index, record, state. */
const DELETE = `
local expires = redis.call('HGET', KEYS[2], 'expires_at')
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
if expires and tonumber(expires) >= tonumber(ARGV[2]) then return 1 end
return 0`;

interface SessionKeys {
  record: string;
  state: string;
  lock: string;
}

/** A session's record as stored, with what only Redis knows. */
interface StoredSession extends SessionRecord {
  incarnation: string;
  version: number;
}

/** The engine this replica holds for a session, at the version it last loaded or saved. */
interface LocalSession {
  engine: WorkflowEngine;
  specification: SessionSpecification;
  incarnation: string;
  version: number;
  lastUsedAt: number;
  /** A run is in progress on the engine. */
  open: boolean;
  /** Let go of while a run was in progress: its engine closes when the run ends. */
  dropped: boolean;
}

export class RedisSessionBackend implements SessionBackend {
  private readonly redis: RedisConnection;
  private readonly index: string;
  private readonly now: () => number;
  private readonly lockLeaseMs: number;
  /** Engines this replica holds, least recently used first. */
  private readonly local = new Map<string, LocalSession>();

  constructor(private readonly options: RedisSessionOptions) {
    this.redis = options.redis;
    this.index = options.redis.key("sessions");
    this.now = options.now ?? Date.now;
    this.lockLeaseMs = options.lockLeaseMs ?? DEFAULT_LOCK_LEASE_MS;
  }

  async open(id: string, specification: unknown): Promise<SessionOpening> {
    const keys = this.keys(id);
    const token = await this.lock(keys.lock);
    try {
      const stored = await this.read(id);
      const opening = stored ? await this.continueSession(stored, specification, keys, token) : await this.create(id, specification, keys, token);
      if (opening.kind !== "opened") await this.unlock(keys.lock, token);
      return opening;
    } catch (error) {
      await this.unlock(keys.lock, token);
      throw error;
    }
  }

  async get(id: string): Promise<SessionRecord | null> {
    const stored = await this.read(id);
    return stored && recordOf(stored);
  }

  async list(): Promise<SessionRecord[]> {
    const now = this.now();
    const client = this.redis.client;
    await client.zremrangebyscore(this.index, "-inf", `(${now}`);
    const ids = await client.zrange(this.index, 0, -1);
    const stored = await Promise.all(ids.map((id) => this.read(id)));
    return stored.filter((session) => session !== null).map(recordOf);
  }

  async count(): Promise<number> {
    return this.redis.client.zcount(this.index, this.now(), "+inf");
  }

  async snapshot(id: string): Promise<EngineSnapshot | null> {
    if (!(await this.read(id))) return null;
    const text = await this.redis.client.get(this.keys(id).state);
    return text === null ? null : (JSON.parse(text) as EngineSnapshot);
  }

  async delete(id: string): Promise<boolean> {
    const keys = this.keys(id);
    const deleted = await this.redis.client.eval(DELETE, 3, this.index, keys.record, keys.state, id, this.now());
    const local = this.local.get(id);
    if (local) await this.forget(id, local);
    return deleted === 1;
  }

  /** Lets go of engines idle past the TTL (their state stays in Redis until it expires there). */
  sweep(): void {
    const now = this.now();
    for (const [id, local] of this.local) {
      if (!local.open && now - local.lastUsedAt > this.options.ttlMs) void this.forget(id, local);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.local].map(([id, local]) => this.forget(id, local)));
  }

  private keys(id: string): SessionKeys {
    const record = this.redis.key("session", `{${id}}`);
    return { record, state: `${record}:state`, lock: `${record}:lock` };
  }

  /** The session's record, or null when there is none or it has expired. */
  private async read(id: string): Promise<StoredSession | null> {
    const fields = await this.redis.client.hgetall(this.keys(id).record);
    if (fields.incarnation === undefined) return null;
    const stored: StoredSession = {
      id,
      incarnation: fields.incarnation,
      specificationHash: fields.hash,
      createdAt: Number(fields.created_at),
      lastUsedAt: Number(fields.last_used_at),
      expiresAt: Number(fields.expires_at),
      runs: Number(fields.runs),
      version: Number(fields.version),
      streams: JSON.parse(fields.streams) as string[],
    };
    return stored.expiresAt >= this.now() ? stored : null;
  }

  private async create(id: string, specification: unknown, keys: SessionKeys, lockToken: string): Promise<SessionOpening> {
    const engine = this.options.createEngine(specification);
    const now = this.now();
    const incarnation = randomUUID();
    const created = await this.redis.client
      .eval(
        CREATE,
        3,
        this.index,
        keys.record,
        keys.state,
        now,
        this.options.maxSessions,
        id,
        now + this.options.ttlMs,
        incarnation,
        engine.plan.hash,
        JSON.stringify(engine.snapshot()),
        this.keyLifetimeMs(),
      )
      .catch(async (error: unknown) => {
        await engine.close();
        throw error;
      });
    if (created !== 1) {
      await engine.close();
      return { kind: "full" };
    }
    const local: LocalSession = {
      engine,
      specification: new SessionSpecification(engine.plan.hash),
      incarnation,
      version: 0,
      lastUsedAt: now,
      open: false,
      dropped: false,
    };
    await this.hold(id, local);
    return this.opened(id, local, keys, lockToken);
  }

  private async continueSession(stored: StoredSession, specification: unknown, keys: SessionKeys, lockToken: string): Promise<SessionOpening> {
    const held = this.local.get(stored.id);
    const current = held?.incarnation === stored.incarnation ? held : undefined;
    const known = current?.specification ?? new SessionSpecification(stored.specificationHash);
    if (!known.matches(specification)) return { kind: "conflict", hash: stored.specificationHash };
    await this.renew(keys, lockToken, stored.incarnation, stored.id, this.now());
    let local: LocalSession;
    if (current && current.version === stored.version) {
      local = current;
      // Most recently used last: `hold` evicts from the front.
      this.local.delete(stored.id);
      this.local.set(stored.id, local);
    } else {
      local = await this.load(stored, specification, known, keys);
    }
    return this.opened(stored.id, local, keys, lockToken);
  }

  /** An engine for the session, from the snapshot its last saved run left in Redis. */
  private async load(stored: StoredSession, specification: unknown, known: SessionSpecification, keys: SessionKeys): Promise<LocalSession> {
    const text = await this.redis.client.get(keys.state);
    if (text === null) {
      throw new RedisError(`The state of session "${stored.id}" is missing from Redis (${this.redis.url}); DELETE /sessions/${stored.id} and start it again.`);
    }
    const engine = this.options.createEngine(specification, JSON.parse(text) as EngineSnapshot);
    const local: LocalSession = {
      engine,
      specification: known,
      incarnation: stored.incarnation,
      version: stored.version,
      lastUsedAt: this.now(),
      open: false,
      dropped: false,
    };
    await this.hold(stored.id, local);
    return local;
  }

  private opened(id: string, local: LocalSession, keys: SessionKeys, lockToken: string): SessionOpening {
    local.open = true;
    const renewal = setInterval(() => void this.renew(keys, lockToken, local.incarnation, id).catch(() => undefined), this.lockLeaseMs / 3);
    renewal.unref();
    return {
      kind: "opened",
      engine: local.engine,
      finish: async () => {
        clearInterval(renewal);
        try {
          await this.save(id, local, keys, lockToken);
        } finally {
          local.open = false;
          local.lastUsedAt = this.now();
          if (local.dropped) await local.engine.close().catch(() => undefined);
          await this.unlock(keys.lock, lockToken);
        }
      },
    };
  }

  private async save(id: string, local: LocalSession, keys: SessionKeys, lockToken: string): Promise<void> {
    const now = this.now();
    let version: unknown;
    try {
      version = await this.redis.client.eval(
        SAVE,
        4,
        keys.lock,
        keys.record,
        keys.state,
        this.index,
        lockToken,
        local.incarnation,
        JSON.stringify(local.engine.snapshot()),
        now,
        now + this.options.ttlMs,
        JSON.stringify(local.engine.activeStreams()),
        this.keyLifetimeMs(),
        id,
      );
    } catch (error) {
      await this.forget(id, local);
      throw new RedisError(`Could not save the state of session "${id}" to Redis (${this.redis.url}): ${(error as Error).message}.`);
    }
    if (version === GONE) {
      // Deleted while this run was in progress: its state goes, as it does without Redis.
      await this.forget(id, local);
      return;
    }
    if (version === LOCK_LOST) {
      await this.forget(id, local);
      throw new RedisError(
        `Session "${id}": this server's lock on it lapsed during the run (Redis at ${this.redis.url} unreachable for longer than the ${this.lockLeaseMs / 1000} s lease?), so its state was not saved. Send the request again.`,
      );
    }
    local.version = Number(version);
  }

  /** Keeps `local` as this replica's engine for `id`, closing the one it replaces and the least recently used beyond `maxSessions`. */
  private async hold(id: string, local: LocalSession): Promise<void> {
    const previous = this.local.get(id);
    if (previous && previous !== local) await this.forget(id, previous);
    this.local.set(id, local);
    for (const [otherId, other] of this.local) {
      if (this.local.size <= this.options.maxSessions) break;
      if (!other.open) await this.forget(otherId, other);
    }
  }

  /** Lets go of this replica's engine (the session itself stays in Redis). */
  private async forget(id: string, local: LocalSession): Promise<void> {
    if (this.local.get(id) === local) this.local.delete(id);
    local.dropped = true;
    if (!local.open) await local.engine.close().catch(() => undefined);
  }

  /** Waits for the session's lock; returns the token that holds it. */
  private async lock(key: string): Promise<string> {
    const lockToken = randomUUID();
    for (let pause = LOCK_POLL_FIRST_MS; ; pause = Math.min(pause * 2, LOCK_POLL_MAX_MS)) {
      if ((await this.redis.client.set(key, lockToken, "PX", this.lockLeaseMs, "NX")) === "OK") return lockToken;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async unlock(key: string, lockToken: string): Promise<void> {
    await this.redis.client.eval(UNLOCK, 1, key, lockToken).catch(() => undefined);
  }

  private async renew(keys: SessionKeys, lockToken: string, incarnation: string, id: string, usedAt?: number): Promise<void> {
    const now = this.now();
    await this.redis.client.eval(
      RENEW,
      4,
      keys.lock,
      keys.record,
      keys.state,
      this.index,
      lockToken,
      this.lockLeaseMs,
      incarnation,
      now + this.options.ttlMs,
      this.keyLifetimeMs(),
      id,
      usedAt ?? "",
    );
  }

  /** How long Redis keeps a session's keys after its last use: past its expiry, so expiry is the index's to decide. */
  private keyLifetimeMs(): number {
    return this.options.ttlMs + COLLECT_AFTER_MS;
  }
}

function recordOf(stored: StoredSession): SessionRecord {
  const { incarnation: _incarnation, version: _version, ...record } = stored;
  return record;
}
