/**
 * `GET /metrics`: Prometheus text. Per pipeline (label `pipeline`): frames, fps, latency
 * summaries (decode wait, inference, end to end), dropped frames, dropped results, flagged frames,
 * errors, active streams, state; pipelines by state. Server-wide: sessions, workflow runs in
 * progress / queued, the in-flight memory budget's use, HTTP requests by route and status, step
 * errors by block type; with `--redis`, whether Redis is connected and its round trip, and the
 * cluster's checkpoint ages, takeovers and each worker's load (`serviceFamilies`, which a
 * worker's own `/metrics` shows too); sink deliveries by block type and outcome, and the sinks'
 * background queue (`sinkFamilies`, the worker's too).
 */
import type { FastifyInstance } from "fastify";
import type { WorkflowErrorBody } from "../errors/index.js";
import type { LatencySummary } from "../video/status.js";
import type { ServerContext } from "./context.js";
import type { WorkerBeat } from "../service/redis-cluster.js";
import type { ServiceStats } from "../service/types.js";
import type { PipelineReport } from "./wire.js";
import { sinkServiceKey, type SinkStats } from "../blocks/sinks/service.js";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricFamily, type Sample } from "./prometheus.js";

const LIVE_SOURCE_STATES = new Set(["starting", "running", "reconnecting"]);

export class ServerMetrics {
  private readonly requests = new Map<string, Sample>();
  private readonly stepErrors = new Map<string, Sample>();

  countRequest(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const sample = this.requests.get(key);
    if (sample) sample.value++;
    else this.requests.set(key, { labels: { method, route, status: String(status) }, value: 1 });
  }

  /** A workflow run (`origin` http) or a frame (`origin` pipeline) failed at run time. */
  countStepError(error: WorkflowErrorBody, origin: "http" | "pipeline"): void {
    const blockType = error.blocks_errors?.[0]?.block_type ?? "unknown";
    const key = `${blockType} ${error.error_type} ${origin}`;
    const sample = this.stepErrors.get(key);
    if (sample) sample.value++;
    else this.stepErrors.set(key, { labels: { block_type: blockType, error_type: error.error_type, origin }, value: 1 });
  }

  families(state: {
    pipelines: PipelineReport[];
    stats?: ServiceStats;
    sessions: number;
    runsActive: number;
    runsQueued: number;
    imageMemory: { usedBytes: number; capacityBytes: number };
    /** With `--redis`: whether the connection is up, and one PING's round trip (null while down). */
    redis: { connected: boolean; roundTripMs: number | null } | null;
    sinks: SinkStats;
  }): MetricFamily[] {
    const single = (name: string, help: string, value: number): MetricFamily => gauge(name, help, value);
    return [
      ...pipelineFamilies(state.pipelines),
      ...(state.stats ? serviceFamilies(state.stats) : []),
      single("sightline_sessions_active", "Stateful /workflows/run sessions held.", state.sessions),
      single("sightline_workflow_runs_in_progress", "/workflows/run requests running now.", state.runsActive),
      single("sightline_workflow_runs_queued", "/workflows/run requests waiting for a slot.", state.runsQueued),
      single("sightline_inflight_image_bytes", "Bytes of the in-flight memory budget the requests' images hold now.", state.imageMemory.usedBytes),
      single("sightline_inflight_image_budget_bytes", "The in-flight memory budget (--max-inflight-memory-mb).", state.imageMemory.capacityBytes),
      ...redisFamilies(state.redis),
      ...sinkFamilies(state.sinks),
      {
        name: "sightline_http_requests_total",
        type: "counter",
        help: "HTTP requests answered, by method, route pattern and status.",
        samples: [...this.requests.values()],
      },
      {
        name: "sightline_step_errors_total",
        type: "counter",
        help: "Workflow runs (http) and frames (pipeline) that failed at run time, by block type and error type.",
        samples: [...this.stepErrors.values()],
      },
    ];
  }
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, type: "gauge", help, samples: [{ labels: {}, value }] };
}

/** The pipelines' families: how many by state, and each one's counters, rates and latencies. */
export function pipelineFamilies(reports: readonly PipelineReport[]): MetricFamily[] {
  const perPipeline = (name: string, type: MetricFamily["type"], help: string, value: (report: PipelineReport) => number): MetricFamily => ({
    name,
    type,
    help,
    samples: reports.map((report) => ({ labels: { pipeline: report.pipeline_id }, value: value(report) })),
  });
  const byState = new Map<string, number>();
  for (const report of reports) byState.set(report.state, (byState.get(report.state) ?? 0) + 1);
  return [
    gauge("sightline_pipelines", "Inference pipelines held (running or ended, not yet terminated).", reports.length),
    {
      name: "sightline_pipelines_by_state",
      type: "gauge",
      help: "Pipelines by state: this process's, or with --redis the cluster's (waiting: no worker runs it).",
      samples: [...byState].map(([state, value]) => ({ labels: { state }, value })),
    },
    {
      name: "sightline_pipeline_state",
      type: "gauge",
      help: "1 for the pipeline's current state.",
      samples: reports.map((report) => ({ labels: { pipeline: report.pipeline_id, state: report.state }, value: 1 })),
    },
    perPipeline("sightline_pipeline_frames_total", "counter", "Frames processed by the pipeline.", (report) => report.frames),
    perPipeline("sightline_pipeline_fps", "gauge", "Frames processed per second since the pipeline started.", (report) => report.fps),
    perPipeline(
      "sightline_pipeline_dropped_frames_total",
      "counter",
      "Frames live sources dropped because a fresher one arrived before processing.",
      (report) => report.dropped,
    ),
    perPipeline(
      "sightline_pipeline_results_dropped_total",
      "counter",
      "Frame results dropped from the consume buffer because nobody consumed them in time.",
      (report) => report.results_dropped,
    ),
    perPipeline("sightline_pipeline_flagged_frames_total", "counter", "Frames flagged by the workflow (e.g. is_outlier).", (report) => report.flagged),
    perPipeline("sightline_pipeline_errors_total", "counter", "Frames whose workflow run failed.", (report) => report.errors),
    perPipeline(
      "sightline_pipeline_active_streams",
      "gauge",
      "Sources of the pipeline that are starting, running or reconnecting.",
      (report) => report.sources.filter((source) => LIVE_SOURCE_STATES.has(source.state)).length,
    ),
    {
      name: "sightline_pipeline_latency_seconds",
      type: "summary",
      help: "Per tick: decode_wait = waiting for frames, inference = the workflow run, end_to_end = run plus result handling. Quantiles over the last 1024 ticks.",
      samples: reports.flatMap((report) => [
        ...latencySamples(report.pipeline_id, "decode_wait", report.latency.wait),
        ...latencySamples(report.pipeline_id, "inference", report.latency.inference),
        ...latencySamples(report.pipeline_id, "end_to_end", report.latency.end_to_end),
      ]),
    },
  ];
}

/** Redis, checkpoints, takeovers and workers (docs/reference/http.md#metrics): the cluster's on `serve --redis`, its own on a worker. */
export function serviceFamilies(stats: ServiceStats, now = Date.now()): MetricFamily[] {
  const perWorker = (name: string, type: MetricFamily["type"], help: string, value: (worker: WorkerBeat) => number | null): MetricFamily => ({
    name,
    type,
    help,
    samples: stats.workers.flatMap((worker) => {
      const sample = value(worker);
      return sample === null ? [] : [{ labels: { worker: worker.id }, value: sample }];
    }),
  });
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  return [
    {
      name: "sightline_pipeline_snapshot_age_seconds",
      type: "gauge",
      help: "Seconds since the pipeline's last checkpoint (what a takeover or restart would resume from).",
      samples: Object.entries(stats.checkpoints).map(([pipeline, takenAt]) => ({ labels: { pipeline }, value: (now - Date.parse(takenAt)) / 1000 })),
    },
    {
      name: "sightline_takeovers_total",
      type: "counter",
      help: "Pipelines taken over from a worker that had not handed them over.",
      samples: [{ labels: {}, value: stats.takeovers }],
    },
    {
      name: "sightline_redis_outages_total",
      type: "counter",
      help: "Times this process lost its connection to Redis.",
      samples: [{ labels: {}, value: stats.redisOutages }],
    },
    gauge(
      "sightline_results_buffered",
      "Frame results held by the workers, not yet written to Redis (they grow while Redis is unreachable).",
      stats.workers.reduce((sum, worker) => sum + worker.results_buffered, 0),
    ),
    perWorker("sightline_worker_pipelines", "gauge", "Pipelines the worker runs.", (worker) => worker.pipelines.length),
    perWorker("sightline_worker_capacity", "gauge", "Pipelines the worker runs at most (--max-pipelines).", (worker) => worker.capacity),
    perWorker("sightline_worker_results_buffered", "gauge", "Frame results the worker holds, not yet written to Redis.", (worker) => worker.results_buffered),
    perWorker("sightline_worker_takeovers_total", "counter", "Pipelines the worker took over.", (worker) => worker.takeovers),
    perWorker("sightline_worker_redis_connected", "gauge", "1 while the worker is connected to Redis (as of its last heartbeat).", (worker) =>
      worker.redis.up ? 1 : 0,
    ),
    perWorker("sightline_worker_redis_round_trip_seconds", "gauge", "The worker's last PING round trip to Redis.", (worker) =>
      seconds(worker.redis.round_trip_ms),
    ),
    perWorker("sightline_worker_heartbeat_age_seconds", "gauge", "Seconds since the worker's last heartbeat.", (worker) => (now - worker.at) / 1000),
  ];
}

/** This process's Redis connection (`--redis`): up or not, and one PING's round trip. */
export function redisFamilies(redis: { connected: boolean; roundTripMs: number | null } | null): MetricFamily[] {
  if (redis === null) return [];
  const families: MetricFamily[] = [
    {
      name: "sightline_redis_connected",
      type: "gauge",
      help: "1 while the Redis connection (--redis) is up.",
      samples: [{ labels: {}, value: redis.connected ? 1 : 0 }],
    },
  ];
  if (redis.roundTripMs !== null) {
    families.push({
      name: "sightline_redis_round_trip_seconds",
      type: "gauge",
      help: "One PING's round trip to Redis, measured when /metrics is read.",
      samples: [{ labels: {}, value: redis.roundTripMs / 1000 }],
    });
  }
  return families;
}

/** Sink blocks' deliveries (docs/reference/blocks.md#sinks): by block type and outcome, and those queued now. */
export function sinkFamilies(stats: SinkStats): MetricFamily[] {
  return [
    {
      name: "sightline_sink_deliveries_total",
      type: "counter",
      help: "Sink deliveries by block type and outcome: sent, failed (receiver or network), dropped (the step's background queue was full), refused (not allowed by the sink flags).",
      samples: stats.deliveries.map((entry) => ({ labels: { block_type: entry.blockType, outcome: entry.outcome }, value: entry.count })),
    },
    gauge("sightline_sink_queued", "Background (fire_and_forget) sink deliveries waiting or in flight.", stats.queued),
  ];
}

function latencySamples(pipeline: string, stage: string, summary: LatencySummary): Sample[] {
  const labels = { pipeline, stage };
  const samples: Sample[] = [];
  if (summary.p50_ms !== null) samples.push({ labels: { ...labels, quantile: "0.5" }, value: summary.p50_ms / 1000 });
  if (summary.p99_ms !== null) samples.push({ labels: { ...labels, quantile: "0.99" }, value: summary.p99_ms / 1000 });
  samples.push({ suffix: "_sum", labels, value: ((summary.mean_ms ?? 0) * summary.count) / 1000 });
  samples.push({ suffix: "_count", labels, value: summary.count });
  return samples;
}

export function registerMetricsRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get("/metrics", async (_request, reply) => {
    const text = renderMetrics(
      context.metrics.families({
        pipelines: await context.pipelines.reports(),
        stats: await context.pipelines.stats?.(),
        sessions: await context.sessions.count(),
        runsActive: context.runs.active,
        runsQueued: context.runs.queued,
        imageMemory: context.memory,
        redis: context.redis && { connected: context.redis.connected, roundTripMs: await context.redis.roundTripMs() },
        sinks: context.engines.services.get(sinkServiceKey).stats(),
      }),
    );
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
}
