/**
 * The event record over HTTP (docs/reference/events.md#http): flagged frames of the server's
 * pipelines, kept with their snapshots.
 *
 * - `GET /events?pipeline_id&source&since&until&limit&cursor` → `{events: [summary + image_url,
 *   thumbnail_url], next_cursor, total}`, newest first; `cursor` is the previous page's
 *   `next_cursor`. A malformed parameter → 400 `BadRequestError`.
 * - `GET /events/{id}` → the event with its `outputs` and the frames `around` it, each with its
 *   `image_url`; unknown id → 404 `NotFoundError`.
 * - `GET /events/{id}/image`, `GET /events/{id}/thumbnail` → `image/jpeg`; 404 when the event
 *   has no snapshot.
 * - `GET /events/{id}/around/{frame_number}` → `image/jpeg`; 404 when the event has no such frame.
 * - `GET /events/export?<the filters>` → the selection as a COCO dataset in a tar archive.
 *
 * With `--redis` the workers keep no events: every route answers 501 `EventsNotAvailableError`.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { COCO_FILE, exportCoco, IMAGES_FOLDER, isEventId, MAX_PAGE_SIZE, type EventPicture, type EventStore } from "../events/index.js";
import type { EventJson, EventLinks, EventQuery, EventRecord, EventSummary } from "../events/types.js";
import type { ServerContext } from "./context.js";
import { HttpError, notFound } from "./errors.js";
import { tarStream } from "./tar.js";

const isoDate = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 date, e.g. 2026-11-27T08:00:00Z")
  .transform((text) => new Date(text));

const FilterSchema = z.object({
  pipeline_id: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
});

const PageSchema = FilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().refine(isEventId, "expected the next_cursor of a previous page").optional(),
});

type WithId = FastifyRequest<{ Params: { id: string } }>;
type WithFrame = FastifyRequest<{ Params: { id: string; frame_number: string } }>;

function parseQuery<S extends z.ZodType>(schema: S, query: unknown, route: string): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "query"}: ${issue.message}`).join("; ");
  return badRequest(`Invalid query for ${route}: ${problems}`);
}

function badRequest(message: string): never {
  throw new HttpError(400, "BadRequestError", message, { context: "request_validation" });
}

function notAvailable(): HttpError {
  return new HttpError(
    501,
    "EventsNotAvailableError",
    "This server's pipelines run on sightline worker processes (--redis), which keep no events yet (docs/reference/events.md#with-redis).",
    { context: "events" },
  );
}

export function eventNotFound(id: string): HttpError {
  return notFound(`No event "${id}" (never recorded, or removed by retention).`);
}

function links(event: EventSummary): EventLinks {
  if (!event.image) return { image_url: null, thumbnail_url: null };
  return { image_url: `/events/${event.id}/image`, thumbnail_url: `/events/${event.id}/thumbnail` };
}

function eventJson(event: EventRecord): EventJson {
  const around = event.around.map((frame) => ({ ...frame, image_url: `/events/${event.id}/around/${frame.frame_number}` }));
  return { ...event, ...links(event), around };
}

/** An event's pictures never change. */
function sendJpeg(reply: FastifyReply, path: string): FastifyReply {
  return reply.type("image/jpeg").header("cache-control", "private, max-age=31536000, immutable").send(createReadStream(path));
}

export function registerEventRoutes(app: FastifyInstance, context: ServerContext): void {
  const store = (): EventStore => {
    if (!context.events) throw notAvailable();
    return context.events;
  };

  app.get("/events", async (request) => {
    const { limit, cursor, ...filters } = parseQuery(PageSchema, request.query, "GET /events");
    const page = store().list(filters, { limit, cursor });
    return { ...page, events: page.events.map((event) => ({ ...event, ...links(event) })) };
  });

  app.get("/events/export", async (request, reply) => exportArchive(store(), parseQuery(FilterSchema, request.query, "GET /events/export"), reply));

  app.get("/events/:id", async (request: WithId) => {
    const { id } = request.params;
    const event = isEventId(id) ? await store().get(id) : undefined;
    if (!event) throw eventNotFound(id);
    return eventJson(event);
  });

  const picture = (kind: EventPicture) => async (request: WithId, reply: FastifyReply) => {
    const { id } = request.params;
    if (!isEventId(id) || !store().summary(id)) throw eventNotFound(id);
    const path = store().picturePath(id, kind);
    if (!path) throw notFound(`Event "${id}" has no snapshot: no step read its frame's pixels (docs/reference/events.md#snapshots).`);
    return sendJpeg(reply, path);
  };
  app.get("/events/:id/image", picture("image"));
  app.get("/events/:id/thumbnail", picture("thumbnail"));

  app.get("/events/:id/around/:frame_number", async (request: WithFrame, reply) => {
    const { id, frame_number } = request.params;
    if (!isEventId(id) || !store().summary(id)) throw eventNotFound(id);
    const frameNumber = /^[1-9]\d{0,15}$/.test(frame_number) ? Number(frame_number) : undefined;
    const path = frameNumber === undefined ? undefined : await store().aroundPicturePath(id, frameNumber);
    if (!path) throw notFound(`Event "${id}" keeps no frame ${frame_number} around it (docs/reference/events.md#frames-around).`);
    return sendJpeg(reply, path);
  });
}

/** The selection as `sightline events export` writes it, archived: `annotations.json` and `images/`. */
async function exportArchive(store: EventStore, query: EventQuery, reply: FastifyReply): Promise<FastifyReply> {
  const folder = await mkdtemp(join(tmpdir(), "sightline-export-"));
  try {
    await exportCoco(store, query, folder);
    const images = (await readdir(join(folder, IMAGES_FOLDER))).sort().map((name) => `${IMAGES_FOLDER}/${name}`);
    const archive = tarStream(folder, [COCO_FILE, ...images]);
    archive.once("close", () => void rm(folder, { recursive: true, force: true }));
    return reply.type("application/x-tar").header("content-disposition", 'attachment; filename="sightline-events.tar"').send(archive);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
