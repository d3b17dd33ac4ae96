/** Small pure pieces of the model layer: argmax/argmin, half floats, the LRU, batching. */
import { describe, expect, it } from "vitest";
import { BatchQueue } from "../../src/models/batch-queue.js";
import { argmax, argmin } from "../../src/models/families/clip/similarity.js";
import { LruCache } from "../../src/models/lru.js";
import { float32ToFloat16, fromFloat16Bits, toFloat16Bits } from "../../src/models/onnx/float16.js";

describe("argmax / argmin", () => {
  it("lets the first extreme win, as numpy", () => {
    expect(argmax([0.1, 0.3, 0.3, 0.2])).toBe(1);
    expect(argmin([0.2, 0.1, 0.3, 0.1])).toBe(1);
    expect(argmax([-1])).toBe(0);
  });

  it("treats NaN as the extreme, as numpy", () => {
    expect(argmax([0.1, Number.NaN, 0.9])).toBe(1);
    expect(argmin([0.1, 0.9, Number.NaN])).toBe(2);
  });
});

describe("float16", () => {
  it("converts exactly representable values both ways", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001], // smallest subnormal
      [Infinity, 0x7c00],
    ];
    for (const [value, bits] of cases) {
      expect(toFloat16Bits(value)).toBe(bits);
      expect(fromFloat16Bits(bits)).toBe(value);
    }
  });

  it("rounds to nearest, ties to even, and saturates to infinity", () => {
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa 0
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even mantissa 2
    expect(toFloat16Bits(1 + 2 ** -10 + 2 ** -12)).toBe(0x3c01);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    expect(Array.from(float32ToFloat16(Float32Array.from([1, -0.5])))).toEqual([0x3c00, 0xb800]);
  });
});

describe("LRU cache", () => {
  it("evicts the least recently used entry", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.get("a");
    cache.set("c", 3);
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.size]).toEqual([1, undefined, 3, 2]);
  });

  it("keeps nothing with capacity 0", () => {
    const cache = new LruCache<string, number>(0);
    cache.set("a", 1);
    expect(cache.get("a")).toBeUndefined();
  });
});

describe("batch queue", () => {
  it("batches the items of one call and of calls in the same tick, up to the limit", async () => {
    const batches: number[][] = [];
    const queue = new BatchQueue<number, number>(async (items) => {
      batches.push(items);
      return items.map((item) => item * 10);
    }, 4);
    const [first, second] = await Promise.all([queue.push([1, 2, 3]), queue.push([4, 5])]);
    expect([first, second]).toEqual([
      [10, 20, 30],
      [40, 50],
    ]);
    expect(batches).toEqual([[1, 2, 3, 4], [5]]);
  });

  it("shares waiting items out between idle workers and keeps at most `concurrency` inferences running", async () => {
    const batches: number[][] = [];
    let running = 0;
    let mostRunning = 0;
    // each inference waits until the test lets it finish, so "while both run" needs no timing
    const finish: (() => void)[] = [];
    const queue = new BatchQueue<number, number>(
      async (items) => {
        batches.push(items);
        mostRunning = Math.max(mostRunning, ++running);
        await new Promise<void>((resolve) => finish.push(resolve));
        running--;
        return items.map((item) => -item);
      },
      16,
      2,
    );
    const first = queue.push([1, 2, 3, 4, 5, 6, 7, 8]);
    await Promise.resolve(); // the queue starts on a microtask
    await Promise.resolve();
    expect(running).toBe(2);
    const later = queue.push([9, 10, 11]);
    await Promise.resolve();
    expect(batches).toHaveLength(2); // no third inference while both workers are busy
    while (finish.length > 0 || running > 0) {
      finish.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await first).toEqual([-1, -2, -3, -4, -5, -6, -7, -8]);
    expect(await later).toEqual([-9, -10, -11]);
    expect(mostRunning).toBe(2);
    // 8 items, 2 idle workers: 4 each; the 3 that came while both ran go together to the first free one
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11],
    ]);
  });

  it("fails the items of a failed batch and goes on with the next", async () => {
    let calls = 0;
    const queue = new BatchQueue<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error("boom");
      return items;
    }, 2);
    const results = await Promise.allSettled([queue.push([1, 2]), queue.push([3])]);
    expect(results[0]).toMatchObject({ status: "rejected", reason: { message: "boom" } });
    expect(results[1]).toEqual({ status: "fulfilled", value: [3] });
  });
});
