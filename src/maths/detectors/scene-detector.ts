/**
 * The calibrated detector behind `sightline/detect_outliers@v1` and `sightline/detect_changes@v1`:
 * one alarm per event, at a false-alarm rate the user chooses.
 *
 * Per frame (embedding e, normalised):
 * 1. score s = 1 − cos(e, reference), where the reference is a running mean of the NORMAL frames'
 *    embeddings (an EMA over `referenceFrames`: a long memory finds frames unlike the usual
 *    scene, a short one finds moments where the scene changes). Abnormal frames never move it,
 *    so an event does not teach the detector that the event is normal.
 * 2. standardised score z = s / scale, where scale is the mean score of recent normal frames
 *    (EMA over `SCALE_FRAMES`, each frame counting at most `SCALE_CLIP` × the current scale, so
 *    an undetected small change cannot inflate it). Dividing by it keeps z's distribution put
 *    when the noise level drifts (day → night), so a long memory of z values stays valid.
 * 3. threshold on z: the empirical upper quantile of past z values at the requested alarm rate
 *    (`tail-quantile.ts`). What enters: normal frames, and the alarm frames of events that look
 *    like the noise's own false alarms, which calibration must see — starting no more than
 *    `NOISE_LIKE_FACTOR` thresholds high, and either a single abnormal frame (independent noise)
 *    or an episode that crept up: its previous frame was already more than halfway from the mean
 *    z (1) to the threshold (noise correlated over time creeps up; a real event jumps). They
 *    enter clipped to `NOISE_CLIP` thresholds: their rank is what calibrates, and a real event
 *    taken for noise then moves the threshold little. Other events are real and stay out: if
 *    they counted, a stream with more events than the requested false-alarm rate would push its
 *    threshold up until it missed them; and if noise episodes of several frames stayed out, the
 *    threshold would sink under correlated noise. So the quantile is calibrated to noise alarms
 *    per frame, cooldowns included. The score threshold is scale × that, never below
 *    `minThreshold`, so a static scene (scores ~1e-16) cannot turn rounding noise into alarms.
 * 4. events: abnormal frames form an event, which ends after `EVENT_END_QUIET` normal frames. A
 *    frame much nearer the reference than the event (`RETURN_FACTOR`) counts as normal: the
 *    usual scene is back, above the threshold only because the reference lagged. An abnormal
 *    frame that does not look like the event starts a new one if it comes in the quiet tail or
 *    scores `JUMP_FACTOR` × the event's peak (a change that begins inside a noise episode, which
 *    peaks around one threshold, is not that episode's continuation). The first frame
 *    raises the alarm — unless, within `cooldownFrames` of the last alarm, it looks like that
 *    alarm's event (a flicker of the same thing). "Looks like": within `SAME_EVENT_FACTOR`
 *    thresholds of the event's mean direction. An event that lasts `newSceneAfterFrames`
 *    abnormal frames is a new scene: the reference jumps to the mean of its frames and the scale
 *    grows to their spread if that is larger, so a lasting change — even into a noisier scene —
 *    raises one alarm.
 *
 * Warm-up: the first `warmupFrames` frames only build the reference and the scale; then z values
 * are collected until the quantile exists (about 1/rate frames). No alarm is raised meanwhile;
 * once 100 values are in, a frame above `WARMUP_EVENT_FACTOR` × the 4th largest so far is
 * treated as an event, so a scene change during warm-up neither enters the quantile nor moves
 * the reference, and a lasting one becomes the new scene as usual.
 *
 * Changing the rate restarts the calibration (the quantile's memory is sized for the rate).
 * State is plain JSON and bounded: three d-vectors at most and ~850 numbers of tail summary.
 */
import { checkEmbedding, checkNumber, DegenerateInputError } from "../input-checks.js";
import { cosineSimilarity, isZeroVector, norm, normalise } from "../vectors.js";
import { addToTail, earlyBound, emptyTailSummary, kthLargest, tailCount, upperQuantile, type TailSummary } from "./tail-quantile.js";

export interface DetectorParams {
  /** Alarms per frame the user accepts on normal video. */
  alarmRate: number;
  /** For this many frames after an alarm (itself included), frames like the alarmed event do not alarm again. */
  cooldownFrames: number;
  /** Frames that only build the reference and scale, before any score is calibrated. */
  warmupFrames: number;
  /** Scores at or below this are never abnormal. */
  minThreshold: number;
  /** Memory of the reference, in frames (EMA time constant). */
  referenceFrames: number;
  /** An event lasting this many abnormal frames becomes the new normal scene. */
  newSceneAfterFrames: number;
}

export interface DetectorEvent {
  /** Abnormal frames in the event so far. */
  frames: number;
  /** Normal frames since its last abnormal one. */
  quiet: number;
  /** Sum of the event's normalised embeddings. */
  sum: number[];
  alarmed: boolean;
  /** Its largest score. */
  peak: number;
  /** The alarm frame's z, entered into the quantile when the event ends, if it looked like noise. */
  noiseLikeZ: number | null;
  /** The frame before it was already more than halfway to the threshold: noise creeping up. */
  gradual: boolean;
}

export interface DetectorState {
  frames: number;
  /** Running mean of normal normalised embeddings (not unit length); null before the first frame. */
  reference: number[] | null;
  /** Frames averaged into the reference, up to `referenceFrames` (a running mean until then). */
  referenceWeight: number;
  /** Mean (clipped) score of normal frames. */
  scale: number;
  scaleWeight: number;
  tail: TailSummary | null;
  event: DetectorEvent | null;
  framesSinceAlarm: number | null;
  /** Sum of the embeddings of the last alarmed event (its direction), for the cooldown. */
  lastAlarm: number[] | null;
  /** The previous frame's z (0 before there is one). */
  previousZ: number;
}

export interface DetectorOutput {
  /** An alarm: the first frame of an abnormal event (not a repeat of the last one). */
  is_outlier: boolean;
  score: number;
  /** The score threshold for this frame (provisional while warming up). */
  threshold: number;
  warming_up: boolean;
  /** The frame belongs to an abnormal event (above the threshold, or in its quiet tail). */
  in_event: boolean;
}

/** Memory of the scale (mean normal score), in frames. */
export const SCALE_FRAMES = 1000;
/** A normal frame moves the scale as if its score were at most this many times the scale. */
export const SCALE_CLIP = 3;
/** Below this the scale is numeric noise (a static scene); z is measured against this instead. */
export const SCALE_FLOOR = 1e-12;
/**
 * An event starting this many thresholds high is real, not noise (heavy-tailed noise does reach
 * a few thresholds; a static scene's "noise" reaches none).
 */
export const NOISE_LIKE_FACTOR = 4;
/** A noise-like alarm's z enters the quantile clipped to this many thresholds. */
export const NOISE_CLIP = 2;
/**
 * In the early phase, a z this many times the 4th largest so far is an event (without an alarm
 * unless it is also above the early bound). Tight, because what enters before calibration stays
 * in the quantile for its whole horizon.
 */
export const WARMUP_EVENT_FACTOR = 1.5;
/** Values needed before the warm-up event rule applies. */
const WARMUP_EVENT_MIN_VALUES = 100;
/** During the cooldown, a frame within this many thresholds of the alarmed event is that event again. */
export const SAME_EVENT_FACTOR = 3;
/**
 * A frame this many times above an event's largest score so far, and unlike it, starts a new
 * event. A noise episode peaks around one threshold, and at 1e-2 an event of 2 q999 scores only
 * 2–3 thresholds: with 3 ×, such an event that began right after a noise frame crossed the
 * threshold was taken for that frame's continuation and not alarmed.
 */
export const JUMP_FACTOR = 2;
/** Normal frames that end an event. */
export const EVENT_END_QUIET = 3;
/** During an event, a frame this much nearer the reference than the event counts as normal. */
export const RETURN_FACTOR = 0.5;
/** The scale is a plain running mean over this many first frames, then a clipped EMA. */
const UNCLIPPED_SCALE_FRAMES = 30;
/** 1 − cos never exceeds 2: the threshold reported while no score can alarm. */
export const MAX_SCORE = 2;

/** Thresholds on z; null: none yet. */
export interface ZThresholds {
  /** A new event above this raises the alarm. */
  alarm: number | null;
  /** A frame above this belongs to an event: it neither enters the quantile nor moves the reference. */
  event: number | null;
  /** `alarm` is the empirical quantile at the target rate (otherwise the early bound). */
  calibrated: boolean;
}

/**
 * The thresholds on z once the first `warmup` frames have built the reference and the scale.
 * Calibrated: both are the empirical quantile at the target rate. Early phase (too few values
 * for that quantile): alarms need the conservative early bound; a frame above
 * `WARMUP_EVENT_FACTOR` × the 4th largest z so far (once `WARMUP_EVENT_MIN_VALUES` are in) is
 * already an event, so a scene change too small to alarm neither enters the quantile nor moves
 * the reference.
 */
export function zThresholds(tail: TailSummary, alarmRate: number): ZThresholds {
  const quantile = upperQuantile(tail, alarmRate);
  if (quantile !== null) return { alarm: quantile, event: quantile, calibrated: true };
  const early = earlyBound(tail, alarmRate);
  const fourth = tailCount(tail) >= WARMUP_EVENT_MIN_VALUES ? kthLargest(tail, 4) : null;
  const provisional = fourth === null ? null : WARMUP_EVENT_FACTOR * fourth;
  const event = early === null || provisional === null ? (early ?? provisional) : Math.min(early, provisional);
  return { alarm: early, event, calibrated: false };
}

export function initialDetectorState(): DetectorState {
  return {
    frames: 0,
    reference: null,
    referenceWeight: 0,
    scale: 0,
    scaleWeight: 0,
    tail: null,
    event: null,
    framesSinceAlarm: null,
    lastAlarm: null,
    previousZ: 0,
  };
}

function checkParams(params: DetectorParams): void {
  const rate = checkNumber(params.alarmRate, "false-alarm rate");
  if (!(rate > 0 && rate < 1)) throw new DegenerateInputError(`the false-alarm rate must lie in (0, 1) per frame, got ${rate}`);
  if (checkNumber(params.minThreshold, "min_threshold") < 0) throw new DegenerateInputError("min_threshold must be ≥ 0");
  checkWhole(params.cooldownFrames, "cooldown_frames", 1);
  checkWhole(params.warmupFrames, "warmup", 0);
  checkWhole(params.referenceFrames, "reference_frames", 1);
  checkWhole(params.newSceneAfterFrames, "new_scene_after_frames", 1);
}

function checkWhole(value: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new DegenerateInputError(`${what} must be a whole number ≥ ${min}, got ${value}`);
}

/**
 * One frame. Throws `DegenerateInputError` (state untouched) for a value that is not a non-empty
 * list of finite numbers, a length other than the stream's reference, a zero vector (no
 * direction to score), or invalid parameters.
 */
export function detectorStep(state: DetectorState, embedding: unknown, params: DetectorParams): { state: DetectorState; output: DetectorOutput } {
  const raw = checkEmbedding(embedding, state.reference?.length ?? null);
  if (isZeroVector(raw)) throw new DegenerateInputError("embedding is the zero vector, which has no direction to compare");
  checkParams(params);
  const e = normalise(raw);

  if (state.reference === null) {
    return {
      state: { ...state, frames: 1, reference: e, referenceWeight: 1 },
      output: { is_outlier: false, score: 0, threshold: Math.max(params.minThreshold, MAX_SCORE), warming_up: true, in_event: false },
    };
  }

  const score = Math.max(0, 1 - cosineSimilarity(e, state.reference));
  const scale = Math.max(state.scale, SCALE_FLOOR);
  const z = score / scale;
  const learning = state.frames <= params.warmupFrames;
  const tail = state.tail?.probability === params.alarmRate ? state.tail : emptyTailSummary(params.alarmRate);
  const limits = learning ? null : zThresholds(tail, params.alarmRate);
  // score thresholds: min_threshold floors both; no bound yet → the largest possible score
  const atLeastFloor = (zLimit: number | null): number => Math.max(params.minThreshold, zLimit === null ? MAX_SCORE : scale * zLimit);
  const threshold = atLeastFloor(limits?.alarm ?? null);
  const eventThreshold = atLeastFloor(limits?.event ?? null);
  const abnormal = limits !== null && limits.event !== null && score > eventThreshold;
  const framesSinceAlarm = state.framesSinceAlarm === null ? null : state.framesSinceAlarm + 1;

  const next: DetectorState = { ...state, frames: state.frames + 1, framesSinceAlarm, previousZ: z };
  let calibration = tail;
  let alarm = false;
  // during an event, a frame much nearer the reference than the event is the usual scene back
  // (above the threshold only because the reference lagged while the event froze it)
  const returning = abnormal && state.event !== null && score < RETURN_FACTOR * distance(e, state.event.sum);
  if (!abnormal || returning) {
    learnNormalFrame(next, state.reference, e, score, params.referenceFrames);
    if (!learning && !abnormal) calibration = addToTail(calibration, z);
    if (state.event !== null) {
      const quiet = state.event.quiet + 1;
      if (quiet < EVENT_END_QUIET) next.event = { ...state.event, quiet };
      else {
        next.event = null;
        calibration = endEvent(calibration, state.event);
      }
    }
  } else if (state.event === null || startsNewEvent(state.event, e, score, eventThreshold)) {
    if (state.event !== null) calibration = endEvent(calibration, state.event);
    const inCooldown = framesSinceAlarm !== null && framesSinceAlarm < params.cooldownFrames;
    const repeat = inCooldown && state.lastAlarm !== null && isSameEvent(e, state.lastAlarm, eventThreshold);
    alarm = !repeat && score > threshold;
    const eventZ = eventThreshold / scale;
    // calibrated, an alarm may be the noise's own and must enter the quantile; early, an alarm
    // is far above anything seen and stays out, while an event below the bound may be noise
    const mayBeNoise = !repeat && (limits.calibrated || !alarm);
    const noiseLike = mayBeNoise && z <= NOISE_LIKE_FACTOR * eventZ;
    next.event = {
      frames: 1,
      quiet: 0,
      sum: e,
      alarmed: alarm,
      peak: score,
      noiseLikeZ: noiseLike ? Math.min(z, NOISE_CLIP * eventZ) : null,
      gradual: state.previousZ > (1 + eventZ) / 2,
    };
    if (alarm) {
      next.framesSinceAlarm = 0;
      next.lastAlarm = e;
    }
  } else {
    const sum = state.event.sum.map((x, j) => x + e[j]);
    next.event = { ...state.event, frames: state.event.frames + 1, quiet: 0, sum, peak: Math.max(state.event.peak, score) };
    if (state.event.alarmed) next.lastAlarm = sum;
  }
  if (next.event !== null && next.event.quiet === 0 && next.event.frames >= params.newSceneAfterFrames) {
    calibration = endEvent(calibration, next.event);
    adoptNewScene(next, next.event);
  }
  next.tail = calibration;

  return {
    state: next,
    output: {
      is_outlier: alarm,
      score,
      threshold,
      warming_up: !(limits?.calibrated ?? false),
      in_event: abnormal || next.event !== null,
    },
  };
}

/** 1 − cos(e, direction), where direction may be a sum of embeddings. */
function distance(e: number[], direction: number[]): number {
  return Math.max(0, 1 - cosineSimilarity(e, direction));
}

/** Whether `e` is within SAME_EVENT_FACTOR score thresholds of an event's direction (a sum of its embeddings). */
function isSameEvent(e: number[], direction: number[], threshold: number): boolean {
  return distance(e, direction) <= SAME_EVENT_FACTOR * threshold;
}

/**
 * An abnormal frame during an event starts a new one if it does not look like the event and
 * either follows a quiet frame or jumps `JUMP_FACTOR` × above everything in the event so far: a
 * change that starts inside a noise episode is not that episode's continuation. (Without the
 * jump condition, the frames of a change into a much noisier scene, unlike one another, would
 * each start an event.)
 */
function startsNewEvent(event: DetectorEvent, e: number[], score: number, threshold: number): boolean {
  return !isSameEvent(e, event.sum, threshold) && (event.quiet > 0 || score > JUMP_FACTOR * event.peak);
}

/** A finished event that looked like noise (one frame, or a gradual start) enters the quantile. */
function endEvent(tail: TailSummary, event: DetectorEvent): TailSummary {
  return event.noiseLikeZ !== null && (event.frames === 1 || event.gradual) ? addToTail(tail, event.noiseLikeZ) : tail;
}

/** A normal frame moves the reference (running mean, then EMA) and the scale (clipped likewise). */
function learnNormalFrame(next: DetectorState, reference: number[], e: number[], score: number, referenceFrames: number): void {
  const referenceWeight = Math.min(next.referenceWeight + 1, referenceFrames);
  next.reference = reference.map((r, j) => r + (e[j] - r) / referenceWeight);
  next.referenceWeight = referenceWeight;
  const scaleWeight = Math.min(next.scaleWeight + 1, SCALE_FRAMES);
  const counted = scaleWeight > UNCLIPPED_SCALE_FRAMES ? Math.min(score, SCALE_CLIP * next.scale) : score;
  next.scale = next.scale + (counted - next.scale) / scaleWeight;
  next.scaleWeight = scaleWeight;
}

/**
 * The event's frames are the new normal: the reference becomes their mean direction, and the
 * scale grows to their spread if that is larger (a noisier scene), never shrinks: for L unit vectors with mean m̄ the
 * mean of 1 − cos(eᵢ, m̄/‖m̄‖) is exactly 1 − ‖m̄‖, and a new frame scores about (L + 1)/(L − 1)
 * times that — but frames this close in time share their noise when it is correlated, so the
 * spread underestimates a quieter-looking scene; a genuinely quieter one lowers the scale through
 * normal frames later.
 */
function adoptNewScene(next: DetectorState, event: DetectorEvent): void {
  const count = event.frames;
  const mean = event.sum.map((x) => x / count);
  next.reference = normalise(mean);
  next.referenceWeight = count;
  if (count > 1) {
    const spread = Math.max(0, 1 - norm(mean)) * ((count + 1) / (count - 1));
    if (spread > next.scale) {
      next.scale = spread;
      next.scaleWeight = Math.min(count, SCALE_FRAMES);
    }
  }
  next.event = null;
}
