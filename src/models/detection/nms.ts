/**
 * Upstream's non-maximum suppression for YOLO models (`w_np_non_max_suppression` and the
 * Malisiewicz `non_max_suppression_fast` it calls), step for step, so the same boxes survive
 * (docs/reference/models.md#non-maximum-suppression):
 * - candidates whose best class score is at least `confidence` are kept, each with that class;
 * - per class (or all together with `classAgnostic`), highest confidence first, a box suppresses
 *   every remaining box whose overlap with it is MORE than `iouThreshold`, where overlap is the
 *   intersection over the OTHER box's area, both measured with upstream's +1 pixel convention;
 *   among equal confidences the candidate later in the model's output is taken first (numpy's
 *   stable ascending sort, read from its end);
 * - the survivors, by confidence (stable), cut to `maxDetections`.
 * `maxCandidates` caps the candidates entering suppression to the most confident ones — upstream
 * declares it but its YOLO path ignores it; with its default (3000) only a flood of boxes above the
 * confidence threshold is cut.
 */
import type { Box } from "../../block-api/detections.js";

export interface Candidate {
  readonly box: Box;
  /** Score of every class, in class order. */
  readonly scores: ArrayLike<number>;
}

export interface Scored {
  readonly box: Box;
  readonly confidence: number;
  readonly classId: number;
}

export interface NmsOptions {
  readonly confidence: number;
  readonly iouThreshold: number;
  readonly classAgnostic: boolean;
  readonly maxDetections: number;
  readonly maxCandidates: number;
}

/** Best class and its score per candidate, those at least `confidence`, in output order. */
export function scoreCandidates(candidates: readonly Candidate[], confidence: number): Scored[] {
  const scored: Scored[] = [];
  for (const { box, scores } of candidates) {
    let classId = 0;
    for (let c = 1; c < scores.length; c++) if (scores[c] > scores[classId]) classId = c;
    if (scores.length > 0 && scores[classId] >= confidence) scored.push({ box, confidence: scores[classId], classId });
  }
  return scored;
}

export function nonMaxSuppression(candidates: readonly Candidate[], options: NmsOptions): Scored[] {
  const scored = byConfidence(scoreCandidates(candidates, options.confidence)).slice(0, options.maxCandidates);
  const groups = options.classAgnostic
    ? [scored]
    : [...new Set(scored.map((s) => s.classId))].sort((a, b) => a - b).map((c) => scored.filter((s) => s.classId === c));
  const kept = groups.flatMap((group) => suppress(group, options.iouThreshold));
  return byConfidence(kept).slice(0, options.maxDetections);
}

/** Highest confidence first; equal confidences keep their order (a stable sort, as numpy's on small arrays). */
function byConfidence<T extends { confidence: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => b.confidence - a.confidence);
}

/** `non_max_suppression_fast` on boxes sorted by confidence, highest first. */
function suppress(sorted: readonly Scored[], threshold: number): Scored[] {
  // numpy's stable argsort of the confidences: ascending, equal ones in the given order; the pick is the last remaining.
  let remaining = sorted.map((_, i) => i).sort((a, b) => sorted[a].confidence - sorted[b].confidence || a - b);
  const picked: Scored[] = [];
  while (remaining.length > 0) {
    const best = sorted[remaining[remaining.length - 1]];
    picked.push(best);
    remaining = remaining.slice(0, -1).filter((other) => overlap(best.box, sorted[other].box) <= threshold);
  }
  return picked;
}

/** Intersection of `a` and `b` over the area of `b`, with upstream's +1 on every side length. */
function overlap(a: Box, b: Box): number {
  const width = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + 1);
  const height = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + 1);
  return (width * height) / ((b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1));
}
