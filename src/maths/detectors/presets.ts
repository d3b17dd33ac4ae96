/**
 * The two detectors are one mechanism (`scene-detector.ts`) with different memories.
 *
 * - detect_outliers: "is this frame unlike the usual scene?" The reference remembers ~300
 *   frames (10 s at 30 fps), so slow drift is followed but a scene that changed a few seconds
 *   ago still counts as unusual; a new scene becomes the usual one after 150 frames (5 s).
 * - detect_changes: "did the scene just change?" The reference is the last ~10 frames and a new
 *   scene is accepted after 10 frames (1/3 s), so one change raises one alarm — a burst shorter
 *   than that is never accepted, so its end is not a second change — and the detector is ready
 *   for the next change almost at once.
 */
import type { DetectorParams } from "./scene-detector.js";

export type DetectorPreset = Omit<DetectorParams, "alarmRate">;

export const DETECT_OUTLIERS_DEFAULTS: DetectorPreset = {
  cooldownFrames: 30,
  warmupFrames: 30,
  minThreshold: 1e-6,
  referenceFrames: 300,
  newSceneAfterFrames: 150,
};

export const DETECT_CHANGES_DEFAULTS: DetectorPreset = {
  cooldownFrames: 15,
  warmupFrames: 30,
  minThreshold: 1e-6,
  referenceFrames: 10,
  newSceneAfterFrames: 10,
};
