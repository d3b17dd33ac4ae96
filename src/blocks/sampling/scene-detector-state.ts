/**
 * The state schema of the calibrated detectors (`maths/detectors/scene-detector.ts`): what a
 * restored snapshot must hold (docs/reference/cli.md#state-files) — the tail summary's geometry
 * as its probability fixes it, scores largest first, one embedding dimension.
 */
import { z } from "zod";
import { EVENT_END_QUIET, SCALE_FRAMES, type DetectorState } from "../../maths/detectors/scene-detector.js";
import { emptyTailSummary, TAIL_BLOCKS, TOP_PER_BLOCK, type TailSummary } from "../../maths/detectors/tail-quantile.js";
import { boundedList, count, nonNegative, notMoreThanCounted, oneDimension, problem, vector, withInvariants } from "../state-schemas.js";

/** Scores (z values), largest first. */
const descendingScores = withInvariants(boundedList(nonNegative, TOP_PER_BLOCK, "scores"), (scores, ctx) => {
  const at = scores.findIndex((score, i) => i > 0 && score > scores[i - 1]);
  if (at > 0) problem(ctx, [at], scores[at], `expected scores largest first, but ${scores[at]} follows ${scores[at - 1]}`);
});

const tailBlock = withInvariants(z.strictObject({ count, top: descendingScores }), (block, ctx) => {
  notMoreThanCounted(ctx, "top", block.top, block.count, "count");
});

const tailSummary = withInvariants(
  z.strictObject({
    probability: z.number().gt(0).lt(1),
    blockSize: count,
    blocks: boundedList(tailBlock, TAIL_BLOCKS, "blocks"),
    current: tailBlock,
    completedTop: descendingScores,
  }),
  (tail, ctx) => {
    // the block size follows from the probability (tail-quantile.ts); a block holds that many scores
    const { blockSize } = emptyTailSummary(tail.probability);
    if (tail.blockSize !== blockSize)
      problem(ctx, ["blockSize"], tail.blockSize, `expected ${blockSize} for probability ${tail.probability}, got ${tail.blockSize}`);
    tail.blocks.forEach((block, i) => {
      if (block.count !== blockSize) problem(ctx, ["blocks", i, "count"], block.count, `expected a full block of ${blockSize}, got ${block.count}`);
    });
    if (tail.current.count > blockSize) problem(ctx, ["current", "count"], tail.current.count, `expected at most ${blockSize}, got ${tail.current.count}`);
  },
) satisfies z.ZodType<TailSummary>;

const detectorEvent = z.strictObject({
  frames: count.min(1),
  quiet: count.max(EVENT_END_QUIET - 1),
  sum: vector,
  alarmed: z.boolean(),
  peak: nonNegative,
  noiseLikeZ: nonNegative.nullable(),
  gradual: z.boolean(),
});

export const detectorState = withInvariants(
  z.strictObject({
    frames: count,
    reference: vector.nullable(),
    referenceWeight: count,
    scale: nonNegative,
    scaleWeight: count.max(SCALE_FRAMES),
    tail: tailSummary.nullable(),
    event: detectorEvent.nullable(),
    framesSinceAlarm: count.nullable(),
    lastAlarm: vector.nullable(),
    previousZ: nonNegative,
  }),
  (state, ctx) => {
    // the first frame sets the reference; events and alarms are measured against it
    if ((state.reference === null) !== (state.frames === 0)) {
      problem(ctx, ["reference"], state.reference, `expected ${state.frames === 0 ? "null while frames is 0" : "a list of numbers once frames is above 0"}`);
    }
    for (const name of ["event", "lastAlarm"] as const) {
      if (state.reference === null && state[name] !== null) problem(ctx, [name], state[name], "expected null while reference is null");
    }
    oneDimension(ctx, [
      [["reference"], state.reference],
      [["event", "sum"], state.event?.sum ?? null],
      [["lastAlarm"], state.lastAlarm],
    ]);
  },
) satisfies z.ZodType<DetectorState>;
