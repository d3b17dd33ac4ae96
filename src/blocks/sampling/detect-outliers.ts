/**
 * Detect Outliers (`sightline/detect_outliers@v1`): flags frames unlike the usual scene, at a
 * false-alarm rate the user chooses, one alarm per event. The calibrated alternative to
 * `roboflow_core/identify_outliers@v1`. Mechanism: `maths/detectors/scene-detector.ts`; measured
 * behaviour: EVALUATION.md.
 */
import { DETECT_OUTLIERS_DEFAULTS } from "../../maths/detectors/presets.js";
import { defineSceneDetectorBlock } from "./scene-detector-block.js";

export const detectOutliersBlock = defineSceneDetectorBlock({
  type: "sightline/detect_outliers@v1",
  name: "Detect Outliers",
  description:
    "Flags frames whose embedding is unlike the usual scene, holding the false-alarm rate you choose (per frame, or about one per N minutes). One alarm per event; a scene that stays changed becomes the new usual scene after `new_scene_after_frames`. Learns the threshold from the stream itself: about 1/rate frames of warm-up.",
  defaults: DETECT_OUTLIERS_DEFAULTS,
});
