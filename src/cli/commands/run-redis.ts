/**
 * `sightline run <workflow.json> --video <ref>… --redis URL`: the same run as `run --video`, with
 * each source a pipeline that `sightline worker` processes take from Redis
 * (docs/guides/cluster.md#batch-runs). Standard output carries exactly the lines the local run
 * prints, in the same order per source (sources interleave as their results arrive); standard
 * error the progress, the summary and what failed; the exit code means what it means locally.
 *
 * One pipeline per source is what lets the sources spread over the workers, and it changes no
 * result because block state is kept per source (`--state-scope stream`, the only scope allowed
 * here). The pipelines are removed from Redis once their results are printed, or on SIGINT/SIGTERM.
 */
import { resolve } from "node:path";
import { compile } from "../../index.js";
import { RedisError } from "../../service/redis.js";
import { RedisPipelineService } from "../../service/redis-service.js";
import type { PipelineSpec } from "../../service/types.js";
import type { PipelineReport } from "../../service/upstream-report.js";
import { parseVideoArgument, resolveKinds, type VideoSourceSpec } from "../../video/index.js";
import { JsonLinesSink } from "../../video/sinks/json-lines.js";
import type { FrameLine, FrameRecord, PipelineStatus } from "../../video/status.js";
import { EXIT, ErrorLog, onStopSignals, reportFailure, signalExitCode } from "../failure.js";
import { readDefinition } from "../io.js";
import { ProgressLine, runFailures, summaryText } from "../progress.js";
import { checkCommandLineNames, reportWarnings } from "../workflow-names.js";
import type { VideoRunOptions } from "./run-video.js";
import { openRedis } from "../redis.js";

export interface RunRedisOptions extends VideoRunOptions {
  redis: string;
}

/**
 * Results a pipeline holds in Redis until this command reads them: it reads every
 * `POLL_MS`, so only a stalled reader (stdout blocked) comes near it; what is dropped anyway is
 * counted and fails the run.
 */
const RESULTS_BUFFER = 10_000;
const POLL_MS = 100;
/** A source no worker has taken for this long gets a word on stderr. */
const WAITING_NOTICE_MS = 10_000;

/** One source's pipeline, as this command follows it. */
interface Job {
  id: string;
  source: string;
  reference: string;
  report: PipelineReport | null;
  lines: number;
  dropped: number;
  ended: boolean;
  workers: Set<string>;
  waitingSince: number | null;
  waitingSaid: boolean;
}

/** Files and folders by absolute path: workers resolve it from their own working folder. */
async function absoluteSources(videos: readonly string[]): Promise<VideoSourceSpec[]> {
  const specs = videos.map(parseVideoArgument);
  const kinds = await resolveKinds(specs);
  return specs.map((spec, index) => {
    const { kind, reference } = kinds[index];
    const local = kind === "file" || kind === "image-folder";
    // Named as the local run names it, since each source is alone (index 0) in its pipeline.
    return { name: spec.name ?? String(index), reference: local ? resolve(reference) : reference };
  });
}

export async function runRedisCommand(workflowPath: string, options: RunRedisOptions): Promise<number> {
  const progress = new ProgressLine();
  const log = (text: string) => {
    progress.clear();
    process.stderr.write(`${text}\n`);
  };
  const definition = await readDefinition(workflowPath);
  const flagOutputs = options.flagOutputs?.length ? [...options.flagOutputs] : undefined;
  const check = compile(definition, { ...options.engine, isolateElementErrors: true });
  try {
    checkCommandLineNames(check.plan, { params: options.params, imageInput: options.imageInput, videoOutputs: [], flagOutputs });
    reportWarnings("run", check.plan);
  } finally {
    await check.close();
  }
  const sources = await absoluteSources(options.videos);
  const redis = await openRedis(options.redis, "run");
  const service = new RedisPipelineService({
    redis,
    engines: (specification, snapshot) => compile(specification, { ...options.engine, isolateElementErrors: true, snapshot }),
    maxPipelines: Number.MAX_SAFE_INTEGER,
  });
  const stdout = await JsonLinesSink.open(process.stdout);
  const errors = new ErrorLog(log, "the summary counts every failed frame");
  const jobs: Job[] = [];
  let signal: NodeJS.Signals | null = null;
  const stop = (received: NodeJS.Signals) => {
    signal = received;
    log(`sightline: ${received} — terminating the run's pipelines`);
  };
  const releaseSignals = onStopSignals(stop);
  const started = performance.now();
  let failed = false;
  try {
    if ((await service.cluster.liveWorkers()).length === 0) {
      log(`sightline run: no worker runs on Redis at ${redis.url} yet; the sources wait for one (start \`sightline worker --redis …\`)`);
    }
    for (const video of sources) {
      const spec: PipelineSpec = {
        specification: definition,
        videos: [video],
        params: options.params,
        maxFps: options.maxFps,
        sampleFps: options.sampleFps,
        frameSize: options.frameSize,
        decodeEveryFrame: options.decodeEveryFrame,
        imageInputName: options.imageInput,
        videoMetadataInputName: "video_metadata",
        flagOutputs,
        bufferSize: RESULTS_BUFFER,
      };
      const id = await service.start(spec);
      jobs.push({
        id,
        source: video.name ?? "0",
        reference: video.reference,
        report: null,
        lines: 0,
        dropped: 0,
        ended: false,
        workers: new Set(),
        waitingSince: null,
        waitingSaid: false,
      });
    }
    let unreachable = false;
    while (signal === null && jobs.some((job) => !job.ended)) {
      try {
        await followOnce(
          service,
          jobs,
          async (record) => {
            await stdout.write(lineOf(record));
            if (record.error) errors.report(`source ${record.source}, frame ${record.frame_number}`, record.error);
          },
          log,
        );
        if (unreachable) log(`sightline run: Redis at ${redis.url} is reachable again`);
        unreachable = false;
      } catch (error) {
        if (!(error instanceof RedisError)) throw error;
        if (!unreachable) log(`sightline run: ${error.message}`);
        unreachable = true;
      }
      if (!options.quiet) progress.update(() => combinedStatus(jobs, started));
      if (jobs.some((job) => !job.ended)) await sleep(POLL_MS);
    }
  } catch (error) {
    failed = true;
    progress.clear();
    reportFailure("run", error, { errorBody: true });
  } finally {
    releaseSignals();
    // Ended pipelines' results are all printed; the others are stopped (signal or failure).
    const removed = await Promise.allSettled(jobs.map((job) => service.terminate(job.id)));
    for (const outcome of removed)
      if (outcome.status === "rejected") log(`sightline run: a pipeline could not be removed from Redis: ${(outcome.reason as Error).message}`);
    await stdout.close();
    await service.close();
    await redis.close();
    progress.clear();
  }
  const status = combinedStatus(jobs, started);
  if (!options.quiet) process.stderr.write(`${summaryText(status)}\n${workersText(jobs)}\n`);
  for (const job of jobs) {
    if (job.dropped > 0) log(`sightline run: source ${job.source}: ${job.dropped} results were dropped in Redis before this command read them`);
    if (job.report?.failure) log(`sightline run: source ${job.source}: ${job.report.failure.error_type}: ${job.report.failure.message}`);
  }
  if (signal) return signalExitCode(signal);
  const { errors: failedFrames, failedSources } = runFailures(status);
  const incomplete = jobs.some((job) => job.dropped > 0 || job.report?.state === "failed");
  return failed || incomplete || failedFrames > 0 || failedSources > 0 ? EXIT.failed : EXIT.ok;
}

/**
 * One round over the pipelines still running: the report first, then the results, so that a
 * report already final means the results read after it are the last (the worker stores the final
 * report after them).
 */
async function followOnce(
  service: RedisPipelineService,
  jobs: readonly Job[],
  write: (record: FrameRecord) => Promise<void>,
  log: (text: string) => void,
): Promise<void> {
  const running = jobs.filter((job) => !job.ended);
  const owners = new Map((await service.list()).map((entry) => [entry.pipeline_id, entry.worker]));
  for (const job of running) {
    const report = await service.report(job.id);
    const { frames, dropped } = await service.consume(job.id);
    for (const record of frames) await write(record);
    job.lines += frames.length;
    job.dropped += dropped;
    job.report = report;
    job.ended = report.state === "finished" || report.state === "failed";
    const worker = owners.get(job.id);
    if (worker) job.workers.add(worker);
    noticeWaiting(job, report.state === "waiting", log);
  }
}

function noticeWaiting(job: Job, waiting: boolean, log: (text: string) => void): void {
  if (!waiting) {
    job.waitingSince = null;
    return;
  }
  job.waitingSince ??= Date.now();
  if (!job.waitingSaid && Date.now() - job.waitingSince >= WAITING_NOTICE_MS) {
    job.waitingSaid = true;
    log(
      `sightline run: source ${job.source} waits for a worker with room (none has taken it for ${WAITING_NOTICE_MS / 1000} s; see --max-pipelines of \`sightline worker\`)`,
    );
  }
}

/** The line `run --video` prints: the record without the service's fields. */
function lineOf(record: FrameRecord): FrameLine {
  const { source_index: _index, flagged: _flagged, ...line } = record;
  return line;
}

/**
 * The run as one status, for the progress line and the summary: the pipelines' reports added up,
 * each source's frames counted from the lines printed (a report after a takeover counts the
 * frames since the takeover only).
 */
function combinedStatus(jobs: readonly Job[], started: number): PipelineStatus {
  const reports = jobs.map((job) => job.report);
  const sum = (pick: (report: PipelineReport) => number) => reports.reduce((total, report) => total + (report ? pick(report) : 0), 0);
  const frames = jobs.reduce((total, job) => total + job.lines, 0);
  const elapsed = (performance.now() - started) / 1000;
  const none = { count: 0, mean_ms: null, p50_ms: null, p99_ms: null };
  return {
    state: jobs.every((job) => job.ended) ? "finished" : "running",
    ticks: sum((report) => report.ticks),
    frames,
    flagged: sum((report) => report.flagged),
    errors: sum((report) => report.errors),
    dropped: sum((report) => report.dropped),
    fps: elapsed > 0 ? frames / elapsed : 0,
    elapsed_s: elapsed,
    sources: jobs.flatMap((job) => (job.report?.sources ?? []).map((source) => ({ ...source, framesDelivered: job.lines }))),
    latency: { wait: none, inference: none, end_to_end: none },
    failure: null,
  };
}

function workersText(jobs: readonly Job[]): string {
  const workers = new Set(jobs.flatMap((job) => [...job.workers]));
  const taken = jobs.filter((job) => job.workers.size > 1).map((job) => job.source);
  return (
    `  on ${workers.size} worker${workers.size === 1 ? "" : "s"}` + (taken.length ? `; taken over from a worker that stopped: source ${taken.join(", ")}` : "")
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
