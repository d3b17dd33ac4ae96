/**
 * Float64 vector arithmetic for embeddings (plain `number[]`, so values stay JSON data).
 *
 * Summation order: every sum runs left to right over the index (`Σ_{i=0}^{n−1}` as a plain
 * loop). numpy uses pairwise summation for contiguous reductions (`np.sum`, `np.mean` over a
 * 1-D array) and BLAS for `np.dot`; the two orders differ by a few ulps (≈1e-16 relative),
 * far below the 1e-9 parity we promise, so we keep the simple, reproducible order.
 */

export type Vector = readonly number[];

export function dot(a: Vector, b: Vector): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** Euclidean norm, `√(a·a)`, as numpy's `linalg.norm` of a 1-D array. */
export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/**
 * Below this norm, `a·a` (< 1e-300) has lost precision to underflow; at `Infinity` it has
 * overflowed. Either way the vector is rescaled before dividing.
 */
const NORM_UNDERFLOW = 1e-150;

/**
 * `a / ‖a‖` for a vector of finite numbers; the zero vector is returned unchanged (a copy), as
 * upstream does. Vectors so small or so large that `a·a` under- or overflows are first divided
 * by their largest magnitude, so their direction survives (upstream would return them
 * unnormalised or as zeros).
 */
export function normalise(a: Vector): number[] {
  const n = norm(a);
  if (n >= NORM_UNDERFLOW && n < Infinity) return a.map((x) => x / n);
  const largest = maxAbs(a);
  if (largest === 0) return [...a];
  const scaled = a.map((x) => x / largest);
  const scaledNorm = norm(scaled);
  return scaled.map((x) => x / scaledNorm);
}

function maxAbs(a: Vector): number {
  let largest = 0;
  for (const x of a) largest = Math.max(largest, Math.abs(x));
  return largest;
}

/**
 * Cosine similarity exactly as upstream writes it: `a·b / √((a·a)(b·b))`, unclipped. A zero
 * vector gives NaN (0/0), which callers must check. When the product of squared norms under- or
 * overflows while both vectors are non-zero, the similarity of the normalised vectors is
 * returned instead of a meaningless 0 or NaN.
 */
export function cosineSimilarity(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare embeddings of lengths ${a.length} and ${b.length}`);
  const denominator = Math.sqrt(dot(a, a) * dot(b, b));
  if (denominator >= NORM_UNDERFLOW && denominator < Infinity) return dot(a, b) / denominator;
  if (maxAbs(a) === 0 || maxAbs(b) === 0) return NaN;
  const unitA = normalise(a);
  const unitB = normalise(b);
  return dot(unitA, unitB) / Math.sqrt(dot(unitA, unitA) * dot(unitB, unitB));
}

export function isZeroVector(a: Vector): boolean {
  for (const x of a) if (x !== 0) return false;
  return true;
}

/** Component-wise mean of equal-length rows, summed row by row from the first. */
export function columnMean(rows: readonly Vector[]): number[] {
  const mean = new Array<number>(rows[0].length).fill(0);
  for (const row of rows) for (let j = 0; j < mean.length; j++) mean[j] += row[j];
  return mean.map((sum) => sum / rows.length);
}

/**
 * Component-wise population standard deviation (ddof 0) around `mean`, numpy's two-pass
 * `np.std(rows, axis=0)`.
 */
export function columnStd(rows: readonly Vector[], mean: Vector): number[] {
  const squares = new Array<number>(mean.length).fill(0);
  for (const row of rows) {
    for (let j = 0; j < mean.length; j++) {
      const deviation = row[j] - mean[j];
      squares[j] += deviation * deviation;
    }
  }
  return squares.map((sum) => Math.sqrt(sum / rows.length));
}

/** Mean and population standard deviation (ddof 0) of a list, two-pass as numpy. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(squares / values.length) };
}
