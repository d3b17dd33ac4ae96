/**
 * Upstream's identify_changes (docs/reference/blocks.md#identify-changes) as a pure state
 * transition. The order of updates is upstream's, quirks included: the similarity statistics are
 * updated before the z-score (so the current similarity is part of its own baseline), EMA's
 * variance uses the NEW average, SMA divides by `samples + 1` (the embedding count, one more than
 * the similarity count), the first similarity and the first embedding never enter the sliding
 * windows, the sliding windows use the population deviation, a full window drops only its oldest
 * entry per call (as upstream's `pop(0)`, even when `window_size` shrinks at run time), and warm-up
 * counts embeddings seen BEFORE this one.
 *
 * The state is plain JSON (snapshotted with JSON.stringify): numbers, arrays, nulls — and never
 * NaN or ±Infinity, because inputs that would produce them are refused before the state changes.
 */
import { upperTailProbability } from "./erf.js";
import { checkEmbedding, checkNumber, checkWindowSize, DegenerateInputError } from "./input-checks.js";
import { columnMean, columnStd, cosineSimilarity, isZeroVector, meanAndStd, normalise } from "./vectors.js";

/** The percentiles a change is flagged at or beyond: half of `threshold_percentile` in each tail. The run view draws them. */
export function changeBounds(thresholdPercentile: number): [number, number] {
  return [thresholdPercentile / 2, 1 - thresholdPercentile / 2];
}

export const CHANGE_STRATEGIES = ["Exponential Moving Average (EMA)", "Simple Moving Average (SMA)", "Sliding Window"] as const;
export type ChangeStrategy = (typeof CHANGE_STRATEGIES)[number];

export interface IdentifyChangesParams {
  strategy: ChangeStrategy;
  /** τ: outlier when percentile ≤ τ/2 or ≥ 1 − τ/2. */
  thresholdPercentile: number;
  warmup: number;
  /** α of the EMA strategy; read only by it. */
  smoothingFactor: number | null;
  /** Window length of the Sliding Window strategy; read only by it. `null` → `MAX_WINDOW_SIZE`. */
  windowSize: number | null;
}

export interface IdentifyChangesState {
  /** Embeddings seen so far. */
  samples: number;
  /** Running mean embedding; null before the first call. */
  average: number[] | null;
  std: number[] | null;
  /** EMA's per-component variance (upstream `var`). */
  variance: number[] | null;
  /** SMA's Welford sum of squared deviations (upstream `M2`). */
  m2: number[] | null;
  /** Sliding Window: normalised embeddings 2, 3, … (at most window_size). */
  window: number[][];
  /** Statistics of the cosine similarity to the running mean; `similarityAverage` null until the 2nd call. */
  similarityAverage: number | null;
  similarityVariance: number;
  similarityM2: number;
  similarityStd: number;
  similarityWindow: number[];
}

export interface IdentifyChangesOutput {
  is_outlier: boolean;
  percentile: number;
  z_score: number;
  average: number[];
  std: number[];
  warming_up: boolean;
}

export function initialIdentifyChangesState(): IdentifyChangesState {
  return {
    samples: 0,
    average: null,
    std: null,
    variance: null,
    m2: null,
    window: [],
    similarityAverage: null,
    similarityVariance: 0,
    similarityM2: 0,
    similarityStd: 0,
    similarityWindow: [],
  };
}

/**
 * One frame. Throws `DegenerateInputError`, leaving `state` untouched, for: a value that is not
 * a non-empty list of finite numbers; a length other than the stream's earlier embeddings; a zero
 * vector (upstream: its similarity is 0/0 = NaN at once or on the next frame, and every
 * statistic stays NaN forever); a running mean that has cancelled to the zero vector; EMA without
 * a smoothing factor; a sliding window outside [1, MAX_WINDOW_SIZE] (null means the cap).
 */
export function identifyChangesStep(
  state: IdentifyChangesState,
  embedding: unknown,
  params: IdentifyChangesParams,
): { state: IdentifyChangesState; output: IdentifyChangesOutput } {
  const raw = checkEmbedding(embedding, state.average?.length ?? null);
  if (isZeroVector(raw)) {
    throw new DegenerateInputError("embedding is the zero vector, which has no direction to compare (upstream turns every later result into NaN)");
  }
  const threshold = checkNumber(params.thresholdPercentile, "threshold_percentile");
  const warmup = checkNumber(params.warmup, "warmup");
  const alpha = params.strategy === "Exponential Moving Average (EMA)" ? checkNumber(params.smoothingFactor, "smoothing_factor") : 0;
  const windowSize = params.strategy === "Sliding Window" ? checkWindowSize(params.windowSize) : 0;

  const e = normalise(raw);
  const next: IdentifyChangesState = { ...state };
  let percentile = 0.5;
  let zScore = 0;

  if (state.average !== null) {
    const similarity = cosineSimilarity(e, state.average);
    if (!Number.isFinite(similarity)) {
      throw new DegenerateInputError("the running mean embedding has cancelled to the zero vector; reset the stream's state");
    }
    if (state.similarityAverage === null) {
      next.similarityAverage = similarity;
      next.similarityStd = 0;
      next.similarityVariance = 0;
      next.similarityM2 = 0;
    } else {
      updateSimilarityStatistics(next, state.samples, state.similarityAverage, similarity, params.strategy, alpha, windowSize);
    }
    if (next.similarityStd !== 0) {
      zScore = (similarity - (next.similarityAverage as number)) / next.similarityStd;
      percentile = upperTailProbability(zScore);
    }
  }

  const warmingUp = state.samples < warmup;
  const [low, high] = changeBounds(threshold);
  const isOutlier = !warmingUp && (percentile <= low || percentile >= high);

  updateEmbeddingStatistics(next, state.samples, e, params.strategy, alpha, windowSize);
  next.samples = state.samples + 1;

  return {
    state: next,
    output: {
      is_outlier: isOutlier,
      percentile,
      z_score: zScore,
      average: [...(next.average as number[])],
      std: [...(next.std as number[])],
      warming_up: warmingUp,
    },
  };
}

/** The similarity baseline, updated with the current similarity before it is scored. */
function updateSimilarityStatistics(
  next: IdentifyChangesState,
  samples: number,
  previousAverage: number,
  similarity: number,
  strategy: ChangeStrategy,
  alpha: number,
  windowSize: number,
): void {
  switch (strategy) {
    case "Exponential Moving Average (EMA)": {
      const average = (1 - alpha) * previousAverage + alpha * similarity;
      const deviation = similarity - average;
      next.similarityAverage = average;
      next.similarityVariance = (1 - alpha) * next.similarityVariance + alpha * deviation * deviation;
      next.similarityStd = Math.sqrt(next.similarityVariance);
      return;
    }
    case "Simple Moving Average (SMA)": {
      const count = samples + 1;
      const delta = similarity - previousAverage;
      const average = similarity / count + (previousAverage * samples) / count;
      next.similarityAverage = average;
      next.similarityM2 = next.similarityM2 + delta * (similarity - average);
      next.similarityStd = Math.sqrt(next.similarityM2 / (count - 1));
      return;
    }
    case "Sliding Window": {
      const window = [...next.similarityWindow, similarity];
      if (window.length > windowSize) window.shift();
      const { mean, std } = meanAndStd(window);
      next.similarityWindow = window;
      next.similarityAverage = mean;
      next.similarityStd = std;
      return;
    }
  }
}

/** The embedding baseline, updated after the decision. */
function updateEmbeddingStatistics(
  next: IdentifyChangesState,
  samples: number,
  e: number[],
  strategy: ChangeStrategy,
  alpha: number,
  windowSize: number,
): void {
  const previous = next.average;
  if (previous === null) {
    const zeros = e.map(() => 0);
    next.average = e;
    next.std = zeros;
    next.variance = zeros;
    next.m2 = zeros;
    return;
  }
  switch (strategy) {
    case "Exponential Moving Average (EMA)": {
      const average = previous.map((a, j) => (1 - alpha) * a + alpha * e[j]);
      const variance = (next.variance as number[]).map((v, j) => {
        const deviation = e[j] - average[j];
        return (1 - alpha) * v + alpha * deviation * deviation;
      });
      next.average = average;
      next.variance = variance;
      next.std = variance.map(Math.sqrt);
      return;
    }
    case "Simple Moving Average (SMA)": {
      const count = samples + 1;
      const delta = e.map((x, j) => x - previous[j]);
      const average = previous.map((a, j) => a + delta[j] / count);
      const m2 = (next.m2 as number[]).map((m, j) => m + delta[j] * (e[j] - average[j]));
      next.average = average;
      next.m2 = m2;
      next.std = m2.map((m) => Math.sqrt(m / (count - 1)));
      return;
    }
    case "Sliding Window": {
      const window = [...next.window, e];
      if (window.length > windowSize) window.shift();
      const average = columnMean(window);
      next.window = window;
      next.average = average;
      next.std = columnStd(window, average);
      return;
    }
  }
}
