/**
 * The comparison maths of `clip_comparison` (docs/reference/blocks.md#clip-comparison-v2):
 * argmax/argmin where the first extreme wins, as numpy's. Cosine similarity itself is
 * `maths/vectors.ts`'s, shared with the cosine_similarity block.
 */

/** Index of the first largest value (numpy `argmax`; NaN counts as the largest, as numpy's does). */
export function argmax(values: readonly number[]): number {
  return extremeIndex(values, (candidate, best) => candidate > best);
}

/** Index of the first smallest value (numpy `argmin`; NaN wins here too). */
export function argmin(values: readonly number[]): number {
  return extremeIndex(values, (candidate, best) => candidate < best);
}

function extremeIndex(values: readonly number[], better: (candidate: number, best: number) => boolean): number {
  if (values.length === 0) throw new RangeError("no values to compare");
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) return i;
    if (better(values[i], values[best])) best = i;
  }
  return best;
}
