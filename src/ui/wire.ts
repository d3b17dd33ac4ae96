/**
 * The JSON the UI receives from the server. The server declares it (types only, no Node
 * imports, so the bundle can take them); the UI adds what it alone names.
 */

export type { BlockDescription, JsonSchema } from "../block-api/description.js";
export type { BlocksDescription } from "../describe/description.js";
export type { BlockErrorDetails, WorkflowErrorBody } from "../errors/index.js";
export type { EventJson, EventPage, EventSummaryJson, FrameEvent, PipelineReport, StatusEvent, UploadInfo, WorkflowExample } from "../server/wire.js";
export type { SourceEvent } from "../video/status.js";

/** An image in serialised outputs (`src/executor/serialise.ts`). */
export interface SerialisedImage {
  type: "base64";
  /** JPEG bytes, base64. */
  value: string;
}

/** The filters of `GET /events` as the Events page sends them (ISO times). */
export interface EventFilters {
  pipeline_id?: string;
  source?: string;
  since?: string;
  until?: string;
  limit?: string;
}
