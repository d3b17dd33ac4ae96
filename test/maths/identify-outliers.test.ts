/**
 * identify_outliers against sequences worked out by hand from upstream's algorithm
 * (docs/reference/blocks.md#identify-outliers), with unit vectors in 2-D so the mean direction and
 * every alignment are short closed forms.
 */
import { describe, expect, it } from "vitest";
import {
  identifyOutliersStep,
  initialIdentifyOutliersState,
  type IdentifyOutliersOutput,
  type IdentifyOutliersParams,
  type IdentifyOutliersState,
} from "../../src/maths/identify-outliers.js";

function params(overrides: Partial<IdentifyOutliersParams>): IdentifyOutliersParams {
  return { thresholdPercentile: 0.05, warmup: 3, windowSize: 32, ...overrides };
}

function run(embeddings: number[][], p: IdentifyOutliersParams): { outputs: IdentifyOutliersOutput[]; state: IdentifyOutliersState } {
  let state = initialIdentifyOutliersState();
  const outputs: IdentifyOutliersOutput[] = [];
  for (const embedding of embeddings) {
    const result = identifyOutliersStep(JSON.parse(JSON.stringify(state)) as IdentifyOutliersState, embedding, p);
    state = result.state;
    outputs.push(result.output);
  }
  return { outputs, state };
}

describe("identify_outliers", () => {
  // window 4: e1 = [1,0], e2 = [0.6,0.8], e3 = [0,1], e4 = [0.8,0.6], e5 = [−1,0]
  const sequence = [
    [1, 0],
    [0.6, 0.8],
    [0, 1],
    [0.8, 0.6],
    [-1, 0],
  ];

  it("warm-up 3: samples is incremented first, so only the first 2 calls warm up (percentile forced to 0.5)", () => {
    const { outputs } = run(sequence, params({ warmup: 3, windowSize: 4 }));
    expect(outputs[0]).toEqual({ is_outlier: false, percentile: 0.5, warming_up: true });
    expect(outputs[1]).toEqual({ is_outlier: false, percentile: 0.5, warming_up: true });
    expect(outputs[2].warming_up).toBe(false);
  });

  it("call 3: Σ = [1.6, 1.8], alignments [1.6, 2.4, 1.8]/√5.8 → rank of e3 is 1 → percentile 1/3", () => {
    const strict = run(sequence.slice(0, 3), params({ windowSize: 4, thresholdPercentile: 0.3 })).outputs[2];
    expect(strict.percentile).toBe(1 / 3);
    expect(strict.is_outlier).toBe(false);
    // strict inequality against τ: 1/3 < 0.34 → outlier
    expect(run(sequence.slice(0, 3), params({ windowSize: 4, thresholdPercentile: 0.34 })).outputs[2].is_outlier).toBe(true);
  });

  it("call 4: Σ = [2.4, 2.4], alignments [1, 1.4, 1, 1.4]/√2 → e4 ties with e2, rank 2 → percentile 0.5", () => {
    const { outputs } = run(sequence.slice(0, 4), params({ windowSize: 4 }));
    expect(outputs[3]).toEqual({ is_outlier: false, percentile: 0.5, warming_up: false });
  });

  it("call 5: the window drops e1; e5 = [−1,0] is the least aligned → rank 0 → outlier", () => {
    const { outputs, state } = run(sequence, params({ windowSize: 4 }));
    expect(outputs[4]).toEqual({ is_outlier: true, percentile: 0, warming_up: false });
    expect(state.window).toEqual(sequence.slice(1));
  });

  it("the upper tail is strict too: the best-aligned frame has percentile (n−1)/n", () => {
    // window [e3, e4, e2]: Σ = [1.4, 2.4]; alignments 2.4, 2.56, 2.76 (÷‖Σ‖) → e2 ranks 2 of 3
    const window = [
      [0, 1],
      [0.8, 0.6],
      [0.6, 0.8],
    ];
    const at = (thresholdPercentile: number) => run(window, params({ warmup: 0, thresholdPercentile })).outputs[2];
    expect(at(0.34)).toEqual({ is_outlier: true, percentile: 2 / 3, warming_up: false }); // 2/3 > 0.66
    expect(at(0.3).is_outlier).toBe(false); // 2/3 ≤ 0.7
  });

  it("warm-up 0 and 1: the first call has a window of one → percentile 0 → outlier", () => {
    for (const warmup of [0, 1]) {
      const { outputs } = run([[0.6, 0.8]], params({ warmup }));
      expect(outputs[0]).toEqual({ is_outlier: true, percentile: 0, warming_up: false });
    }
  });

  it("a static scene (identical embeddings) flags every frame after warm-up, as upstream", () => {
    const { outputs } = run(
      Array.from({ length: 8 }, () => [0.6, 0.8]),
      params({}),
    );
    expect(outputs.map((o) => o.is_outlier)).toEqual([false, false, true, true, true, true, true, true]);
    expect(outputs.slice(2).every((o) => o.percentile === 0)).toBe(true);
  });

  it("the current frame ties with itself even when its alignment is computed from a rounded mean", () => {
    const turn = (a: number): number[] => [Math.cos(a), Math.sin(a)];
    const { outputs } = run([turn(0.1), turn(0.3), turn(0.7), turn(0.3)], params({ warmup: 0 }));
    // window of 4, e4 equals e2: both rank above turn(0.1) and turn(0.7), which are equally far from the mean
    expect(outputs[3].percentile).toBe(0.5);
  });
});

describe("identify_outliers on degenerate input", () => {
  it("keeps upstream's well-defined zero-vector behaviour: alignment 0, fallback direction", () => {
    expect(run([[0, 0]], params({ warmup: 0 })).outputs[0]).toEqual({ is_outlier: true, percentile: 0, warming_up: false });
    expect(
      run(
        [
          [0, 0],
          [0, 0],
        ],
        params({ warmup: 0 }),
      ).outputs[1].percentile,
    ).toBe(0);
    // [1,0] and [0,0]: Σ = [1,0] → alignments [1, 0] → the zero vector ranks 0
    expect(
      run(
        [
          [1, 0],
          [0, 0],
        ],
        params({ warmup: 0 }),
      ).outputs[1].percentile,
    ).toBe(0);
  });

  it("refuses NaN / ±Infinity / a different length, leaving the state untouched", () => {
    const { state } = run([[1, 0]], params({}));
    const before = JSON.stringify(state);
    expect(() => identifyOutliersStep(state, [NaN, 0], params({}))).toThrow(/embedding\[0\] is NaN/);
    expect(() => identifyOutliersStep(state, [0, -Infinity], params({}))).toThrow(/embedding\[1\] is -Infinity/);
    expect(() => identifyOutliersStep(state, [1, 0, 0], params({}))).toThrow(/has 3 values/);
    expect(JSON.stringify(state)).toBe(before);
  });

  it("window_size null is capped at 1000; the window never grows past it", () => {
    let state = initialIdentifyOutliersState();
    for (let i = 0; i < 1005; i++) state = identifyOutliersStep(state, [Math.cos(i), Math.sin(i)], params({ windowSize: null, warmup: 2000 })).state;
    expect(state.window).toHaveLength(1000);
    expect(state.samples).toBe(1005);
    expect(() => identifyOutliersStep(state, [1, 0], params({ windowSize: 0 }))).toThrow(/window_size/);
  });
});
