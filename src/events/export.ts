/**
 * A selection of events as a dataset for re-training (docs/reference/events.md#export): COCO
 * JSON — `annotations.json` next to `images/<event id>.jpg` — because the labelling and dataset
 * tools people re-train with (Roboflow, CVAT, FiftyOne, pycocotools, Label Studio's converter)
 * all import it. The frames come unlabelled (no `annotations`, no `categories`): labelling them
 * is what they are exported for. What sightline knows of each frame rides along in its image
 * entry under `sightline`, which COCO readers ignore.
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EventStore } from "./store.js";
import type { EventQuery, EventRecord, EventSummary } from "./types.js";

export const COCO_FILE = "annotations.json";
export const IMAGES_FOLDER = "images";

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  /** The frame's timestamp. */
  date_captured: string;
  /** The frames around the event stay out: the dataset is of the flagged frames. */
  sightline: Omit<EventRecord, "id" | "image" | "bytes" | "around"> & { event_id: string };
}

export interface CocoDataset {
  info: { description: string; version: string; year: number; date_created: string };
  licenses: [];
  images: CocoImage[];
  annotations: [];
  categories: [];
}

/** What an export wrote: images, and events left out for having no snapshot (or losing it to retention meanwhile). */
export interface ExportSummary {
  images: number;
  skipped: number;
}

function cocoImage(position: number, event: EventRecord, width: number, height: number): CocoImage {
  const { id, image: _image, bytes: _bytes, around: _around, ...facts } = event;
  return { id: position, file_name: `${id}.jpg`, width, height, date_captured: event.frame_timestamp, sightline: { event_id: id, ...facts } };
}

/** One event's image copied and described; null when it has no snapshot (or lost it to retention meanwhile). */
async function exportOne(store: EventStore, summary: EventSummary, outDir: string, position: number): Promise<CocoImage | null> {
  const path = store.picturePath(summary.id, "image");
  const event = path && summary.image ? await store.get(summary.id) : undefined;
  if (!path || !summary.image || !event) return null;
  try {
    await copyFile(path, join(outDir, IMAGES_FOLDER, `${summary.id}.jpg`));
  } catch {
    return null;
  }
  return cocoImage(position, event, summary.image.width, summary.image.height);
}

/** Writes the events matching `query` to `outDir` (created if needed; files of the same names replaced). */
export async function exportCoco(store: EventStore, query: EventQuery, outDir: string, now = new Date()): Promise<ExportSummary> {
  await mkdir(join(outDir, IMAGES_FOLDER), { recursive: true });
  const images: CocoImage[] = [];
  let skipped = 0;
  for (const summary of store.select(query)) {
    const image = await exportOne(store, summary, outDir, images.length + 1);
    if (image) images.push(image);
    else skipped++;
  }
  const dataset: CocoDataset = {
    info: { description: "sightline events", version: "1.0", year: now.getUTCFullYear(), date_created: now.toISOString() },
    licenses: [],
    images,
    annotations: [],
    categories: [],
  };
  await writeFile(join(outDir, COCO_FILE), JSON.stringify(dataset, null, 1));
  return { images: images.length, skipped };
}
