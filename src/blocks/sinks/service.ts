/**
 * The sinks' engine service (docs/architecture.md#models for services): the policy they obey
 * (`policy.ts`), the background queue of each step, and the counts `/metrics` shows. One per
 * `Services`, so every engine of a server shares its policy and counts; each engine's step gets
 * its own queue, keyed by the engine's shared state (`ctx.shared`, one per engine) and the step.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { serviceKey, type Services } from "../../block-api/index.js";
import { DeliveryQueue, type Delivery } from "./delivery-queue.js";
import { sinkPolicyFrom, type SinkPolicy } from "./policy.js";

/** What became of a delivery: `sent`; `failed` (the receiver or the network); `dropped` (the step's queue was full); `refused` (the policy). */
export type SinkOutcome = "sent" | "failed" | "dropped" | "refused";

export interface SinkDeliveryCount {
  readonly blockType: string;
  readonly outcome: SinkOutcome;
  readonly count: number;
}

export interface SinkStats {
  readonly deliveries: readonly SinkDeliveryCount[];
  /** Background deliveries waiting or running now. */
  readonly queued: number;
}

export interface SinkQueueOptions {
  /** Background deliveries of one step waiting at most (default 64); beyond, a new one is dropped. */
  readonly capacity: number;
  /** … and running at once (default 4). */
  readonly concurrency: number;
  /** How long `close()` waits for background deliveries to finish (default 5 s). */
  readonly drainMs: number;
}

export const DEFAULT_SINK_QUEUE: SinkQueueOptions = { capacity: 64, concurrency: 4, drainMs: 5000 };

// Upstream's per-request `disable_sinks` (POST /workflows/run): one run's sinks off, others unchanged.
const runScope = new AsyncLocalStorage<{ sinksDisabled: boolean }>();

/** Runs `run` with every sink it reaches disabled (upstream's `disable_sinks` request field). */
export function withSinksDisabled<T>(run: () => T): T {
  return runScope.run({ sinksDisabled: true }, run);
}

export class SinkService {
  private readonly counts = new Map<string, { blockType: string; outcome: SinkOutcome; count: number }>();
  private readonly queues = new WeakMap<object, Map<string, DeliveryQueue>>();
  /** Queues that held a delivery since they were last seen idle. */
  private readonly active = new Set<DeliveryQueue>();

  constructor(
    readonly policy: SinkPolicy,
    readonly queueOptions: SinkQueueOptions = DEFAULT_SINK_QUEUE,
  ) {}

  /** Disabled by the policy (execution-wide) or for the current run only. */
  disabledBy(): "policy" | "run" | null {
    if (this.policy.disabled) return "policy";
    return runScope.getStore()?.sinksDisabled ? "run" : null;
  }

  count(blockType: string, outcome: SinkOutcome): void {
    const key = `${blockType} ${outcome}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { blockType, outcome, count: 1 });
  }

  /**
   * Queues `delivery` on the step's queue of the engine `engineKey` belongs to; false (and
   * counted as dropped) when that queue is full.
   */
  enqueue(engineKey: object, step: string, blockType: string, delivery: Delivery): boolean {
    let steps = this.queues.get(engineKey);
    if (!steps) this.queues.set(engineKey, (steps = new Map<string, DeliveryQueue>()));
    let queue = steps.get(step);
    if (!queue) steps.set(step, (queue = new DeliveryQueue(this.queueOptions.capacity, this.queueOptions.concurrency)));
    const accepted = queue.offer(delivery);
    if (accepted) this.active.add(queue);
    else this.count(blockType, "dropped");
    return accepted;
  }

  stats(): SinkStats {
    return { deliveries: [...this.counts.values()].map((entry) => ({ ...entry })), queued: this.busyQueues().reduce((sum, queue) => sum + queue.size, 0) };
  }

  /** Waits (at most `drainMs`) for background deliveries, so a one-off run's notifications leave before the process ends. */
  async close(): Promise<void> {
    const busy = this.busyQueues();
    if (busy.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.queueOptions.drainMs)));
    await Promise.race([Promise.all(busy.map((queue) => queue.idle())), deadline]);
    clearTimeout(timer);
  }

  private busyQueues(): DeliveryQueue[] {
    for (const queue of this.active) if (queue.size === 0) this.active.delete(queue);
    return [...this.active];
  }
}

export const sinkServiceKey = serviceKey("sinks", (services) => new SinkService(sinkPolicyFrom(services.settings)));

/** Installs a sink service with this policy (the server's, the worker's), replacing the one `settings.sinks` would make. */
export function provideSinkPolicy(services: Services, policy: SinkPolicy, queue: SinkQueueOptions = DEFAULT_SINK_QUEUE): SinkService {
  const service = new SinkService(policy, queue);
  services.provide(sinkServiceKey, service);
  return service;
}
