/**
 * `sightline worker --redis URL`: runs the stream pipelines that `sightline serve --redis`
 * replicas create (docs/guides/service.md#redis-and-workers), until SIGINT/SIGTERM, then
 * checkpoints each and hands it over to another worker at once. Its engines are built as the
 * server's are (shared models, no local image files, custom blocks in the sandbox). Logs JSON
 * lines on standard output; with `--metrics-port`, serves its own Prometheus metrics — what it
 * says during a Redis outage, when the cluster's `/metrics` cannot.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { provideSandboxPool } from "../../blocks/custom/dynamic-block.js";
import { DEFAULT_IMAGE_LIMITS } from "../../images/codec.js";
import { getDefaultRegistry } from "../../index.js";
import { EngineFactory } from "../../server/engines.js";
import { pipelineFamilies, redisFamilies, serviceFamilies, sinkFamilies } from "../../server/metrics.js";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from "../../server/prometheus.js";
import { PipelineWorker } from "../../service/worker.js";
import { jsonLinesLog, type LogLevel } from "../log.js";
import { createServices, type ModelCliOptions } from "../models.js";
import { openRedis } from "../redis.js";
import { sinkPolicyOf, type SinkCliOptions } from "../sink-options.js";
import { provideSinkPolicy, type SinkService } from "../../blocks/sinks/service.js";

export interface WorkerCliOptions extends ModelCliOptions, SinkCliOptions {
  redis: string;
  maxPipelines: number;
  leaseMs: number;
  checkpointEvery: number;
  resultsBuffer: number;
  metricsPort?: number;
  metricsHost: string;
  /** False (`--no-custom-blocks`): refuse definitions with `dynamic_blocks_definitions`. */
  customBlocks: boolean;
  maxCustomSteps: number;
  maxSandboxWorkers: number;
  logLevel: LogLevel;
}

export async function workerCommand(options: WorkerCliOptions): Promise<number> {
  // One Services for every pipeline: each model loads once.
  const services = createServices(options);
  provideSandboxPool(services, options.maxSandboxWorkers);
  // a worker has no data folder: sinks write files only under the folders --sink-dir names
  const sinks = provideSinkPolicy(services, sinkPolicyOf(options, { allowedHosts: [], sinkDirectories: [] }));
  const imageLoading = { allowLocalFiles: false, allowUrls: true, ...DEFAULT_IMAGE_LIMITS };
  const engines = new EngineFactory(getDefaultRegistry(), options.customBlocks ? undefined : null, services, imageLoading, options.maxCustomSteps);
  const redis = await openRedis(options.redis, "worker");
  const worker = new PipelineWorker({
    redis,
    engines: (specification, snapshot) => engines.engine(specification, { isolateElementErrors: true, snapshot }),
    maxPipelines: options.maxPipelines,
    leaseMs: options.leaseMs,
    checkpointEveryTicks: options.checkpointEvery,
    resultsBuffer: options.resultsBuffer,
    log: jsonLinesLog(options.logLevel),
  });
  let metrics: Server | undefined;
  try {
    await worker.start();
    if (options.metricsPort !== undefined) metrics = await serveMetrics(worker, sinks, options.metricsHost, options.metricsPort);
  } catch (error) {
    process.stderr.write(`sightline: worker cannot start: ${(error as Error).message}\n`);
    await worker.close().catch(() => undefined);
    await redis.close();
    await services.close();
    return 1;
  }
  process.stderr.write(
    `sightline: worker ${worker.id} running pipelines (at most ${options.maxPipelines}) from Redis at ${redis.url} (${redis.server.server} ${redis.server.version})\n`,
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.stderr.write(`sightline: ${signal} — checkpointing and handing pipelines over\n`);
  await worker.close();
  metrics?.close();
  await redis.close();
  await services.close();
  return 0;
}

/** `GET /metrics` of this worker; anything else 404. */
async function serveMetrics(worker: PipelineWorker, sinks: SinkService, host: string, port: number): Promise<Server> {
  const server = createHttpServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    void worker.reports().then(
      (reports) =>
        response
          .writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE })
          .end(
            renderMetrics([
              ...pipelineFamilies(reports),
              ...redisFamilies(worker.connection()),
              ...serviceFamilies(worker.stats()),
              ...sinkFamilies(sinks.stats()),
            ]),
          ),
      (error: unknown) => response.writeHead(500).end((error as Error).message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shown = typeof address === "object" && address ? `${host}:${address.port}` : `${host}:${port}`;
  process.stderr.write(`sightline: worker metrics on http://${shown}/metrics\n`);
  return server;
}
