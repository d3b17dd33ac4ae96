/**
 * Block state, owned by the engine: one plain-JSON state per (step, stream) — or per step in
 * upstream-compatible mode — plus engine-wide shared namespaces (the cache blocks). Bounded:
 * streams idle longer than `idleTimeoutMs` are evicted, and at most `maxStreams` are kept (least
 * recently active first out). Snapshots are JSON and restore exactly.
 */
import { z } from "zod";
import { WorkflowError } from "../errors/index.js";
import { decodeStateValue, encodeStateValue } from "./values.js";

export type StateScope = "stream" | "step";

export interface StateStoreOptions {
  /** `"stream"` (default): per (step, stream). `"step"`: one state per step, as upstream. */
  scope: StateScope;
  /** A stream with no frame for this long loses its state. */
  idleTimeoutMs: number;
  maxStreams: number;
}

export const DEFAULT_STATE_OPTIONS: StateStoreOptions = {
  scope: "stream",
  idleTimeoutMs: 30 * 60 * 1000,
  maxStreams: 1024,
};

/** The key under which step-scoped state is kept. */
export const WHOLE_STEP = "*";

export interface EngineSnapshot {
  format: "sightline-state";
  version: 1;
  /** Hash of the definition the state belongs to. */
  definition_hash: string;
  scope: StateScope;
  taken_at: string;
  /** How many runs the engine had done when the snapshot was taken (restores carry it on). */
  runs: number;
  /** step name → stream → state. */
  steps: Record<string, Record<string, unknown>>;
  /** namespace → key → value. */
  shared: Record<string, Record<string, unknown>>;
  /** stream → last activity (ms since epoch). */
  streams: Record<string, number>;
}

/** What makes a value a sightline snapshot at all, checked before anything else in it. */
export const SNAPSHOT_IDENTITY = z.object({ format: z.literal("sightline-state"), version: z.literal(1) });

const RUNS_EXPECTED = "must be an integer ≥ 0";

/**
 * The whole envelope; the engine checks each step's state against its block's state schema
 * (docs/reference/cli.md#state-files).
 */
export const SNAPSHOT_ENVELOPE = z.strictObject({
  format: z.literal("sightline-state"),
  version: z.literal(1),
  definition_hash: z.string(),
  scope: z.enum(["stream", "step"]),
  taken_at: z.iso.datetime(),
  runs: z.int({ error: RUNS_EXPECTED }).min(0, { error: RUNS_EXPECTED }),
  steps: z.record(z.string(), z.record(z.string(), z.unknown())),
  shared: z.record(z.string(), z.record(z.string(), z.unknown())),
  streams: z.record(z.string(), z.number()),
}) satisfies z.ZodType<EngineSnapshot>;

export class SnapshotError extends WorkflowError {
  override readonly errorType = "SnapshotError";
  override readonly httpStatus = 400;
}

export class StateStore {
  private readonly steps = new Map<string, Map<string, unknown>>();
  private readonly shared = new Map<string, Record<string, unknown>>();
  /** Insertion order = least recently active first (re-inserted on touch). */
  private readonly lastActive = new Map<string, number>();
  private lastSweep = 0;

  constructor(readonly options: StateStoreOptions = DEFAULT_STATE_OPTIONS) {}

  keyFor(stream: string, stepScoped: boolean): string {
    return this.sharedByStreams(stepScoped) ? WHOLE_STEP : stream;
  }

  /** Whether a step's state is one for every stream (the step's own scope, or the store's). */
  sharedByStreams(stepScoped: boolean): boolean {
    return stepScoped || this.options.scope === "step";
  }

  get(step: string, key: string, initial: () => unknown): unknown {
    let byStream = this.steps.get(step);
    if (!byStream) {
      byStream = new Map();
      this.steps.set(step, byStream);
    }
    if (!byStream.has(key)) byStream.set(key, initial());
    return byStream.get(key);
  }

  /** The state if there is one, creating none. */
  peek(step: string, key: string): unknown {
    return this.steps.get(step)?.get(key);
  }

  set(step: string, key: string, value: unknown): void {
    let byStream = this.steps.get(step);
    if (!byStream) {
      byStream = new Map();
      this.steps.set(step, byStream);
    }
    byStream.set(key, value);
  }

  namespace(name: string): Record<string, unknown> {
    let space = this.shared.get(name);
    if (!space) {
      space = {};
      this.shared.set(name, space);
    }
    return space;
  }

  /** Marks streams active and evicts idle ones (at most once a second). */
  touch(streams: Iterable<string>, now: number): void {
    for (const stream of streams) {
      this.lastActive.delete(stream);
      this.lastActive.set(stream, now);
    }
    while (this.lastActive.size > this.options.maxStreams) {
      const oldest = this.lastActive.keys().next().value as string;
      this.evict(oldest);
    }
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [stream, at] of this.lastActive) {
      if (now - at <= this.options.idleTimeoutMs) break; // ordered by activity
      this.evict(stream);
    }
  }

  evict(stream: string): void {
    this.lastActive.delete(stream);
    for (const byStream of this.steps.values()) byStream.delete(stream);
    this.shared.delete(stream);
  }

  streams(): string[] {
    return [...this.lastActive.keys()];
  }

  snapshot(definitionHash: string, now: number, runs: number): EngineSnapshot {
    const steps: EngineSnapshot["steps"] = {};
    for (const [step, byStream] of this.steps) {
      steps[step] = {};
      for (const [stream, value] of byStream) steps[step][stream] = toJsonData(value, `state of step "${step}", stream "${stream}"`);
    }
    const shared: EngineSnapshot["shared"] = {};
    for (const [name, space] of this.shared) shared[name] = toJsonData(space, `shared namespace "${name}"`) as Record<string, unknown>;
    return {
      format: "sightline-state",
      version: 1,
      definition_hash: definitionHash,
      scope: this.options.scope,
      taken_at: new Date(now).toISOString(),
      runs,
      steps,
      shared,
      streams: Object.fromEntries(this.lastActive),
    };
  }

  /** Loads a snapshot the engine has checked (`executor/snapshot.ts`) against the definition and its blocks. */
  restore(snapshot: EngineSnapshot): void {
    for (const [step, byStream] of Object.entries(snapshot.steps)) {
      this.steps.set(step, new Map(Object.entries(byStream).map(([stream, state]) => [stream, decodeStateValue(state)])));
    }
    for (const [name, space] of Object.entries(snapshot.shared)) this.shared.set(name, decodeStateValue(space) as Record<string, unknown>);
    const byActivity = Object.entries(snapshot.streams).sort(([, a], [, b]) => a - b);
    for (const [stream, at] of byActivity) this.lastActive.set(stream, at);
  }
}

/**
 * A JSON copy (images and dates tagged, see `values.ts`) that refuses what JSON cannot carry
 * faithfully (NaN, ±Infinity, functions, …).
 */
function toJsonData(value: unknown, where: string): unknown {
  const text = JSON.stringify(value, function (this: unknown, key: string, raw: unknown) {
    const item = encodeStateValue.call(this, key, raw);
    if (typeof item === "number" && !Number.isFinite(item)) {
      throw new SnapshotError(`Cannot snapshot ${where}: key "${key}" holds ${item}, which JSON cannot represent.`);
    }
    if (typeof item === "function" || typeof item === "symbol" || typeof item === "bigint") {
      throw new SnapshotError(`Cannot snapshot ${where}: key "${key}" holds a ${typeof item}.`);
    }
    return item;
  });
  return text === undefined ? null : JSON.parse(text);
}
