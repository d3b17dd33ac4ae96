/**
 * The event record from the command line (docs/reference/events.md): the flags `serve` and
 * `run --events` share (retention, frames around), and `sightline events export`, which writes a selection as a COCO
 * dataset — read-only, so it works while a server holds the folder.
 */
import { join } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_FRAMES_AROUND, DEFAULT_RETENTION, EventStore, exportCoco, type EventQuery, type RetentionLimits } from "../../events/index.js";
import { UsageError } from "../failure.js";
import { positiveNumber } from "../io.js";
import { nonNegativeInteger } from "./serve-options.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;

export interface EventRecordCliOptions {
  eventsMaxAgeDays: number;
  eventsMaxMb: number;
  eventFramesAround: number;
}

export function addEventRecordOptions(command: Command): Command {
  return command
    .option("--events-max-age-days <n>", "events older than this are removed", positiveNumber, DEFAULT_RETENTION.maxAgeMs / DAY_MS)
    .option("--events-max-mb <n>", "beyond this many MiB of events, the oldest are removed", positiveNumber, DEFAULT_RETENTION.maxBytes / MIB)
    .option("--event-frames-around <n>", "sampled frames kept before and after each event (0: none)", nonNegativeInteger, DEFAULT_FRAMES_AROUND);
}

export function retentionOf(options: EventRecordCliOptions): RetentionLimits {
  return { maxAgeMs: options.eventsMaxAgeDays * DAY_MS, maxBytes: Math.round(options.eventsMaxMb * MIB) };
}

/** `--since` / `--until`: an ISO 8601 date. */
export function isoDate(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new InvalidArgumentError("expected an ISO 8601 date, e.g. 2026-11-27T08:00:00Z");
  return at;
}

export interface EventsExportOptions {
  dataDir?: string;
  events?: string;
  out: string;
  pipelineId?: string;
  source?: string;
  since?: Date;
  until?: Date;
}

export async function eventsExportCommand(options: EventsExportOptions): Promise<number> {
  if ((options.dataDir === undefined) === (options.events === undefined)) {
    throw new UsageError("events export needs exactly one of --data-dir DIR (a server's) or --events DIR (a run's)");
  }
  const dir = options.events ?? join(options.dataDir!, "events");
  const store = await EventStore.open(dir, { readOnly: true });
  const query: EventQuery = { pipeline_id: options.pipelineId, source: options.source, since: options.since, until: options.until };
  const { images, skipped } = await exportCoco(store, query, options.out);
  process.stderr.write(
    `sightline: ${images} event image(s) written to ${options.out} (annotations.json, images/)${skipped ? `; ${skipped} event(s) without a snapshot left out` : ""}\n`,
  );
  return 0;
}
