/**
 * Detect Changes (`sightline/detect_changes@v1`): flags the frames where the scene changes,
 * compared with the last few frames, at a false-alarm rate the user chooses, one alarm per
 * change. The calibrated alternative to `roboflow_core/identify_changes@v1`. Mechanism:
 * `maths/detectors/scene-detector.ts`; measured behaviour: EVALUATION.md.
 */
import { DETECT_CHANGES_DEFAULTS } from "../../maths/detectors/presets.js";
import { defineSceneDetectorBlock } from "./scene-detector-block.js";

export const detectChangesBlock = defineSceneDetectorBlock({
  type: "sightline/detect_changes@v1",
  name: "Detect Changes",
  description:
    "Flags the frame where the scene changes (compared with the last ~10 frames), holding the false-alarm rate you choose (per frame, or about one per N minutes). One alarm per change; slow drift is followed, not flagged. Learns the threshold from the stream itself: about 1/rate frames of warm-up.",
  defaults: DETECT_CHANGES_DEFAULTS,
});
