/**
 * The event record (docs/reference/events.md): flagged frames kept on disk with their snapshots,
 * queried, trimmed by age and size, and exported as a dataset.
 */
export {
  DEFAULT_FRAMES_AROUND,
  DEFAULT_RETENTION,
  EventStore,
  EventStoreError,
  isEventId,
  type AroundPicture,
  type EventPicture,
  type EventStoreOptions,
  type NewEvent,
} from "./store.js";
export { COCO_FILE, IMAGES_FOLDER, exportCoco, type CocoDataset, type CocoImage, type ExportSummary } from "./export.js";
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./query.js";
export { eventScore } from "./score.js";
export { EventRecorder, type EventRecorderOptions } from "./recorder.js";
export { flaggedPictures, jpegDataUrl, snapshotOf, thumbnailJpeg, THUMBNAIL_WIDTH, type Snapshot } from "./snapshot.js";
export type * from "./types.js";
