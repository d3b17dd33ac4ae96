/**
 * The rate limiter's decision (docs/reference/blocks.md#rate-limiter) as pure functions. Times are
 * whole microseconds, because upstream compares Python `datetime`s, which carry microseconds:
 * `datetime.now()` for the wall clock, `datetime.fromtimestamp(frame_number / fps)` for video time.
 * Rounding to the microsecond decides cases on the cooldown boundary, e.g. frames 1 and 31 at 30
 * fps are exactly 1 s apart in microseconds but 0.9999999999999999 s apart in plain floating point.
 */

import { roundHalfEven } from "./rounding.js";

export interface RateLimiterState {
  /** When the branch last ran, in microseconds (wall clock or video time); null before the first run. */
  lastExecutedAt: number | null;
}

export function initialRateLimiterState(): RateLimiterState {
  return { lastExecutedAt: null };
}

/** `datetime` cannot hold times outside years 1–9999; upstream then falls back to the wall clock. */
const MIN_TIMESTAMP_SECONDS = -62135596800;
const MAX_TIMESTAMP_SECONDS = 253402300799;

/**
 * Video time of a frame in microseconds, as upstream computes it (`1 / fps * frame_number`,
 * rounded half-even to the microsecond like `datetime.fromtimestamp`), or null where upstream's
 * `try` falls back to the wall clock: no fps, fps 0, or a time `datetime` cannot represent.
 */
export function videoTimeMicros(frameNumber: number, fps: number | null): number | null {
  if (fps === null || fps === 0) return null;
  const seconds = (1 / fps) * frameNumber;
  if (!Number.isFinite(seconds) || seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) return null;
  const whole = Math.trunc(seconds);
  return whole * 1e6 + roundHalfEven((seconds - whole) * 1e6);
}

/** A wall-clock reading in milliseconds (`ctx.now()`) as microseconds. */
export function wallClockMicros(milliseconds: number): number {
  return Math.round(milliseconds * 1000);
}

/**
 * Whether the branch may run now. Throttled while less than `cooldownSeconds` passed since the
 * last run (a clock that went backwards also throttles, as upstream); otherwise the run is
 * recorded.
 */
export function rateLimiterStep(state: RateLimiterState, nowMicros: number, cooldownSeconds: number): { state: RateLimiterState; pass: boolean } {
  if (state.lastExecutedAt !== null && (nowMicros - state.lastExecutedAt) / 1e6 < cooldownSeconds) {
    return { state, pass: false };
  }
  return { state: { lastExecutedAt: nowMicros }, pass: true };
}
