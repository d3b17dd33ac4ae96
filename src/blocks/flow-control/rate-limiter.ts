/**
 * Rate Limiter (`roboflow_core/rate_limiter@v1`, docs/reference/blocks.md#rate-limiter): lets the
 * `next_steps` branch run at most once per `cooldown_seconds`. Time is the wall clock, or — with
 * `video_reference_image` — the video time of that image, `frame_number / fps`, so a file processed
 * faster than real time is limited in video seconds. As upstream, the image's metadata is used even
 * when synthesised for a still image (frame 0): every still image is then at video time 0, so only
 * the first one passes. Without fps (or fps 0) it falls back to the wall clock.
 *
 * `depends_on` only places the step in the graph (and makes it run per batch element of that
 * data); its value is not used. The timer is per stream; batch elements of one stream share it,
 * so in a batch of two frames of the same stream the second is throttled.
 */
import { z } from "zod";
import { defineBlock, imageInputSelector, selectSteps, selector, stepSelector, terminateBranch } from "../../block-api/index.js";
import { initialRateLimiterState, rateLimiterStep, videoTimeMicros, wallClockMicros, type RateLimiterState } from "../../maths/rate-limiter.js";
import { COOLDOWN_RESTRICTION } from "../restrictions.js";
import { finite } from "../state-schemas.js";

const rateLimiterState = z.strictObject({ lastExecutedAt: finite.nullable() }) satisfies z.ZodType<RateLimiterState>;

export const rateLimiterBlock = defineBlock({
  manifest: {
    type: "roboflow_core/rate_limiter@v1",
    name: "Rate Limiter",
    family: "flow_control",
    description: "Limits the rate at which a branch of the Workflow will fire: at most once per `cooldown_seconds`.",
    properties: z.object({
      cooldown_seconds: z.number().min(0).default(1),
      depends_on: selector(),
      next_steps: z.array(stepSelector()),
      video_reference_image: imageInputSelector().nullable().default(null),
    }),
    outputs: [],
    flowControl: true,
    restrictions: [COOLDOWN_RESTRICTION],
  },
  state: { schema: rateLimiterState, initial: initialRateLimiterState },
  // on video time, a forecast of which frames pass is exact: CLIP behind it starts on them early
  deterministic: true,
  // reads video_reference_image's frame number and fps only: frames it drops need no pixels
  imagesMetadataOnly: true,
  run(inputs, ctx) {
    const metadata = inputs.video_reference_image?.videoMetadata;
    const now = (metadata && videoTimeMicros(metadata.frame_number, metadata.fps)) ?? wallClockMicros(ctx.now());
    const { state, pass } = rateLimiterStep(ctx.state, now, inputs.cooldown_seconds);
    ctx.state = state;
    return pass ? selectSteps(inputs.next_steps) : terminateBranch();
  },
});
