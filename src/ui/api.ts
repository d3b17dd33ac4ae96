/**
 * The typed client of the sightline server the UI is served by (same origin). Every call sends
 * the API key when one is set (`Authorization: Bearer`; event streams, which cannot set headers,
 * get `?api_key=`). Failures throw `ApiError` with upstream's error body when the server sent one.
 */
import type {
  BlocksDescription,
  EventJson,
  EventFilters,
  EventPage,
  EventSummaryJson,
  FrameEvent,
  PipelineReport,
  UploadInfo,
  WorkflowErrorBody,
  WorkflowExample,
} from "./wire.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: WorkflowErrorBody | null,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

function isErrorBody(value: unknown): value is WorkflowErrorBody {
  return typeof value === "object" && value !== null && typeof (value as WorkflowErrorBody).message === "string";
}

export interface InitialiseRequest {
  video_reference: string;
  workflow_specification: unknown;
  workflows_parameters: Record<string, unknown>;
  max_fps?: number;
  image_input_name: string;
  flag_outputs?: string[];
}

type Body = { json: unknown } | { file: File };

/** What the UI saves as a workflow's `config`: its id and its definition. */
export interface SavedWorkflowConfig {
  id: string;
  specification: unknown;
}

export interface SavedWorkflowEntry {
  createTime: { _seconds: number };
  updateTime: { _seconds: number };
  config: Partial<SavedWorkflowConfig>;
}

export class ApiClient {
  constructor(
    readonly apiKey: string | null,
    /** Called on every 401, so the app can ask for a key (again). */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.apiKey ? { ...extra, authorization: `Bearer ${this.apiKey}` } : extra;
  }

  private async request<T>(method: string, path: string, body?: Body, signal?: AbortSignal): Promise<T> {
    let payload: BodyInit | undefined;
    let headers = this.headers();
    if (body && "json" in body) {
      payload = JSON.stringify(body.json);
      headers = this.headers({ "content-type": "application/json" });
    } else if (body) {
      payload = body.file;
      // The server reads the name for its extension (FFmpeg's format hint); HTTP headers carry Latin-1 only.
      headers = this.headers({ "content-type": "application/octet-stream", "x-filename": body.file.name.replace(/[^\x20-\x7e]/g, "_") });
    }
    const response = await fetch(path, { method, headers, body: payload, signal });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      const errorBody = isErrorBody(parsed) ? parsed : null;
      throw new ApiError(response.status, errorBody, errorBody?.message ?? `${method} ${path} answered ${response.status} ${response.statusText}`);
    }
    return parsed as T;
  }

  /** The block catalogue; with dynamic block definitions, those blocks included. */
  describeBlocks(dynamicBlocks: unknown[] = [], signal?: AbortSignal): Promise<BlocksDescription> {
    return dynamicBlocks.length > 0
      ? this.request("POST", "/workflows/blocks/describe", { json: { dynamic_blocks_definitions: dynamicBlocks } }, signal)
      : this.request("GET", "/workflows/blocks/describe", undefined, signal);
  }

  /** Null when the definition compiles; else the compiler's error body (400). Other failures throw. */
  async validate(definition: unknown, signal?: AbortSignal): Promise<WorkflowErrorBody | null> {
    try {
      await this.request("POST", "/workflows/validate", { json: definition }, signal);
      return null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && error.body) return error.body;
      throw error;
    }
  }

  run(specification: unknown, inputs: Record<string, unknown>): Promise<{ outputs: Record<string, unknown>[] }> {
    return this.request("POST", "/workflows/run", { json: { specification, inputs } });
  }

  upload(file: File): Promise<UploadInfo> {
    return this.request("POST", "/uploads", { file });
  }

  async initialise(body: InitialiseRequest): Promise<string> {
    const answer = await this.request<{ context: { pipeline_id: string } }>("POST", "/inference_pipelines/initialise", { json: body });
    return answer.context.pipeline_id;
  }

  pause(id: string): Promise<unknown> {
    return this.request("POST", `/inference_pipelines/${encodeURIComponent(id)}/pause`);
  }

  resume(id: string): Promise<unknown> {
    return this.request("POST", `/inference_pipelines/${encodeURIComponent(id)}/resume`);
  }

  terminate(id: string): Promise<unknown> {
    return this.request("POST", `/inference_pipelines/${encodeURIComponent(id)}/terminate`);
  }

  async status(id: string): Promise<PipelineReport> {
    return (await this.request<{ report: PipelineReport }>("GET", `/inference_pipelines/${encodeURIComponent(id)}/status`)).report;
  }

  /** Frame results buffered since the last consume (no thumbnails). */
  async consume(id: string): Promise<FrameEvent[]> {
    return (await this.request<{ frames: FrameEvent[] }>("GET", `/inference_pipelines/${encodeURIComponent(id)}/consume`)).frames;
  }

  /** The pipeline's live events (`frame`, `status`, `end`). */
  liveEvents(id: string): EventSource {
    const query = this.apiKey ? `?api_key=${encodeURIComponent(this.apiKey)}` : "";
    return new EventSource(`/inference_pipelines/${encodeURIComponent(id)}/events${query}`);
  }

  /** Workflows saved on the server (`/build/api`, docs/reference/http.md#saved-workflows), by id. */
  async savedWorkflows(): Promise<Record<string, SavedWorkflowEntry>> {
    return (await this.request<{ data: Record<string, SavedWorkflowEntry> }>("GET", "/build/api")).data;
  }

  saveWorkflow(id: string, config: SavedWorkflowConfig): Promise<unknown> {
    return this.request("PUT", `/build/api/${encodeURIComponent(id)}`, { json: config });
  }

  deleteWorkflow(id: string): Promise<unknown> {
    return this.request("DELETE", `/build/api/${encodeURIComponent(id)}`);
  }

  /** A page of the event record, newest first (docs/reference/events.md#http); `cursor` is the previous page's `next_cursor`. */
  events(filters: EventFilters, cursor: string | null, signal?: AbortSignal): Promise<EventPage<EventSummaryJson>> {
    const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== undefined && value !== ""));
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/events?${query.toString()}`, undefined, signal);
  }

  event(id: string, signal?: AbortSignal): Promise<EventJson> {
    return this.request("GET", `/events/${encodeURIComponent(id)}`, undefined, signal);
  }

  /** A picture route of the server (an event's image) as an `<img>` can load it: with `?api_key=` when a key is set. */
  pictureUrl(path: string): string {
    return this.apiKey ? `${path}${path.includes("?") ? "&" : "?"}api_key=${encodeURIComponent(this.apiKey)}` : path;
  }

  async examples(): Promise<WorkflowExample[]> {
    return (await this.request<{ examples: WorkflowExample[] }>("GET", "/ui/examples")).examples;
  }
}
