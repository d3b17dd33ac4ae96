/** The Events page's pure parts: its filter form read into `GET /events` filters, and the strip of frames around an event. */
import type { EventJson, EventFilters } from "../wire.js";

/** What the filter form holds: texts, and `datetime-local` values (local time, no zone). */
export interface FilterForm {
  pipeline_id: string;
  source: string;
  since: string;
  until: string;
}

/** A local `datetime-local` value as the ISO time the server compares with `created_at`. */
function isoOf(local: string): string | null {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The filters to send (empty fields left out), or what is wrong with the form. */
export function filtersFromForm(form: FilterForm): { filters: EventFilters } | { problem: string } {
  const filters: EventFilters = {};
  if (form.pipeline_id.trim()) filters.pipeline_id = form.pipeline_id.trim();
  if (form.source.trim()) filters.source = form.source.trim();
  for (const key of ["since", "until"] as const) {
    if (!form[key]) continue;
    const iso = isoOf(form[key]);
    if (iso === null) return { problem: `“${form[key]}” is no date and time.` };
    filters[key] = iso;
  }
  if (filters.since && filters.until && filters.since >= filters.until) return { problem: "“Recorded since” must come before “Recorded before”." };
  return { filters };
}

export interface StripFrame {
  /** 0 for the flagged frame itself. */
  offset: number;
  frame_number: number;
  image_url: string | null;
}

/** The flagged frame amid the frames kept around it, in frame order; just the frame when none were kept. */
export function aroundStrip(event: EventJson): StripFrame[] {
  const self: StripFrame = { offset: 0, frame_number: event.frame_number, image_url: event.image_url };
  const around = event.around.map(({ offset, frame_number, image_url }) => ({ offset, frame_number, image_url }));
  return [...around, self].sort((a, b) => a.frame_number - b.frame_number);
}
