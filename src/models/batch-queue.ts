/**
 * Coalesces the requests for one model into batches: the items of one call go together, and
 * items arriving while an inference runs (other streams, other HTTP requests) wait and share
 * the next one — at most `maxBatchSize` per inference, one inference at a time.
 */
interface Entry<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class BatchQueue<I, O> {
  private readonly waiting: Entry<I, O>[] = [];
  private running = false;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly maxBatchSize: number,
  ) {}

  push(items: readonly I[]): Promise<O[]> {
    const results = items.map((item) => new Promise<O>((resolve, reject) => this.waiting.push({ item, resolve, reject })));
    // Start on a microtask, so calls made in the same tick share the first inference too.
    queueMicrotask(() => void this.drain());
    return Promise.all(results);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatchSize);
        try {
          const outputs = await this.runBatch(batch.map((entry) => entry.item));
          batch.forEach((entry, i) => entry.resolve(outputs[i]));
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
