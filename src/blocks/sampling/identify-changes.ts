/**
 * Identify Changes (`roboflow_core/identify_changes@v1`,
 * docs/reference/blocks.md#identify-changes): upstream's z-score of the cosine similarity to a
 * running mean embedding, with its exact statistics (maths in `maths/identify-changes.ts`). Its
 * defaults flag about 20 % of the frames of a steady scene; for a detector with a chosen
 * false-alarm rate use `sightline/detect_changes@v1`.
 *
 * Degenerate input — what this block does, and what upstream does:
 *
 * | input | sightline | upstream |
 * | --- | --- | --- |
 * | zero vector | StepExecutionError (step, stream, frame); state unchanged | NaN similarity now or on the next frame, NaN statistics forever, `is_outlier` false forever |
 * | NaN / ±Infinity inside the embedding | StepExecutionError naming the index; state unchanged | NaN statistics forever |
 * | length differs from the stream's earlier embeddings | StepExecutionError; state unchanged | numpy broadcast error (crash) |
 * | constant stream (identical embeddings) | as upstream: zero-std guard → z 0, percentile 0.5, never an outlier | same (since PR #2614) |
 * | EMA with `smoothing_factor: null` | StepExecutionError | TypeError (crash) |
 * | Sliding Window with `window_size: null` | window of 1000 (the cap) | TypeError (crash) |
 * | `window_size` < 1 or > 1000 | StepExecutionError | NaN statistics (< 1) / unbounded memory |
 * | running mean cancelled to the zero vector | StepExecutionError; state unchanged | NaN forever |
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { CHANGE_STRATEGIES, identifyChangesStep, initialIdentifyChangesState, type IdentifyChangesState } from "../../maths/identify-changes.js";
import { MAX_WINDOW_SIZE } from "../../maths/input-checks.js";
import { STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION } from "../restrictions.js";
import { boundedList, count, finite, nonNegative, notMoreThanCounted, oneDimension, problem, vector, windowBound, withInvariants } from "../state-schemas.js";
import { rejectingDegenerateInput } from "./step-input-error.js";

const STATISTICS = ["average", "std", "variance", "m2"] as const;

const identifyChangesState = withInvariants(
  z.strictObject({
    samples: count,
    average: vector.nullable(),
    std: vector.nullable(),
    variance: vector.nullable(),
    m2: vector.nullable(),
    window: boundedList(vector, MAX_WINDOW_SIZE, "embeddings"),
    similarityAverage: finite.nullable(),
    similarityVariance: finite,
    similarityM2: finite,
    similarityStd: nonNegative,
    similarityWindow: boundedList(finite, MAX_WINDOW_SIZE, "similarities"),
  }),
  (state, ctx) => {
    // the four statistics start together with the first embedding
    const started = state.samples > 0;
    for (const name of STATISTICS) {
      if ((state[name] !== null) !== started) {
        const expected = started ? `a list of numbers once samples is ${state.samples}` : "null while samples is 0";
        problem(ctx, [name], state[name], `expected ${expected}`);
      }
    }
    oneDimension(ctx, [...STATISTICS.map((name) => [[name], state[name]] as const), ...state.window.map((row, i) => [["window", i], row] as const)]);
    for (const name of ["window", "similarityWindow"] as const) notMoreThanCounted(ctx, name, state[name], state.samples, "samples");
  },
) satisfies z.ZodType<IdentifyChangesState>;

export const identifyChangesBlock = defineBlock({
  manifest: {
    type: "roboflow_core/identify_changes@v1",
    name: "Identify Changes",
    family: "sampling",
    description:
      "Flags frames whose embedding changes faster or slower than it has in the past: the z-score of the cosine similarity to a running mean embedding (EMA, SMA or sliding window).",
    properties: z.object({
      strategy: z.enum(CHANGE_STRATEGIES).default("Exponential Moving Average (EMA)"),
      embedding: selector(["embedding"]),
      threshold_percentile: literalOrSelector(z.number(), ["float_zero_to_one"]).default(0.2),
      warmup: literalOrSelector(z.number().int(), ["integer"]).default(3),
      smoothing_factor: literalOrSelector(z.number(), ["float_zero_to_one"]).nullable().default(0.1),
      window_size: literalOrSelector(z.number().int(), ["integer"]).nullable().default(10),
    }),
    outputs: [
      { name: "is_outlier", kinds: ["boolean"] },
      { name: "percentile", kinds: ["float_zero_to_one"] },
      { name: "z_score", kinds: ["float"] },
      { name: "average", kinds: ["embedding"] },
      { name: "std", kinds: ["embedding"] },
      { name: "warming_up", kinds: ["boolean"] },
    ],
    restrictions: [STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION],
  },
  state: {
    schema: identifyChangesState,
    bounds: ({ window_size }) => {
      const entries = (what: string) => boundedList(z.unknown(), windowBound(window_size), `${what} (window_size)`);
      return z.object({ window: entries("embeddings"), similarityWindow: entries("similarities") });
    },
    initial: initialIdentifyChangesState,
  },
  run(inputs, ctx) {
    const { state, output } = rejectingDegenerateInput(ctx, () =>
      identifyChangesStep(ctx.state, inputs.embedding, {
        strategy: inputs.strategy,
        thresholdPercentile: inputs.threshold_percentile,
        warmup: inputs.warmup,
        smoothingFactor: inputs.smoothing_factor,
        windowSize: inputs.window_size,
      }),
    );
    ctx.state = state;
    return output;
  },
});
