/**
 * Coalesces the requests for one model into batches: the items of one call go together, and
 * items arriving while inferences run (other streams, other HTTP requests) wait and share the
 * next one — at most `maxBatchSize` per inference and `concurrency` inferences at a time (one
 * per inference worker). When several workers are idle, the waiting items are shared out evenly,
 * so a batch of 8 on two workers runs as two batches of 4 side by side.
 */
interface Entry<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class BatchQueue<I, O> {
  private readonly waiting: Entry<I, O>[] = [];
  private running = 0;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly maxBatchSize: number,
    private readonly concurrency = 1,
  ) {}

  push(items: readonly I[]): Promise<O[]> {
    const results = items.map((item) => new Promise<O>((resolve, reject) => this.waiting.push({ item, resolve, reject })));
    // Start on a microtask, so calls made in the same tick share the first inference too.
    queueMicrotask(() => this.drain());
    return Promise.all(results);
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.running < this.concurrency) {
      const idle = this.concurrency - this.running;
      const batch = this.waiting.splice(0, Math.min(this.maxBatchSize, Math.ceil(this.waiting.length / idle)));
      this.running++;
      this.runBatch(batch.map((entry) => entry.item))
        .then(
          (outputs) => batch.forEach((entry, i) => entry.resolve(outputs[i])),
          (error: unknown) => batch.forEach((entry) => entry.reject(error)),
        )
        .finally(() => {
          this.running--;
          this.drain();
        });
    }
  }
}
