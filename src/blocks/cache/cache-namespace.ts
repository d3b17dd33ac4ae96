/**
 * The cache blocks share one engine-wide dictionary per namespace, the video identifier of the
 * step's image (docs/reference/blocks.md#cache-set) — for a still image upstream's synthetic
 * identifier, its parent id.
 */
import type { StepContext } from "../../block-api/index.js";
import type { WorkflowImage } from "../../images/index.js";

export function cacheFor(image: WorkflowImage, ctx: StepContext<unknown>): Record<string, unknown> {
  return ctx.shared.namespace(image.videoMetadata.video_identifier || "default");
}
