/** What a `--video` reference names: a file, a live URL, a webcam or a folder of images. */
import { stat } from "node:fs/promises";
import type { SourceKind } from "./status.js";

/**
 * `file` and `image-folder` deliver every frame in order and end; `stream` (RTSP/HTTP/HLS/…)
 * and `webcam` are live: freshest frame only, reconnect, never end on their own.
 */

export function isLiveKind(kind: SourceKind): boolean {
  return kind === "stream" || kind === "webcam";
}

const STREAM_URL = /^(rtsps?|rtmps?|https?|udp|tcp|srt|rtp|rist):\/\//i;
const WEBCAM_DEVICE = /^\/dev\/video\d+$/;

/**
 * Decides a reference's kind. A bare small integer names webcam `/dev/video<N>` (as upstream's
 * integer device ids) unless a file of that name exists. Anything else that is not an existing
 * directory is taken as a video file; a missing one fails when the source opens, with its path.
 */
export async function classifyReference(reference: string): Promise<{ kind: SourceKind; reference: string }> {
  if (STREAM_URL.test(reference)) return { kind: "stream", reference };
  if (WEBCAM_DEVICE.test(reference)) return { kind: "webcam", reference };
  const info = await stat(reference).catch(() => null);
  if (info?.isDirectory()) return { kind: "image-folder", reference };
  if (!info && /^\d{1,2}$/.test(reference) && process.platform === "linux") {
    return { kind: "webcam", reference: `/dev/video${reference}` };
  }
  return { kind: "file", reference };
}

/**
 * Splits the CLI form `name=reference`. The part before `=` is a name only if it looks like one
 * (letters, digits, `_`, `-`, `.`), so URLs with query strings (`http://h/s?a=b`) stay whole.
 */
export function parseVideoArgument(argument: string): { name?: string; reference: string } {
  const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(argument);
  if (!match) return { reference: argument };
  return { name: match[1], reference: match[2] };
}

/** `rtsp://user:secret@cam/x` → `rtsp://user:***@cam/x`: references reach logs and JSON output. */
export function redactReference(reference: string): string {
  return reference.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i, "$1:***@");
}

/** What a source is called in status, events, messages and logs: its `shownAs`, else its reference with any password masked. */
export function shownReference(source: { reference: string; shownAs?: string }): string {
  return source.shownAs ?? redactReference(source.reference);
}
