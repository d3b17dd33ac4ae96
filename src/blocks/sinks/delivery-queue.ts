/**
 * Background deliveries of one sink step (fire_and_forget): at most `concurrency` at once and
 * `capacity` waiting, so a slow or unreachable receiver holds a bounded amount of memory and
 * never the frame that asked for the delivery — past the bound, a new delivery is refused at
 * once (docs/reference/blocks.md#sinks).
 */

export type Delivery = () => Promise<void>;

export class DeliveryQueue {
  private readonly waiting: Delivery[] = [];
  private running = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    readonly concurrency: number,
  ) {}

  /** Deliveries waiting or running. */
  get size(): number {
    return this.waiting.length + this.running;
  }

  /** False when the queue is full: the delivery was not accepted. */
  offer(delivery: Delivery): boolean {
    if (this.running < this.concurrency) {
      this.start(delivery);
      return true;
    }
    if (this.waiting.length >= this.capacity) return false;
    this.waiting.push(delivery);
    return true;
  }

  /** Resolves once nothing waits or runs. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(delivery: Delivery): void {
    this.running++;
    // a delivery reports its own failures; whatever escapes must not stop the queue
    void delivery()
      .catch(() => undefined)
      .finally(() => {
        this.running--;
        const next = this.waiting.shift();
        if (next) this.start(next);
        else if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }
}
