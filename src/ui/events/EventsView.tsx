/**
 * The event record (docs/guides/ui.md#events): the flagged frames the server kept, newest first,
 * a page at a time (`GET /events`, cursor pages), filtered by pipeline, source and time; one
 * opened with its snapshot, what is known of it, its outputs and the frames kept around it.
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, type ApiClient } from "../api.js";
import { errorMessage } from "../app/hooks.js";
import { OutputValues, timeOf } from "../run/panels.js";
import type { EventJson, EventFilters, EventSummaryJson } from "../wire.js";
import { aroundStrip, filtersFromForm, type FilterForm } from "./event-filters.js";

const PAGE_SIZE = "48";
const EMPTY_FORM: FilterForm = { pipeline_id: "", source: "", since: "", until: "" };

interface Listing {
  events: EventSummaryJson[];
  nextCursor: string | null;
  total: number;
}

/** 501 under `serve --redis`: the workers keep no events, which the page says instead of an error. */
function problemOf(error: unknown): { unavailable: boolean; message: string } {
  return { unavailable: error instanceof ApiError && error.status === 501, message: errorMessage(error) };
}

export function EventsView({ client, active }: { client: ApiClient; active: boolean }) {
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [filters, setFilters] = useState<EventFilters>({});
  const [listing, setListing] = useState<Listing | null>(null);
  const [problem, setProblem] = useState<{ unavailable: boolean; message: string } | null>(null);
  const [loading, setLoading] = useState(false);
  const [reloads, setReloads] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);

  // Opening the page (or changing its filters) reads the newest page again: events keep coming.
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    setLoading(true);
    client.events({ ...filters, limit: PAGE_SIZE }, null, controller.signal).then(
      (page) => {
        setListing({ events: page.events, nextCursor: page.next_cursor, total: page.total });
        setProblem(null);
        setLoading(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setProblem(problemOf(error));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [client, filters, active, reloads]);

  const loadMore = async () => {
    if (!listing?.nextCursor) return;
    setLoading(true);
    try {
      const page = await client.events({ ...filters, limit: PAGE_SIZE }, listing.nextCursor);
      setListing({ events: [...listing.events, ...page.events], nextCursor: page.next_cursor, total: page.total });
    } catch (error) {
      setProblem(problemOf(error));
    }
    setLoading(false);
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const read = filtersFromForm(form);
    if ("problem" in read) {
      setProblem({ unavailable: false, message: read.problem });
      return;
    }
    setFilters(read.filters);
    setReloads((count) => count + 1);
  };

  return (
    <div className="events">
      <section className="panel events-filters" aria-labelledby="events-filters-title">
        <h2 id="events-filters-title">Filters</h2>
        <form onSubmit={apply} className="events-filter-form">
          <FilterInput label="Pipeline" value={form.pipeline_id} onChange={(pipeline_id) => setForm({ ...form, pipeline_id })} placeholder="any pipeline id" />
          <FilterInput label="Source" value={form.source} onChange={(source) => setForm({ ...form, source })} placeholder="any source name" />
          <FilterInput label="Recorded since" type="datetime-local" value={form.since} onChange={(since) => setForm({ ...form, since })} />
          <FilterInput label="Recorded before" type="datetime-local" value={form.until} onChange={(until) => setForm({ ...form, until })} />
          <div className="button-row">
            <button type="submit" className="primary">
              Apply
            </button>
            <button
              type="button"
              onClick={() => {
                setForm(EMPTY_FORM);
                setFilters({});
                setReloads((count) => count + 1);
              }}
            >
              Clear
            </button>
          </div>
        </form>
      </section>
      <section className="panel events-list-panel" aria-labelledby="events-title" aria-busy={loading}>
        <div className="events-head">
          <h2 id="events-title">
            Events{" "}
            {listing && (
              <span className="muted">
                ({listing.total} recorded{Object.keys(filters).length > 0 ? ", filtered" : ""})
              </span>
            )}
          </h2>
          <button type="button" onClick={() => setReloads((count) => count + 1)} disabled={loading}>
            Refresh
          </button>
        </div>
        {problem?.unavailable ? (
          <p className="banner warning" role="status">
            This server keeps no events: its pipelines run on worker processes (<code>serve --redis</code>), which do not record them yet.
          </p>
        ) : problem ? (
          <p className="error" role="alert">
            {problem.message}
          </p>
        ) : null}
        {listing && listing.events.length === 0 && !problem && (
          <p className="muted">No event yet. Frames a pipeline flags are kept here, with their snapshots, across restarts.</p>
        )}
        {listing && listing.events.length > 0 && (
          <ul className="gallery events-gallery" aria-label="Events">
            {listing.events.map((event) => (
              <li key={event.id} className={`gallery-item${selected === event.id ? " selected" : ""}`}>
                <button
                  type="button"
                  className="event-card"
                  aria-label={`Frame ${event.frame_number} of ${event.source}, ${timeOf(event.frame_timestamp)}`}
                  aria-pressed={selected === event.id}
                  onClick={() => setSelected(event.id)}
                >
                  {event.thumbnail_url ? (
                    <img src={client.pictureUrl(event.thumbnail_url)} alt="" loading="lazy" />
                  ) : (
                    <div className="gallery-missing">no snapshot</div>
                  )}
                  <span className="gallery-caption">
                    <strong>Frame {event.frame_number}</strong>
                    <span>{timeOf(event.frame_timestamp)}</span>
                    <span className="muted">
                      {event.source}
                      {event.score !== null ? ` · ${event.score.toPrecision(3)}` : ""}
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {listing?.nextCursor && (
          <div className="button-row">
            <button type="button" onClick={() => void loadMore()} disabled={loading}>
              Older events
            </button>
          </div>
        )}
      </section>
      {selected && <EventPanel client={client} id={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}

function FilterInput({
  label,
  value,
  onChange,
  placeholder,
  type = "text",
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  type?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} value={value} placeholder={placeholder} onChange={(event) => onChange(event.target.value)} />
    </div>
  );
}

/** One event opened: `GET /events/{id}`. */
function EventPanel({ client, id, onClose }: { client: ApiClient; id: string; onClose: () => void }) {
  const [detail, setDetail] = useState<{ id: string; event: EventJson } | { id: string; error: string } | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    client.event(id, controller.signal).then(
      (event) => setDetail({ id, event }),
      (error: unknown) => !controller.signal.aborted && setDetail({ id, error: errorMessage(error) }),
    );
    return () => controller.abort();
  }, [client, id]);
  const current = detail?.id === id ? detail : null;
  return (
    <section className="panel event-panel" aria-labelledby="event-title" aria-busy={current === null}>
      <div className="events-head">
        <h2 id="event-title">{current && "event" in current ? `Frame ${current.event.frame_number} of ${current.event.source}` : "Event"}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {current === null && <p className="muted">Loading…</p>}
      {current && "error" in current && (
        <p className="error" role="alert">
          {current.error}
        </p>
      )}
      {current && "event" in current && <EventJsons client={client} event={current.event} />}
    </section>
  );
}

function EventJsons({ client, event }: { client: ApiClient; event: EventJson }) {
  const facts: [string, string][] = [
    ["source", `${event.source} (#${event.source_index})`],
    ["frame", String(event.frame_number)],
    ["frame time", event.frame_timestamp],
    ["recorded", event.created_at],
    ["score", event.score === null ? "—" : `${event.score} (${event.score_output})`],
    ["flags", event.flags.join(", ") || "—"],
    ["pipeline", event.pipeline_id],
    ["id", event.id],
  ];
  const strip = aroundStrip(event);
  return (
    <div className="event-details">
      {event.image_url ? (
        <img className="event-snapshot" src={client.pictureUrl(event.image_url)} alt={`Snapshot of frame ${event.frame_number}`} />
      ) : (
        <p className="muted">No snapshot: no step of the workflow read this frame's pixels.</p>
      )}
      <dl className="status-grid event-facts" aria-label="Event">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {strip.length > 1 && (
        <>
          <h3>Frames around it</h3>
          <ol className="event-around" aria-label="Frames around the event">
            {strip.map((frame) => (
              <li key={frame.frame_number} className={frame.offset === 0 ? "event-around-self" : undefined}>
                <figure>
                  {frame.image_url ? (
                    <img src={client.pictureUrl(frame.image_url)} alt={`Frame ${frame.frame_number}`} />
                  ) : (
                    <div className="gallery-missing">no snapshot</div>
                  )}
                  <figcaption>
                    {frame.offset === 0 ? "flagged" : frame.offset > 0 ? `+${frame.offset}` : frame.offset} · frame {frame.frame_number}
                  </figcaption>
                </figure>
              </li>
            ))}
          </ol>
        </>
      )}
      <h3>Outputs</h3>
      <OutputValues outputs={event.outputs} />
    </div>
  );
}
