/**
 * Upstream's identify_outliers (docs/reference/blocks.md#identify-outliers) as a pure state
 * transition: the empirical rank of the current embedding's alignment with the mean direction of a
 * window that already contains it. Upstream's "von Mises–Fisher fit" reduces to that mean direction
 * (its κ is never used), so κ is not computed here.
 *
 * Warm-up counts differently from identify_changes: `samples` is incremented first, so only the
 * first `warmup − 1` frames warm up. The rank counts alignments strictly smaller than the current
 * one, and the current frame's own alignment is computed by the same routine as the others, so it
 * always ties with itself (upstream mixes `np.dot` and `np.einsum`, which can differ by an ulp).
 */
import { checkEmbedding, checkNumber, checkWindowSize } from "./input-checks.js";

/** The percentiles a frame is an outlier beyond (strictly): the lowest and highest `threshold_percentile`. The run view draws them. */
export function outlierBounds(thresholdPercentile: number): [number, number] {
  return [thresholdPercentile, 1 - thresholdPercentile];
}
import { dot, norm, normalise } from "./vectors.js";

export interface IdentifyOutliersParams {
  /** τ: outlier when percentile < τ or > 1 − τ. */
  thresholdPercentile: number;
  warmup: number;
  /** `null` → `MAX_WINDOW_SIZE` (upstream documents "unlimited" but crashes). */
  windowSize: number | null;
}

export interface IdentifyOutliersState {
  samples: number;
  /** The last window_size normalised embeddings, oldest first, the current one included. */
  window: number[][];
}

export interface IdentifyOutliersOutput {
  is_outlier: boolean;
  percentile: number;
  warming_up: boolean;
}

export function initialIdentifyOutliersState(): IdentifyOutliersState {
  return { samples: 0, window: [] };
}

/**
 * One frame. Throws `DegenerateInputError`, leaving `state` untouched, for a value that is not a
 * non-empty list of finite numbers, a length other than the window's, or a window size outside
 * [1, MAX_WINDOW_SIZE]. A zero vector is well defined upstream and kept: it is stored as is,
 * its alignment is 0, and if the window sums to zero the mean direction falls back to the
 * current embedding.
 */
export function identifyOutliersStep(
  state: IdentifyOutliersState,
  embedding: unknown,
  params: IdentifyOutliersParams,
): { state: IdentifyOutliersState; output: IdentifyOutliersOutput } {
  const raw = checkEmbedding(embedding, state.window[0]?.length ?? null);
  const threshold = checkNumber(params.thresholdPercentile, "threshold_percentile");
  const warmup = checkNumber(params.warmup, "warmup");
  const windowSize = checkWindowSize(params.windowSize);

  const e = normalise(raw);
  const samples = state.samples + 1;
  const window = [...state.window, e];
  if (window.length > windowSize) window.shift();
  const next: IdentifyOutliersState = { samples, window };

  if (samples < warmup) {
    return { state: next, output: { is_outlier: false, percentile: 0.5, warming_up: true } };
  }

  const mu = meanDirection(window) ?? e;
  const alignments = window.map((row) => dot(row, mu));
  const current = alignments[alignments.length - 1];
  let rank = 0;
  for (const t of alignments) if (t < current) rank++;
  const percentile = rank / alignments.length;
  const [low, high] = outlierBounds(threshold);
  const isOutlier = percentile < low || percentile > high;
  return { state: next, output: { is_outlier: isOutlier, percentile, warming_up: false } };
}

/** `Σ rows / ‖Σ rows‖`, or null with fewer than two rows or a zero sum (upstream's fallback cases). */
function meanDirection(rows: readonly number[][]): number[] | null {
  if (rows.length < 2) return null;
  const sum = new Array<number>(rows[0].length).fill(0);
  for (const row of rows) for (let j = 0; j < sum.length; j++) sum[j] += row[j];
  const length = norm(sum);
  if (length === 0) return null;
  return sum.map((x) => x / length);
}
