/**
 * What a user says about false alarms — a rate per frame, or "about one every N minutes" at the
 * stream's frame rate — turned into the per-frame probability the threshold is set for.
 */
import { DegenerateInputError } from "../input-checks.js";

export interface FalseAlarmTarget {
  /** Alarms per frame on normal video. */
  falseAlarmRate: number | null;
  /** Or: about one false alarm per this many minutes… */
  minutesPerFalseAlarm: number | null;
  /** …at this many frames per second. */
  fps: number | null;
}

export const DEFAULT_FALSE_ALARM_RATE = 1e-3;

/** The target as alarms per frame. */
export function alarmsPerFrame(target: FalseAlarmTarget): number {
  const { falseAlarmRate, minutesPerFalseAlarm, fps } = target;
  if (falseAlarmRate !== null && minutesPerFalseAlarm !== null) {
    throw new DegenerateInputError("give either false_alarm_rate or minutes_per_false_alarm, not both");
  }
  if (minutesPerFalseAlarm !== null) {
    if (!(minutesPerFalseAlarm > 0) || !Number.isFinite(minutesPerFalseAlarm)) {
      throw new DegenerateInputError(`minutes_per_false_alarm must be a positive number, got ${minutesPerFalseAlarm}`);
    }
    if (fps === null || !(fps > 0) || !Number.isFinite(fps)) {
      throw new DegenerateInputError(
        `minutes_per_false_alarm needs the stream's frame rate: give \`fps\`, or an \`image\` whose video metadata has fps (got ${fps})`,
      );
    }
    return 1 / (minutesPerFalseAlarm * 60 * fps);
  }
  const rate = falseAlarmRate ?? DEFAULT_FALSE_ALARM_RATE;
  if (!(rate > 0 && rate < 1)) throw new DegenerateInputError(`false_alarm_rate must lie in (0, 1), got ${rate}`);
  return rate;
}
