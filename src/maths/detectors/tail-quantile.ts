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
