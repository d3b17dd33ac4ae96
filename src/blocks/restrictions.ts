/**
 * Upstream marks blocks whose results only mean something in a long-lived engine with "soft
 * restrictions" (`prototypes/block.py`). The same notes, worded for sightline, shown by the
 * describe routes and the editor.
 */

/** identify_changes, identify_outliers, buffer, the detectors (upstream `STATEFUL_VIDEO_HTTP_SOFT_RESTRICTION`). */
export const STATEFUL_STREAM_RESTRICTION =
  "Keeps state between runs, per stream: meaningful on video or in a long-lived engine; a one-off HTTP request starts from scratch.";

/** The same blocks on unrelated still images. */
export const STILL_IMAGE_RESTRICTION = "Compares each frame with earlier ones; on unrelated still images the result has no meaning.";

/** rate_limiter (upstream `COOLDOWN_HTTP_SOFT_RESTRICTION`). */
export const COOLDOWN_RESTRICTION =
  "Remembers when it last let the branch run: throttles only within a long-lived engine; a one-off HTTP request always passes.";

/** cache_get / cache_set (upstream `IN_PROCESS_CACHE_HTTP_SOFT_RESTRICTION`). */
export const IN_PROCESS_CACHE_RESTRICTION =
  "Values live in the engine's memory, per video identifier: reliable only when one long-lived engine sees every frame of a stream.";
