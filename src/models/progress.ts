/**
 * A one-line progress bar for downloads on a terminal:
 * `onnx/vision_model.onnx  [##########----------]  48%  167.2 MB / 351.5 MB  21.3 MB/s`.
 * Only for a TTY (a log file or a pipe gets nothing), redrawn at most ten times a second.
 */
import type { DownloadProgress } from "./download.js";

interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const REDRAW_MS = 100;
const BAR_WIDTH = 24;

/** A progress callback drawing on `stream`, or null when `stream` is not a terminal. */
export function createProgressBar(stream: ProgressStream = process.stderr): ((progress: DownloadProgress) => void) | null {
  if (!stream.isTTY) return null;
  let lastDraw = 0;
  return (progress) => {
    const now = performance.now();
    if (!progress.done && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    const line = progressLine(progress, stream.columns ?? 80);
    stream.write(`\r\x1b[2K${line}${progress.done ? "\n" : ""}`);
  };
}

/** One line no wider than `columns - 1`: the bar goes first, then the label shortens from the left. */
export function progressLine(progress: DownloadProgress, columns: number): string {
  const { bytesDone, bytesTotal, bytesPerSecond } = progress;
  const rate = `${formatBytes(bytesPerSecond)}/s`;
  let bar = "";
  let amount = formatBytes(bytesDone);
  if (bytesTotal !== null && bytesTotal > 0) {
    const fraction = Math.min(1, bytesDone / bytesTotal);
    const filled = Math.round(fraction * BAR_WIDTH);
    bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] `;
    amount = `${`${Math.floor(fraction * 100)}%`.padStart(4)}  ${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)}`;
  }
  const width = columns - 1;
  const minLabel = 12;
  let tail = `  ${bar}${amount}  ${rate}`;
  if (progress.label.length + tail.length > width && minLabel + tail.length > width) tail = `  ${amount}  ${rate}`;
  const room = Math.max(minLabel, width - tail.length);
  const label = progress.label.length > room ? `…${progress.label.slice(progress.label.length - room + 1)}` : progress.label;
  return `${label}${tail}`.slice(0, width);
}

export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
