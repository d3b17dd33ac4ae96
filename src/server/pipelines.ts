/**
 * Stream pipelines, upstream's `/inference_pipelines/*` (docs/reference/http.md#stream-pipelines).
 * Answers use upstream's `CommandResponse` shape: `{status: "success", context: {request_id,
 * pipeline_id}, ...}`.
 *
 * - `POST /inference_pipelines/initialise` — sightline's flat body
 *   `{video_reference: string | number | (string | number)[], workflow_specification | specification,
 *   workflows_parameters?, max_fps?, image_input_name? ("image"), video_metadata_input_name?
 *   ("video_metadata"), flag_outputs? (default: outputs named is_outlier or …_is_outlier), results_buffer_size?, api_key?}`, or
 *   upstream's nested `InitialisePipelinePayload` (`video_configuration`, `processing_configuration`,
 *   `sink_configuration`). A reference may be `name=<ref>` (names the source, as the CLI), a
 *   stream URL, `upload:<id>` (see `POST /uploads`), and — only with `--allow-local-video` — a
 *   server-side path or device (see `video-references.ts` for why). → `{status, context}`.
 * - `GET /inference_pipelines/list` → `{status, context, pipelines: [id], details: [{pipeline_id,
 *   state, created_at}]}`
 * - `GET /inference_pipelines/{id}/status` → `{status, context, report}`: `VideoPipeline.status()`
 *   (state, counts, fps, latency, per-source stats incl. `state: "failed"`) plus `pipeline_id`,
 *   `created_at`, `buffered_results`, `results_dropped`, the latest `source_events`, and upstream's
 *   keys made from them (`src/service/upstream-report.ts`).
 * - `POST /inference_pipelines/{id}/pause | resume | terminate` → `{status, context}`. Pause takes
 *   effect between ticks; live sources keep decoding (and dropping) meanwhile.
 * - `GET|POST /inference_pipelines/{id}/consume` (body `{excluded_fields?}`, on GET too) → frame results
 *   since the last consume: `{status, context, frames: [{source, source_index, frame_number,
 *   frame_timestamp, outputs, error?, flagged}], dropped, outputs, frames_metadata}`. `dropped`
 *   counts results that fell out of the pipeline's bounded buffer since the last consume.
 *   `outputs` and `frames_metadata: [{frame_timestamp, frame_id, source_id}]` repeat the same
 *   frames in upstream's `ConsumePipelineResponse` form (aligned lists).
 *
 * Live events, for the web UI — `GET /inference_pipelines/{id}/events` (Server-Sent Events,
 * `text/event-stream`; `?api_key=` works where headers cannot be set):
 * - `event: frame`, one per processed frame: `{source, source_index, frame_number,
 *   frame_timestamp, outputs, error?, flagged, thumbnail?}` — `outputs` serialised as
 *   `/workflows/run` does (images as base64 JPEG); `thumbnail` is a JPEG data URL of the input
 *   frame at most 160 px wide, present exactly when the frame is flagged.
 * - `event: status`, at once and then every second: the status `report` above plus
 *   `sse_skipped_frames` (frame events this client missed because it read too slowly; such
 *   frames are still in `consume`).
 * - `: heartbeat` comment lines every 15 s keep proxies from closing an idle stream.
 * - `event: end` `{state}` when the pipeline ends (its sources ended, it failed, or it was
 *   terminated), after a last `status`; then the server closes the stream. A client that goes
 *   away is unsubscribed at once.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ServerContext } from "./context.js";
import { definitionFetchNotSupported } from "./errors.js";
import type { PipelineEvent } from "../service/types.js";
import type { FrameEvent, FrameRecord, PipelineReport, StatusEvent } from "./wire.js";
import { parseBody } from "./requests.js";
import { resolveVideoReference } from "./video-references.js";
import { isJsonObject } from "../definition/json.js";

const ROUTE = "POST /inference_pipelines/initialise";

const VideoReference = z.union([z.string().min(1), z.number().int().nonnegative()]);

const InitialiseSchema = z
  .object({
    video_reference: z.union([VideoReference, z.array(VideoReference).min(1)]),
    workflow_specification: z.record(z.string(), z.unknown()).nullish(),
    specification: z.record(z.string(), z.unknown()).nullish(),
    workspace_name: z.string().nullish(),
    workflow_id: z.string().nullish(),
    workflows_parameters: z.record(z.string(), z.unknown()).nullish(),
    max_fps: z.number().positive().nullish(),
    image_input_name: z.string().min(1).nullish(),
    video_metadata_input_name: z.string().min(1).nullish(),
    flag_outputs: z.array(z.string()).nullish(),
    results_buffer_size: z.number().int().positive().nullish(),
    api_key: z.string().nullish(),
  })
  .refine((body) => body.workflow_specification || body.specification || (body.workspace_name && body.workflow_id), {
    message: "give the workflow as workflow_specification (or specification)",
    path: ["workflow_specification"],
  });

const ConsumeSchema = z.object({ excluded_fields: z.array(z.string()).nullish() });

type WithId = FastifyRequest<{ Params: { id: string } }>;

/** Upstream's nested `InitialisePipelinePayload` → the flat body. */
export function flattenUpstreamPayload(body: unknown): unknown {
  if (!isJsonObject(body) || !isJsonObject(body.video_configuration)) return body;
  const video = body.video_configuration;
  const processing = isJsonObject(body.processing_configuration) ? body.processing_configuration : {};
  const sink = isJsonObject(body.sink_configuration) ? body.sink_configuration : {};
  return {
    video_reference: video.video_reference,
    max_fps: video.max_fps,
    workflow_specification: processing.workflow_specification,
    workspace_name: processing.workspace_name,
    workflow_id: processing.workflow_id,
    workflows_parameters: processing.workflows_parameters,
    image_input_name: processing.image_input_name,
    video_metadata_input_name: processing.video_metadata_input_name,
    results_buffer_size: sink.results_buffer_size,
    api_key: body.api_key,
  };
}

function commandContext(pipelineId: string | null): { request_id: string; pipeline_id: string | null } {
  return { request_id: randomUUID(), pipeline_id: pipelineId };
}

function frameMetadata(frame: FrameRecord): { frame_timestamp: string; frame_id: number; source_id: number } {
  return { frame_timestamp: frame.frame_timestamp, frame_id: frame.frame_number, source_id: frame.source_index };
}

/** Beyond this much unsent data, a slow SSE client misses frame events instead of growing the server's memory. */
const SSE_BACKLOG_BYTES = 4 * 1024 * 1024;

export function registerPipelineRoutes(app: FastifyInstance, context: ServerContext): void {
  const { pipelines } = context;

  app.post("/inference_pipelines/initialise", async (request) => {
    const body = parseBody(InitialiseSchema, flattenUpstreamPayload(request.body), ROUTE);
    const specification = body.workflow_specification ?? body.specification;
    if (!specification) throw definitionFetchNotSupported(body.workspace_name ?? "", body.workflow_id ?? "");
    const references = Array.isArray(body.video_reference) ? body.video_reference : [body.video_reference];
    const policy = { allowLocalVideo: context.limits.allowLocalVideo, uploads: context.uploads };
    const videos = await Promise.all(references.map((reference) => resolveVideoReference(reference, policy)));
    const id = await pipelines.start({
      specification,
      videos,
      params: body.workflows_parameters ?? {},
      maxFps: body.max_fps ?? undefined,
      imageInputName: body.image_input_name ?? "image",
      videoMetadataInputName: body.video_metadata_input_name ?? "video_metadata",
      flagOutputs: body.flag_outputs ?? undefined,
      bufferSize: Math.min(body.results_buffer_size ?? context.limits.pipelineResultsBuffer, context.limits.pipelineResultsBuffer),
    });
    return { status: "success", context: commandContext(id) };
  });

  app.get("/inference_pipelines/list", async () => {
    const details = await pipelines.list();
    return { status: "success", context: commandContext(null), pipelines: details.map((pipeline) => pipeline.pipeline_id), details };
  });

  app.get("/inference_pipelines/:id/status", async (request: WithId) => ({
    status: "success",
    context: commandContext(request.params.id),
    report: await pipelines.report(request.params.id),
  }));

  app.post("/inference_pipelines/:id/pause", async (request: WithId) => {
    await pipelines.pause(request.params.id);
    return { status: "success", context: commandContext(request.params.id) };
  });

  app.post("/inference_pipelines/:id/resume", async (request: WithId) => {
    await pipelines.resume(request.params.id);
    return { status: "success", context: commandContext(request.params.id) };
  });

  app.post("/inference_pipelines/:id/terminate", async (request: WithId) => {
    await pipelines.terminate(request.params.id);
    return { status: "success", context: commandContext(request.params.id) };
  });

  const consume = async (request: WithId) => {
    // GET bodies too: Roboflow's Python SDK sends `excluded_fields` in the body of a GET, as upstream reads it.
    const body = parseBody(ConsumeSchema, request.body, `${request.method} /inference_pipelines/{id}/consume`);
    const { frames, dropped } = await pipelines.consume(request.params.id, body.excluded_fields ?? []);
    return {
      status: "success",
      context: commandContext(request.params.id),
      frames,
      dropped,
      outputs: frames.map((frame) => frame.outputs),
      frames_metadata: frames.map(frameMetadata),
    };
  };
  app.get("/inference_pipelines/:id/consume", consume);
  app.post("/inference_pipelines/:id/consume", consume);

  app.get("/inference_pipelines/:id/events", async (request: WithId, reply) => {
    const id = request.params.id;
    const first = await pipelines.report(id); // an unknown id answers 404 before the stream opens
    await streamEvents(context, id, first, reply);
  });
}

/** Every open event stream gets the same frame event: its JSON (base64 images and all) is made once. */
const frameJson = new WeakMap<PipelineEvent, string>();

function frameEventJson(event: PipelineEvent & { type: "frame" }): string {
  let json = frameJson.get(event);
  if (json === undefined) {
    const frame: FrameEvent = event.thumbnail ? { ...event.record, thumbnail: event.thumbnail } : event.record;
    json = JSON.stringify(frame);
    frameJson.set(event, json);
  }
  return json;
}

async function streamEvents(context: ServerContext, id: string, first: PipelineReport, reply: FastifyReply): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  let sequence = 0;
  let skipped = 0;
  let closed = false;
  const send = (event: string, data: unknown) => sendJson(event, JSON.stringify(data));
  const sendJson = (event: string, json: string) => {
    if (!closed) response.write(`event: ${event}\nid: ${++sequence}\ndata: ${json}\n\n`);
  };
  const sendStatus = (report: PipelineReport) => {
    const status: StatusEvent = { ...report, sse_skipped_frames: skipped };
    send("status", status);
  };
  // A report that fails (the pipeline was terminated meanwhile) ends the stream at the next tick.
  const sendLatestStatus = () =>
    void context.pipelines.report(id).then(sendStatus, () => {
      send("end", { state: "terminated" });
      finish();
    });

  const onEvent = (event: PipelineEvent) => {
    if (event.type === "end") {
      sendStatus(event.report);
      send("end", { state: event.report.state });
      finish();
      return;
    }
    if (response.writableLength > SSE_BACKLOG_BYTES) {
      skipped++;
      return;
    }
    sendJson("frame", frameEventJson(event));
  };
  const subscription = await context.pipelines.subscribe(id, onEvent);
  const statusTimer = setInterval(sendLatestStatus, context.limits.sseStatusIntervalMs);
  const heartbeat = setInterval(() => {
    if (!closed) response.write(": heartbeat\n\n");
  }, context.limits.sseHeartbeatMs);

  function cleanUp(): void {
    if (closed) return;
    closed = true;
    subscription.unsubscribe();
    clearInterval(statusTimer);
    clearInterval(heartbeat);
    context.metrics.countRequest("GET", "/inference_pipelines/:id/events", 200);
  }
  function finish(): void {
    cleanUp();
    response.end();
  }
  response.on("close", cleanUp);

  sendStatus(first);
  if (subscription.ended) {
    send("end", { state: first.state });
    finish();
  }
}
