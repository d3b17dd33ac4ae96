/**
 * Identify Outliers (`roboflow_core/identify_outliers@v1`,
 * docs/reference/blocks.md#identify-outliers): upstream's empirical rank of the current embedding's
 * alignment with the mean direction of a sliding window (maths in `maths/identify-outliers.ts`).
 * Its defaults flag about 9 % of the frames of a steady scene and every frame of a static one; for
 * a detector with a chosen false-alarm rate use `sightline/detect_outliers@v1`.
 *
 * Degenerate input — what this block does, and what upstream does:
 *
 * | input | sightline | upstream |
 * | --- | --- | --- |
 * | zero vector | as upstream (well defined): stored unnormalised, alignment 0; a window summing to zero falls back to the current embedding as the direction | same |
 * | NaN / ±Infinity inside the embedding | StepExecutionError naming the index; state unchanged | NaN alignments, arbitrary ranks |
 * | length differs from the window's embeddings | StepExecutionError; state unchanged | numpy error on the ragged window (crash) |
 * | constant stream (identical embeddings) | as upstream: rank 0 → percentile 0 → every post-warm-up frame is an outlier | same |
 * | `window_size: null` | window of 1000 (the cap) | documented as unlimited, crashes (TypeError) |
 * | `window_size` < 1 or > 1000 | StepExecutionError | crash (< 1) / unbounded memory |
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { identifyOutliersStep, initialIdentifyOutliersState, type IdentifyOutliersState } from "../../maths/identify-outliers.js";
import { MAX_WINDOW_SIZE } from "../../maths/input-checks.js";
import { STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION } from "../restrictions.js";
import { boundedList, count, notMoreThanCounted, oneDimension, vector, windowBound, withInvariants } from "../state-schemas.js";
import { rejectingDegenerateInput } from "./step-input-error.js";

const identifyOutliersState = withInvariants(
  z.strictObject({
    samples: count,
    window: boundedList(vector, MAX_WINDOW_SIZE, "embeddings"),
  }),
  (state, ctx) => {
    oneDimension(
      ctx,
      state.window.map((row, i) => [["window", i], row]),
    );
    // every embedding in the window was counted when it arrived
    notMoreThanCounted(ctx, "window", state.window, state.samples, "samples");
  },
) satisfies z.ZodType<IdentifyOutliersState>;

export const identifyOutliersBlock = defineBlock({
  manifest: {
    type: "roboflow_core/identify_outliers@v1",
    name: "Identify Outliers",
    family: "sampling",
    description: "Flags embeddings whose alignment with the mean direction of the recent window ranks in the lowest or highest `threshold_percentile`.",
    properties: z.object({
      embedding: selector(["embedding"]),
      threshold_percentile: literalOrSelector(z.number(), ["float_zero_to_one"]).default(0.05),
      warmup: literalOrSelector(z.number().int(), ["integer"]).default(3),
      window_size: literalOrSelector(z.number().int(), ["integer"]).nullable().default(32),
    }),
    outputs: [
      { name: "is_outlier", kinds: ["boolean"] },
      { name: "percentile", kinds: ["float_zero_to_one"] },
      { name: "warming_up", kinds: ["boolean"] },
    ],
    restrictions: [STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION],
  },
  state: {
    schema: identifyOutliersState,
    bounds: ({ window_size }) => z.object({ window: boundedList(z.unknown(), windowBound(window_size), "embeddings (window_size)") }),
    initial: initialIdentifyOutliersState,
  },
  run(inputs, ctx) {
    const { state, output } = rejectingDegenerateInput(ctx, () =>
      identifyOutliersStep(ctx.state, inputs.embedding, {
        thresholdPercentile: inputs.threshold_percentile,
        warmup: inputs.warmup,
        windowSize: inputs.window_size,
      }),
    );
    ctx.state = state;
    return output;
  },
});
