/**
 * The comparison maths of `clip_comparison` (spec §6.2, §6.3): cosine similarity of raw
 * embeddings, unclipped, in float64; argmax/argmin where the first extreme wins, as numpy's.
 */

/** `dot(a, b) / (‖a‖ · ‖b‖)` as upstream's `cosine_similarity`; a zero vector gives NaN. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare embeddings of lengths ${a.length} and ${b.length}`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / (Math.sqrt(aa) * Math.sqrt(bb));
}

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
