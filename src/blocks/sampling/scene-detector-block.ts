/**
 * The two calibrated detector blocks differ only in their defaults and wording (see
 * `maths/detectors/presets.ts`); this builds either from the same schema and `run`.
 *
 * The false-alarm target is `false_alarm_rate` (alarms per frame) or `minutes_per_false_alarm`
 * (about one false alarm per that many minutes) at the stream's frame rate: the `fps` property,
 * else the fps of `image`'s video metadata (its declared fps, else its measured fps). Neither
 * given: 0.001 per frame. Changing the target restarts the calibration (a new warm-up).
 *
 * Degenerate input: a zero vector, NaN/±Infinity inside the embedding, a length other than the
 * stream's earlier embeddings, or a target that cannot be turned into a rate (both targets
 * given, minutes without any fps) → StepExecutionError naming step, stream and frame; the
 * state is unchanged. A static scene (identical embeddings) scores ~0 and never alarms:
 * `min_threshold` is the smallest score that can.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selector, type Block } from "../../block-api/index.js";
import type { WorkflowImage } from "../../images/index.js";
import { alarmsPerFrame, DEFAULT_FALSE_ALARM_RATE } from "../../maths/detectors/false-alarm-rate.js";
import type { DetectorPreset } from "../../maths/detectors/presets.js";
import { detectorStep, initialDetectorState } from "../../maths/detectors/scene-detector.js";
import { STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION } from "../restrictions.js";
import { detectorState } from "./scene-detector-state.js";
import { rejectingDegenerateInput } from "./step-input-error.js";

export interface SceneDetectorBlockConfig {
  type: string;
  name: string;
  description: string;
  defaults: DetectorPreset;
}

const wholeFrames = (min: number) => literalOrSelector(z.number().int().min(min), ["integer"]);

function frameRateOf(fps: number | null, image: WorkflowImage | null): number | null {
  const metadata = image?.ownVideoMetadata;
  return fps ?? metadata?.fps ?? metadata?.measured_fps ?? null;
}

export function defineSceneDetectorBlock(config: SceneDetectorBlockConfig): Block {
  const { defaults } = config;
  return defineBlock({
    manifest: {
      type: config.type,
      name: config.name,
      family: "sampling",
      description: config.description,
      properties: z.object({
        embedding: selector(["embedding"]),
        // The descriptions say what applies when these are not set: the schema's `default` is null (docs/guides/ui.md#properties).
        false_alarm_rate: literalOrSelector(z.number().gt(0).lt(1), ["float_zero_to_one", "float"])
          .nullable()
          .default(null)
          .describe(`Alarms per frame on normal video. Not set: ${DEFAULT_FALSE_ALARM_RATE}, unless minutes_per_false_alarm is given`),
        minutes_per_false_alarm: literalOrSelector(z.number().positive(), ["float", "integer"])
          .nullable()
          .default(null)
          .describe("About one false alarm per this many minutes, at fps (instead of false_alarm_rate). Not set: false_alarm_rate applies"),
        fps: literalOrSelector(z.number().positive(), ["float", "integer"])
          .nullable()
          .default(null)
          .describe("The stream's frame rate, for minutes_per_false_alarm. Not set: the fps of image's video metadata"),
        image: selector(["image"]).nullable().default(null),
        warmup: wholeFrames(0).default(defaults.warmupFrames),
        cooldown_frames: wholeFrames(1).default(defaults.cooldownFrames),
        min_threshold: literalOrSelector(z.number().min(0), ["float"]).default(defaults.minThreshold),
        reference_frames: wholeFrames(1).default(defaults.referenceFrames),
        new_scene_after_frames: wholeFrames(1).default(defaults.newSceneAfterFrames),
      }),
      outputs: [
        { name: "is_outlier", kinds: ["boolean"] },
        { name: "score", kinds: ["float"] },
        { name: "threshold", kinds: ["float"] },
        { name: "warming_up", kinds: ["boolean"] },
        { name: "in_event", kinds: ["boolean"] },
      ],
      restrictions: [STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION],
    },
    state: { schema: detectorState, initial: initialDetectorState },
    run(inputs, ctx) {
      const { state, output } = rejectingDegenerateInput(ctx, () =>
        detectorStep(ctx.state, inputs.embedding, {
          alarmRate: alarmsPerFrame({
            falseAlarmRate: inputs.false_alarm_rate,
            minutesPerFalseAlarm: inputs.minutes_per_false_alarm,
            fps: frameRateOf(inputs.fps, inputs.image),
          }),
          cooldownFrames: inputs.cooldown_frames,
          warmupFrames: inputs.warmup,
          minThreshold: inputs.min_threshold,
          referenceFrames: inputs.reference_frames,
          newSceneAfterFrames: inputs.new_scene_after_frames,
        }),
      );
      ctx.state = state;
      return output;
    },
  });
}
