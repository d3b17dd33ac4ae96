/**
 * An upper quantile of a long stream of scores, learned online in bounded memory, for small
 * exceedance probabilities (1e-2 … 1e-5 per frame).
 *
 * The threshold for the next score is the k-th largest of the last n scores with
 * k = q·(n + 1): for exchangeable scores a new one exceeds it with probability exactly
 * k/(n + 1) (the conformal-prediction argument), whatever their distribution. No tail model is
 * assumed — fitted tails reached 0.13–7.1× (exponential) and 1.3–3.3× (generalized Pareto) of
 * a 1e-4 target depending on the noise's shape in our trials (EVALUATION.md) — but
 * q·(n + 1) ≥ 1 is needed: about 1/q scores before the first threshold exists.
 *
 * Before then, `earlyBound` gives a conservative threshold from the few scores seen so far, under
 * a stated assumption on the tail.
 *
 * The caller decides what enters: `scene-detector.ts` stores alarm frames clipped to a few times
 * the threshold (their rank is what matters, not how far above they were) and leaves the rest of
 * an event out, so events cannot drag the threshold up.
 *
 * Memory: the stream is cut into `TAIL_BLOCKS` blocks of `blockSize` scores and each block keeps
 * only its `TOP_PER_BLOCK` largest. Any of the k largest of the union is among its block's
 * largest, so the k-th largest is exact for k ≤ TOP_PER_BLOCK. The horizon, blocks × blockSize,
 * is chosen so that q × horizon ≈ `RANKS_AT_FULL_HORIZON`: long enough to hold ~20 scores above
 * the threshold, no longer (a longer one would adapt more slowly).
 */

export interface TailBlock {
  /** Scores this block has seen. */
  count: number;
  /** Its largest scores, descending, at most `TOP_PER_BLOCK`. */
  top: number[];
}

export interface TailSummary {
  /** The exceedance probability the geometry was chosen for. */
  probability: number;
  blockSize: number;
  /** Completed blocks, oldest first. */
  blocks: TailBlock[];
  current: TailBlock;
  /** The largest scores of all completed blocks, descending (a cache: blocks change rarely, frames often). */
  completedTop: number[];
}

export const TAIL_BLOCKS = 32;
export const RANKS_AT_FULL_HORIZON = 20;
/** A little above the rank needed at full horizon, since the current block adds to the count. */
export const TOP_PER_BLOCK = RANKS_AT_FULL_HORIZON + 4;
/** 2^20 frames: ~9.7 h at 30 fps. Below q ≈ 1/MAX_HORIZON the threshold is never reached. */
export const MAX_HORIZON = 2 ** 20;
const MIN_BLOCK_SIZE = 16;

export function emptyTailSummary(probability: number): TailSummary {
  const horizon = Math.min(MAX_HORIZON, Math.ceil(RANKS_AT_FULL_HORIZON / probability));
  return {
    probability,
    blockSize: Math.max(MIN_BLOCK_SIZE, Math.ceil(horizon / TAIL_BLOCKS)),
    blocks: [],
    current: { count: 0, top: [] },
    completedTop: [],
  };
}

/** How many scores the summary covers. */
export function tailCount(summary: TailSummary): number {
  let count = summary.current.count;
  for (const block of summary.blocks) count += block.count;
  return count;
}

/** The summary with `score` added (the argument is not modified). */
export function addToTail(summary: TailSummary, score: number): TailSummary {
  let { blocks, current, completedTop } = summary;
  if (current.count === summary.blockSize) {
    blocks = [...blocks, current];
    if (blocks.length > TAIL_BLOCKS) blocks.shift();
    current = { count: 0, top: [] };
    completedTop = blocks.reduce<number[]>((merged, block) => mergeDescending(merged, block.top), []);
  }
  const top = current.top;
  const enters = top.length < TOP_PER_BLOCK || score > top[top.length - 1];
  current = { count: current.count + 1, top: enters ? insertDescending(top, score) : top };
  return { ...summary, blocks, current, completedTop };
}

/** The TOP_PER_BLOCK largest of two descending lists, descending. */
function mergeDescending(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < TOP_PER_BLOCK && (i < a.length || j < b.length)) {
    merged.push(j >= b.length || (i < a.length && a[i] >= b[j]) ? a[i++] : b[j++]);
  }
  return merged;
}

function insertDescending(top: readonly number[], score: number): number[] {
  const result = [...top];
  let i = result.length;
  while (i > 0 && result[i - 1] < score) i--;
  result.splice(i, 0, score);
  if (result.length > TOP_PER_BLOCK) result.pop();
  return result;
}

/** The `rank`-th largest score (1-based; exact for rank ≤ TOP_PER_BLOCK), or null when fewer are held. */
export function kthLargest(summary: TailSummary, rank: number): number | null {
  const a = summary.completedTop;
  const b = summary.current.top;
  let i = 0;
  let j = 0;
  let value: number | null = null;
  for (let taken = 0; taken < rank; taken++) {
    if (i >= a.length && j >= b.length) return null;
    value = j >= b.length || (i < a.length && a[i] >= b[j]) ? a[i++] : b[j++];
  }
  return value;
}

/**
 * The threshold a new score exceeds with probability ≈ `probability`: the order statistic at
 * fractional rank r = probability·(n + 1), interpolated between the ⌊r⌋-th and ⌊r⌋+1-th largest
 * linearly in log-rank (the log of the tail probability), so the achieved rate does not jump by
 * a factor (k+1)/k as n grows. Null while r < 1: too few scores to bound such a small probability.
 */
export function upperQuantile(summary: TailSummary, probability: number): number | null {
  const rank = Math.min(probability * (tailCount(summary) + 1), TOP_PER_BLOCK - 1);
  if (rank < 1) return null;
  const k = Math.floor(rank);
  const upper = kthLargest(summary, k) as number;
  const lower = kthLargest(summary, k + 1);
  if (lower === null || rank === k) return upper;
  return upper + (lower - upper) * (Math.log(rank / k) / Math.log((k + 1) / k));
}

/**
 * The early bound extrapolates as if the scores' tail were a power law of this index, the
 * heaviest it guards against: the score 1 − cos grows as the square of the noise, so Student-t
 * noise with 3 degrees of freedom gives scores of tail index 1.5; Gaussian noise (and any bounded
 * noise) gives lighter tails, for which the bound is conservative.
 */
export const EARLY_TAIL_INDEX = 1.5;

/**
 * A threshold a new score exceeds with probability at most `probability`, for use while too few
 * scores are held for `upperQuantile` (probability·(n + 1) < 1); null before the first score.
 *
 * No bound computed from n scores can be distribution-free below ~1/n: a value rare enough that
 * no sample has shown it yet defeats any of them. So this one rests on an assumption, stated here
 * and measured in EVALUATION.md: beyond the scores seen, the tail is no heavier than a power law
 * of index α = `EARLY_TAIL_INDEX`, i.e. P(X > c·x) ≤ c^−α·P(X > x) for c ≥ 1. The largest of n
 * exchangeable scores, M, is exceeded by the next with probability exactly 1/(n + 1) (the
 * conformal argument, rank 1); then
 *   B = M · (1 / ((n + 1)·probability))^(1/α)
 * is exceeded with probability at most `probability`, in expectation over the sample. The largest
 * score is the best anchor: for a power-law tail every order statistic gives the same expected
 * rate, and for lighter tails the highest one needs the least extrapolation.
 */
export function earlyBound(summary: TailSummary, probability: number): number | null {
  const largest = kthLargest(summary, 1);
  if (largest === null) return null;
  const anchorProbability = 1 / (tailCount(summary) + 1);
  return largest * Math.max(1, anchorProbability / probability) ** (1 / EARLY_TAIL_INDEX);
}
