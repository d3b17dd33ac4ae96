/**
 * identify_changes against sequences worked out by hand from upstream's algorithm
 * (docs/reference/blocks.md#identify-changes). Embeddings are unit vectors in 2-D so normalising
 * leaves them unchanged and every expected number below is a short closed form; each step's
 * derivation is in the comments.
 */
import { describe, expect, it } from "vitest";
import { erf } from "../../src/maths/erf.js";
import {
  identifyChangesStep,
  initialIdentifyChangesState,
  type IdentifyChangesOutput,
  type IdentifyChangesParams,
  type IdentifyChangesState,
} from "../../src/maths/identify-changes.js";

const EMA = "Exponential Moving Average (EMA)" as const;
const SMA = "Simple Moving Average (SMA)" as const;
const SW = "Sliding Window" as const;

function params(overrides: Partial<IdentifyChangesParams>): IdentifyChangesParams {
  return { strategy: EMA, thresholdPercentile: 0.2, warmup: 3, smoothingFactor: 0.1, windowSize: 10, ...overrides };
}

function run(embeddings: number[][], p: IdentifyChangesParams): { outputs: IdentifyChangesOutput[]; state: IdentifyChangesState } {
  let state = initialIdentifyChangesState();
  const outputs: IdentifyChangesOutput[] = [];
  for (const embedding of embeddings) {
    const result = identifyChangesStep(JSON.parse(JSON.stringify(state)) as IdentifyChangesState, embedding, p);
    state = result.state;
    outputs.push(result.output);
  }
  return { outputs, state };
}

/** 1 − Φ(z), written independently of the implementation's helper. */
const upperTail = (z: number): number => 0.5 * (1 - erf(z / Math.SQRT2));

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12);
}

function closeVector(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => close(value, expected[i]));
}

describe("identify_changes, EMA", () => {
  // α = 0.5, τ = 0.2, warm-up 1: e1 = [1,0], e2 = [0.6,0.8], e3 = [0,1], e4 = [0,1].
  const { outputs } = run(
    [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
      [0, 1],
    ],
    params({ smoothingFactor: 0.5, warmup: 1 }),
  );

  it("call 1: no average yet → percentile 0.5, z 0, warming up; average := e1", () => {
    expect(outputs[0]).toEqual({ is_outlier: false, percentile: 0.5, z_score: 0, average: [1, 0], std: [0, 0], warming_up: true });
  });

  it("call 2: first similarity 0.6 only seeds the baseline → z 0; EMA average [0.8,0.4], var [0.02,0.08]", () => {
    expect(outputs[1].percentile).toBe(0.5);
    expect(outputs[1].z_score).toBe(0);
    expect(outputs[1].warming_up).toBe(false);
    expect(outputs[1].is_outlier).toBe(false);
    closeVector(outputs[1].average, [0.8, 0.4]);
    closeVector(outputs[1].std, [Math.sqrt(0.02), Math.sqrt(0.08)]);
  });

  it("call 3: cs = 0.4/√0.8; cs_avg = 0.3 + cs/2, cs_var = ½(cs − cs_avg)² → z = −√2, percentile Φ(√2) ≥ 0.9 → outlier", () => {
    expect(outputs[2].z_score).toBeCloseTo(-Math.SQRT2, 12);
    close(outputs[2].percentile, 0.5 * (1 + erf(1)));
    expect(outputs[2].is_outlier).toBe(true);
    // average = ½[0.8,0.4] + ½[0,1] = [0.4,0.7]; var = ½[0.02,0.08] + ½[(0−0.4)², (1−0.7)²] = [0.09, 0.085]
    closeVector(outputs[2].average, [0.4, 0.7]);
    closeVector(outputs[2].std, [0.3, Math.sqrt(0.085)]);
  });

  it("call 4 (same embedding again): the statistics carry on from call 3", () => {
    const cs3 = 0.4 / Math.sqrt(0.8);
    const avg3 = 0.3 + cs3 / 2;
    const var3 = 0.5 * (cs3 - avg3) ** 2;
    const cs4 = 0.7 / Math.sqrt(0.65);
    const avg4 = 0.5 * avg3 + 0.5 * cs4;
    const var4 = 0.5 * var3 + 0.5 * (cs4 - avg4) ** 2;
    const z4 = (cs4 - avg4) / Math.sqrt(var4);
    close(outputs[3].z_score, z4);
    close(outputs[3].percentile, upperTail(z4));
    expect(outputs[3].is_outlier).toBe(upperTail(z4) <= 0.1 || upperTail(z4) >= 0.9);
    // average = ½[0.4,0.7] + ½[0,1] = [0.2,0.85]; var = ½[0.09,0.085] + ½[0.2², 0.15²]
    closeVector(outputs[3].average, [0.2, 0.85]);
    closeVector(outputs[3].std, [Math.sqrt(0.045 + 0.02), Math.sqrt(0.0425 + 0.01125)]);
  });

  it("identical embeddings keep std 0 (zero-std guard: z 0, percentile 0.5); a jump gives z = −1/√α", () => {
    const still = Array.from({ length: 6 }, () => [1, 0]);
    const { outputs: o } = run([...still, [0, 1]], params({ smoothingFactor: 0.1, warmup: 3 }));
    for (const output of o.slice(0, 6)) {
      expect(output.z_score).toBe(0);
      expect(output.percentile).toBe(0.5);
      expect(output.is_outlier).toBe(false);
    }
    // jump: cs = 0; cs_avg = 0.9·1 + 0.1·0 = 0.9; cs_var = 0.1·0.9² → z = −0.9/(0.9·√0.1) = −√10
    close(o[6].z_score, -Math.sqrt(10));
    close(o[6].percentile, upperTail(-Math.sqrt(10)));
    expect(o[6].is_outlier).toBe(true);
    // average = 0.9·[1,0] + 0.1·[0,1]; var = 0.1·[(0−0.9)², (1−0.1)²]
    closeVector(o[6].average, [0.9, 0.1]);
    closeVector(o[6].std, [Math.sqrt(0.081), Math.sqrt(0.081)]);
  });
});

describe("identify_changes, SMA", () => {
  // e1 = [1,0], e2 = [0.6,0.8], e3 = [0,1]; τ = 0.2, warm-up 0.
  const { outputs, state } = run(
    [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
    ],
    params({ strategy: SMA, warmup: 0 }),
  );

  it("warm-up 0 never warms up; calls 1–2 give z 0", () => {
    expect(outputs.map((o) => o.warming_up)).toEqual([false, false, false]);
    expect(outputs[0].z_score).toBe(0);
    expect(outputs[1].z_score).toBe(0);
  });

  it("call 2: Welford with n = 2: average [0.8,0.4], M2 = δ·(e − avg) = [0.08,0.32], sample std √M2", () => {
    closeVector(outputs[1].average, [0.8, 0.4]);
    closeVector(outputs[1].std, [Math.sqrt(0.08), Math.sqrt(0.32)]);
  });

  it("call 3: n := samples + 1 = 3 although only the 2nd similarity → cs_m2 = ⅔(cs−0.6)², std = |cs−0.6|/√3, z = −2/√3", () => {
    close(outputs[2].z_score, -2 / Math.sqrt(3));
    close(outputs[2].percentile, upperTail(-2 / Math.sqrt(3)));
    expect(outputs[2].is_outlier).toBe(false); // 0.876 < 0.9
    // embeddings' sample mean and sample std of {1, 0.6, 0} and {0, 0.8, 1}
    closeVector(outputs[2].average, [1.6 / 3, 0.6]);
    closeVector(outputs[2].std, [Math.sqrt(0.76 / 3), Math.sqrt(0.28)]);
    expect(state.samples).toBe(3);
  });
});

describe("identify_changes, Sliding Window", () => {
  // window 2, τ = 0.4, warm-up 3: e1 = [1,0], e2 = [0.6,0.8], e3 = [0,1], e4 = [0.6,0.8], e5 = [1,0].
  const { outputs, state } = run(
    [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
      [0.6, 0.8],
      [1, 0],
    ],
    params({ strategy: SW, windowSize: 2, thresholdPercentile: 0.4 }),
  );

  it("the first embedding never enters the window: after call 2 the average is e2 and std 0", () => {
    closeVector(outputs[0].average, [1, 0]);
    closeVector(outputs[1].average, [0.6, 0.8]);
    closeVector(outputs[1].std, [0, 0]);
  });

  it("call 3 also gives z 0: the first similarity was not pushed, the window holds one value", () => {
    expect(outputs[2].z_score).toBe(0);
    expect(outputs[2].percentile).toBe(0.5);
    // window [e2, e3]: mean [0.3, 0.9], population std [0.3, 0.1]
    closeVector(outputs[2].average, [0.3, 0.9]);
    closeVector(outputs[2].std, [0.3, 0.1]);
  });

  it("warm-up 3: calls 1–3 warm up, call 4 does not", () => {
    expect(outputs.map((o) => o.warming_up)).toEqual([true, true, true, false, false]);
  });

  it("call 4: similarities [0.8, √0.9] → a two-value window gives z = +1, percentile 1 − Φ(1) ≤ τ/2 → outlier", () => {
    close(outputs[3].z_score, 1);
    close(outputs[3].percentile, upperTail(1));
    expect(outputs[3].is_outlier).toBe(true);
    // window [e3, e4]
    closeVector(outputs[3].average, [0.3, 0.9]);
    closeVector(outputs[3].std, [0.3, 0.1]);
  });

  it("call 5: similarities [√0.9, 0.3/√0.9] → z = −1, percentile Φ(1) ≥ 1 − τ/2 → outlier; the window slides", () => {
    close(outputs[4].z_score, -1);
    close(outputs[4].percentile, upperTail(-1));
    expect(outputs[4].is_outlier).toBe(true);
    closeVector(outputs[4].average, [0.8, 0.4]);
    closeVector(outputs[4].std, [0.2, 0.4]);
    expect(state.window).toHaveLength(2);
    expect(state.similarityWindow).toHaveLength(2);
  });

  it("window_size null means the documented cap (1000), not a crash", () => {
    const { state: s } = run(
      Array.from({ length: 5 }, (_, i) => [Math.cos(i), Math.sin(i)]),
      params({ strategy: SW, windowSize: null }),
    );
    expect(s.window).toHaveLength(4);
  });
});

describe("identify_changes thresholds and warm-up", () => {
  it("thresholds are inclusive: percentile 0.5 with τ = 1 is an outlier, with τ = 0.999 it is not", () => {
    expect(run([[1, 0]], params({ warmup: 0, thresholdPercentile: 1 })).outputs[0].is_outlier).toBe(true);
    expect(run([[1, 0]], params({ warmup: 0, thresholdPercentile: 0.999 })).outputs[0].is_outlier).toBe(false);
  });

  it("warm-up 1 warms up exactly the first call; percentile and z are still reported while warming up", () => {
    const { outputs } = run(
      [
        [1, 0],
        [1, 0],
        [0, 1],
      ],
      params({ warmup: 1 }),
    );
    expect(outputs.map((o) => o.warming_up)).toEqual([true, false, false]);
    const warming = run(
      [
        [1, 0],
        [0.6, 0.8],
        [0, 1],
      ],
      params({ smoothingFactor: 0.5, warmup: 5 }),
    ).outputs[2];
    expect(warming.warming_up).toBe(true);
    expect(warming.is_outlier).toBe(false);
    close(warming.z_score, -Math.SQRT2);
  });

  it("normalises the input: a scaled embedding gives the same outputs", () => {
    const a = run(
      [
        [1, 0],
        [0.6, 0.8],
        [0, 1],
      ],
      params({ smoothingFactor: 0.5 }),
    ).outputs;
    const b = run(
      [
        [7, 0],
        [3, 4],
        [0, 0.25],
      ],
      params({ smoothingFactor: 0.5 }),
    ).outputs;
    for (let i = 0; i < 3; i++) {
      close(b[i].percentile, a[i].percentile);
      closeVector(b[i].average, a[i].average);
    }
  });
});

describe("identify_changes on degenerate input", () => {
  const p = params({});

  it("refuses a zero vector with a clear error and leaves the state as it was", () => {
    const state = run([[1, 0]], p).state;
    const before = JSON.stringify(state);
    expect(() => identifyChangesStep(state, [0, 0], p)).toThrow(/zero vector/);
    expect(JSON.stringify(state)).toBe(before);
  });

  it("refuses NaN, ±Infinity, non-numbers and empty lists, naming the position", () => {
    const state = initialIdentifyChangesState();
    expect(() => identifyChangesStep(state, [1, NaN], p)).toThrow(/embedding\[1\] is NaN/);
    expect(() => identifyChangesStep(state, [Infinity, 0], p)).toThrow(/embedding\[0\] is Infinity/);
    expect(() => identifyChangesStep(state, [-Infinity], p)).toThrow(/embedding\[0\] is -Infinity/);
    expect(() => identifyChangesStep(state, [1, "2"], p)).toThrow(/embedding\[1\] must be a number/);
    expect(() => identifyChangesStep(state, [], p)).toThrow(/empty/);
    expect(() => identifyChangesStep(state, "1,2", p)).toThrow(/must be a list of numbers/);
  });

  it("refuses an embedding whose length differs from the stream's earlier ones", () => {
    const state = run([[1, 0]], p).state;
    expect(() => identifyChangesStep(state, [1, 0, 0], p)).toThrow(/has 3 values but this stream's earlier embeddings had 2/);
  });

  it("refuses EMA without a smoothing factor and sliding windows outside [1, 1000]", () => {
    const state = initialIdentifyChangesState();
    expect(() => identifyChangesStep(state, [1, 0], params({ smoothingFactor: null }))).toThrow(/smoothing_factor/);
    expect(() => identifyChangesStep(state, [1, 0], params({ strategy: SW, windowSize: 0 }))).toThrow(/window_size/);
    expect(() => identifyChangesStep(state, [1, 0], params({ strategy: SW, windowSize: 1001 }))).toThrow(/limit of 1000/);
    // the smoothing factor is only read by EMA, the window only by Sliding Window
    expect(() => identifyChangesStep(state, [1, 0], params({ strategy: SMA, smoothingFactor: null, windowSize: null }))).not.toThrow();
  });

  it("refuses a running mean that cancelled to the zero vector (EMA α = ½ of e and −e)", () => {
    const { state } = run([[1, 0]], params({ smoothingFactor: 0.5 }));
    const cancelled = identifyChangesStep(state, [-1, 0], params({ smoothingFactor: 0.5 })).state;
    expect(cancelled.average).toEqual([0, 0]);
    expect(() => identifyChangesStep(cancelled, [0, 1], params({ smoothingFactor: 0.5 }))).toThrow(/cancelled/);
  });

  it("keeps the state JSON-safe: it round-trips through JSON.stringify unchanged", () => {
    const { state } = run(
      [
        [1, 0],
        [0.6, 0.8],
        [0, 1],
      ],
      params({ strategy: SW }),
    );
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});
