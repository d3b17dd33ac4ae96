/**
 * The video run's progress line on a terminal's stderr — frames done/total, fps, ETA, flagged,
 * errors, failed sources — and the summary printed at the end (on any stderr).
 */
import type { PipelineStatus } from "../video/status.js";

interface Terminal {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const REDRAW_MS = 200;

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Sum of the file sources' frame counts, when every source is a file whose count is known. */
export function totalFrames(status: PipelineStatus): number | null {
  if (status.sources.length === 0 || status.sources.some((s) => s.totalFrames === null)) return null;
  return status.sources.reduce((sum, s) => sum + (s.totalFrames ?? 0), 0);
}

/**
 * What failed in a run: frames that failed in the workflow or that a source lost (a decoding
 * error, a file ending early), and sources that failed — could not be opened, or gave up.
 */
export function runFailures(status: PipelineStatus): { errors: number; failedSources: number } {
  const failedSources = status.sources.filter((source) => source.state === "failed").length;
  // A source's error count includes its one "failed" event.
  const lostFrames = status.sources.reduce((sum, source) => sum + source.errors - (source.state === "failed" ? 1 : 0), 0);
  return { errors: status.errors + lostFrames, failedSources };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export function progressText(status: PipelineStatus): string {
  const total = totalFrames(status);
  const done = total === null ? `${status.frames}` : `${status.frames}/${total}`;
  const eta = total !== null && status.fps > 0 ? `  ETA ${clock((total - status.frames) / status.fps)}` : "";
  const { errors, failedSources } = runFailures(status);
  return (
    `frames ${done}  ${status.fps.toFixed(1)} fps${eta}  flagged ${status.flagged}  errors ${errors}` +
    (failedSources ? `  failed sources ${failedSources}` : "") +
    (status.dropped ? `  dropped ${status.dropped}` : "")
  );
}

export class ProgressLine {
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: Terminal = process.stderr) {}

  /** Redraws when due; `status` is asked only then (a pipeline's status sorts its latencies). */
  update(status: () => PipelineStatus): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    this.stream.write(`\r\x1b[2K${progressText(status())}`);
  }

  /** Clears the line so that the next message starts clean. */
  clear(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }
}

export function summaryText(status: PipelineStatus): string {
  const inference = status.latency.inference;
  const { errors, failedSources } = runFailures(status);
  return [
    `sightline: ${plural(status.frames, "frame")} in ${clock(status.elapsed_s)} (${status.fps.toFixed(1)} fps), ` +
      `${status.flagged} flagged, ${status.dropped} dropped, ${plural(errors, "error")}, ` +
      `${failedSources} of ${plural(status.sources.length, "source")} failed` +
      (inference.mean_ms !== null ? `; workflow ${inference.mean_ms.toFixed(1)} ms per tick (p99 ${inference.p99_ms?.toFixed(1)} ms)` : ""),
    ...status.sources.map(
      (s) =>
        `  source ${s.source} (${s.reference}): ${s.state}, ${s.framesDelivered} frames` +
        (s.framesDropped ? `, ${s.framesDropped} dropped` : "") +
        (s.framesWithoutPixels ? ` (${s.framesWithoutPixels} without pixels: no step reads them)` : "") +
        (s.reconnects ? `, ${s.reconnects} reconnects` : "") +
        (s.errors ? `, ${plural(s.errors, "error")}` : ""),
    ),
  ].join("\n");
}
