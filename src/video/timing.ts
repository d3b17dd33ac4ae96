/** The small arithmetic of frame times, rates and retries, kept pure so tests can pin it exactly. */

/**
 * Video-file frame times as upstream derives them: frame i (1-based) is at start + (i−1)/fps.
 * Each is computed from the start rather than accumulated, so rounding to JavaScript's
 * millisecond dates never drifts (error ≤ 0.5 ms at any frame).
 */
export function fileFrameTimestamp(startMs: number, frameNumber: number, fps: number): Date {
  return new Date(startMs + Math.round(((frameNumber - 1) * 1000) / fps));
}

export interface BackoffOptions {
  /** First wait after a connection is lost, ms. */
  initialDelayMs: number;
  /** The wait never grows beyond this, ms. */
  maxDelayMs: number;
  /** Growth per failed attempt. */
  factor: number;
}

/** Delay before reconnection attempt `attempt` (1-based): initial·factor^(attempt−1), capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  return Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
}

/** Frames per second over the last `window` frame arrivals (measured, not declared, fps). */
export class RollingRate {
  private readonly times: number[] = [];

  constructor(private readonly window = 30) {}

  record(timeMs: number): void {
    this.times.push(timeMs);
    if (this.times.length > this.window) this.times.shift();
  }

  /** null until two arrivals span a positive time. */
  get perSecond(): number | null {
    if (this.times.length < 2) return null;
    const span = this.times[this.times.length - 1] - this.times[0];
    return span > 0 ? ((this.times.length - 1) * 1000) / span : null;
  }
}

/** `"30000/1001"` → 29.97…; `"0/0"`, `"N/A"` and the like → null. */
export function parseFrameRate(text: string | undefined): number | null {
  if (!text) return null;
  const [numerator, denominator = "1"] = text.split("/");
  const value = Number(numerator) / Number(denominator);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** The input's declared rate from ffmpeg's stream line ("…, 640x480, 25 fps, 25 tbr…"); null if it states none. */
export function declaredFpsFromStreamLine(line: string): number | null {
  if (!/Stream #\d+:\d+.*: Video:/.test(line)) return null;
  const match = /, (\d+(?:\.\d+)?)(k?) fps/.exec(line);
  if (!match) return null;
  const value = Number(match[1]) * (match[2] === "k" ? 1000 : 1);
  return value > 0 ? value : null;
}

/** Frames between two processed ones for `sampleFps` frames per second of video (1: every frame). */
export function samplingStride(fps: number, sampleFps: number | undefined): number {
  if (sampleFps === undefined) return 1;
  if (!(sampleFps > 0)) throw new RangeError(`sample fps must be positive, got ${sampleFps}`);
  return Math.max(1, Math.round(fps / sampleFps));
}
