/**
 * Selecting events (docs/reference/events.md#queries): filters, then pages newest first with a
 * cursor — the id of the last event of the previous page — so that events recorded meanwhile
 * never shift a page the way an offset would.
 */
import type { EventPage, EventQuery, EventSummary } from "./types.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function matches(event: EventSummary, query: EventQuery): boolean {
  if (query.pipeline_id !== undefined && event.pipeline_id !== query.pipeline_id) return false;
  if (query.source !== undefined && event.source !== query.source) return false;
  const at = Date.parse(event.created_at);
  if (query.since !== undefined && at < query.since.getTime()) return false;
  if (query.until !== undefined && at >= query.until.getTime()) return false;
  return true;
}

/** One page of `events` (in the order recorded) matching `query`: the newest older than `cursor`. */
export function selectPage(events: readonly EventSummary[], query: EventQuery, page: { limit?: number; cursor?: string } = {}): EventPage {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  const selected = events.filter((event) => matches(event, query));
  const older = page.cursor === undefined ? selected : selected.filter((event) => event.id < page.cursor!);
  const newest = older.slice(-limit).reverse();
  const more = older.length > limit;
  return { events: newest, next_cursor: more ? newest[newest.length - 1].id : null, total: selected.length };
}
