#!/usr/bin/env node
/** The `sightline` command line. Each command lives in `commands/`; this file only parses arguments. */
import { Command, InvalidArgumentError, Option, type CommanderError } from "commander";
import type { VideoRunOptions } from "./commands/run-video.js";
import type { ServeOptions } from "./commands/serve.js";
import { allowedHostsOption, nonNegativeInteger, parsePort, SERVE_DEFAULTS } from "./commands/serve-options.js";
import { isLiveKind, parseVideoArgument, resolveKinds, type VideoOutputSpec } from "../video/index.js";
import type { WorkerCliOptions } from "./commands/worker.js";
import { LOG_LEVELS } from "./log.js";
import { CHECKPOINT_EVERY_TICKS, WORKER_DEFAULTS } from "../service/defaults.js";
import { parseParam, positiveInteger, positiveNumber } from "./io.js";
import { addEventRecordOptions, eventsExportCommand, isoDate, retentionOf, type EventsExportOptions, type EventRecordCliOptions } from "./commands/events.js";
import { addSinkOptions, sinkPolicyOf, type SinkCliOptions } from "./sink-options.js";
import { provideSinkPolicy } from "../blocks/sinks/service.js";
import { ANYWHERE } from "../blocks/sinks/policy.js";
import { addModelOptions, createServices, modelSettings, parseEmbedModel, type EmbedModel, type ModelCliOptions } from "./models.js";
import type { EmbedItem } from "./commands/embed.js";
import { EXIT, reportFailure, UsageError, type FailureOutput } from "./failure.js";
import type { DemoOptions } from "./commands/demo.js";
import { DTYPES, MODEL_FAMILIES } from "../models/index.js";
import type { CompileOptions } from "../index.js";
import { DEFAULT_IMAGE_LIMITS } from "../images/codec.js";

function param(text: string, previous: Record<string, unknown>): Record<string, unknown> {
  try {
    return parseParam(text, previous);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Commander's own exits: help and version are 0, a wrong command line is a usage error (2), not a failure (1). */
function exitAfterCommander(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
}

/** Runs a command's body; whatever it throws is reported once (see `reportFailure`), with its exit code. */
function exitWith<A extends unknown[]>(
  command: string,
  body: (...args: A) => number | Promise<number>,
  output: FailureOutput = {},
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await body(...args);
    } catch (error) {
      process.exitCode = reportFailure(command, error, output);
    }
  };
}

/** `validate` and `run` answer in JSON on standard output, an error body too (docs/reference/cli.md#output-and-exit-codes). */
const WITH_ERROR_BODY: FailureOutput = { errorBody: true };

const program = new Command()
  .name("sightline")
  .description("Run Roboflow-compatible computer-vision workflows with embeddings on images and video.")
  .version("0.1.0")
  .exitOverride(exitAfterCommander)
  .showHelpAfterError();

function logLevelOption(description: string): Option {
  return new Option("--log-level <level>", description).choices([...LOG_LEVELS]).default(SERVE_DEFAULTS.logLevel);
}

const STRICT_HELP = "step properties the block does not know are errors, not warnings";

program
  .command("validate")
  .description('Check a workflow definition: prints {"status":"ok","warnings":[…]} or the error body (exit 1)')
  .argument("<workflow>", "workflow definition (JSON file)")
  .option("--strict", STRICT_HELP, false)
  .action(
    exitWith(
      "validate",
      async (workflow: string, options: { strict: boolean }) => (await import("./commands/validate.js")).validateCommand(workflow, options),
      WITH_ERROR_BODY,
    ),
  );

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function videoOutput(text: string, previous: VideoOutputSpec[]): VideoOutputSpec[] {
  const at = text.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`expected <output>=<file.mp4>, got "${text}"`);
  return [...previous, { output: text.slice(0, at), path: text.slice(at + 1) }];
}

function frameSize(text: string): { width?: number; height?: number } {
  const match = /^(\d*)x(\d*)$/i.exec(text.trim());
  const width = match?.[1] ? Number(match[1]) : undefined;
  const height = match?.[2] ? Number(match[2]) : undefined;
  if (!match || (width === undefined && height === undefined) || width === 0 || height === 0) {
    throw new InvalidArgumentError("expected WIDTHxHEIGHT, e.g. 640x360, or x224 / 320x to keep the aspect ratio");
  }
  return { width, height };
}

// Image limits, checked from an image's header before it is decoded (docs/reference/workflows.md#image-limits);
// `serve` adds the limits of a request's images (docs/reference/http.md#limits).
interface ImageLimitOptions {
  maxImagePixels: number;
  maxAspectRatio: number;
}

function addImageLimitOptions(command: Command): Command {
  return command
    .option("--max-image-pixels <n>", "refuse an image of more pixels (width × height, from its header)", positiveInteger, DEFAULT_IMAGE_LIMITS.maxImagePixels)
    .option(
      "--max-aspect-ratio <n>",
      "refuse an image whose long side is more than N times its short side",
      positiveNumber,
      DEFAULT_IMAGE_LIMITS.maxAspectRatio,
    );
}

function addRequestImageOptions(command: Command): Command {
  return addImageLimitOptions(command)
    .option(
      "--max-image-download-mb <n>",
      "largest image downloaded from a URL, MiB (the download stops there)",
      positiveNumber,
      SERVE_DEFAULTS.maxImageDownloadMb,
    )
    .option("--max-images-per-request <n>", "images in one request, every input together (beyond: 413)", positiveInteger, SERVE_DEFAULTS.maxImagesPerRequest)
    .option(
      "--max-inflight-memory-mb <n>",
      "memory the requests in flight may hold in images, MiB (beyond: 429; 413 for a request that never fits)",
      positiveNumber,
      SERVE_DEFAULTS.maxInflightMemoryMb,
    );
}

interface RunCliOptions extends ModelCliOptions, ImageLimitOptions, SinkCliOptions {
  inputs?: string;
  video: string[];
  param: Record<string, unknown>;
  strict: boolean;
  failFast: boolean;
  state?: string;
  stateEvery: number;
  stateScope: "stream" | "step";
  maxFps?: number;
  sampleFps?: number;
  frameSize?: { width?: number; height?: number };
  decodeEveryFrame: boolean;
  out?: string;
  videoOutput: VideoOutputSpec[];
  flagOutput: string[];
  imageInput: string;
  quiet: boolean;
  redis?: string;
  events?: string;
}

const runCommand = program
  .command("run")
  .description("Run a workflow on input objects (--inputs) or on video (--video), one engine for the whole run so block state carries over")
  .argument("<workflow>", "workflow definition (JSON file)")
  .option("--inputs <file>", "inputs: a .json file with one object, a .jsonl file with one object per line, or - for JSON Lines on stdin")
  .addOption(
    new Option("--video <ref>", "video file, rtsp:// or http(s):// stream, /dev/videoN webcam, or image folder; name=<ref> names the source; repeatable")
      .argParser(collect)
      .default([], "none"),
  )
  .addOption(
    new Option("--param <name=value>", "value for a workflow input, for every run (JSON or a string); repeatable").argParser(param).default({}, "none"),
  )
  .option("--strict", STRICT_HELP, false)
  .option("--fail-fast", "--inputs: stop at the first failing run", false)
  .option("--max-fps <n>", "--video: process at most N ticks per second of wall time", positiveNumber)
  .option("--sample-fps <n>", "--video files and folders: process about N frames per second of video; the decoder skips the rest", positiveNumber)
  .option("--frame-size <WxH>", "--video: have the decoder scale frames, e.g. 640x360, or x224 / 320x to keep the aspect ratio", frameSize)
  .option(
    "--decode-every-frame",
    "--video files: have the decoder pipe every frame's pixels, even of frames that the workflow's flow control (a rate limiter on video time) keeps from every step reading pixels",
    false,
  )
  .option("--out <dir>", "--video: write image outputs as files under DIR and the result lines to DIR/results.jsonl")
  .addOption(
    new Option("--video-output <output=file>", "--video: also write an image output as a video file; repeatable").argParser(videoOutput).default([], "none"),
  )
  .addOption(
    new Option("--flag-output <name>", "--video: a boolean output that flags a frame when true; repeatable")
      .argParser(collect)
      .default([], "outputs named is_outlier or …_is_outlier"),
  )
  .option("--events <dir>", "--video: keep each flagged frame in DIR as an event (snapshot, thumbnail, outputs), as serve keeps its pipelines'")
  .option("--image-input <name>", "--video: the workflow input that receives the frames", "image")
  .option("--quiet", "--video: no progress line or summary on stderr", false)
  .option("--state <file>", "load block state from this file at start and save it there (atomically)")
  .option("--state-every <n>", "save the state every N runs (and on exit)", positiveInteger, 100)
  .addOption(new Option("--state-scope <scope>", "stream: state per stream; step: one state per step (upstream)").choices(["stream", "step"]).default("stream"))
  .option(
    "--redis <url>",
    "--video: run each source as a pipeline of the `sightline worker` processes on this Redis (redis://[user:password@]host[:port][/db]); same output as the local run",
  );
addImageLimitOptions(runCommand);
addEventRecordOptions(runCommand);
addSinkOptions(runCommand, { hosts: "any", directories: "any" });
addModelOptions(runCommand).action(
  exitWith(
    "run",
    async (workflow: string, options: RunCliOptions & EventRecordCliOptions) => {
      if ((options.inputs === undefined) === (options.video.length === 0)) {
        program.error("error: run needs exactly one of --inputs <file> or --video <ref>");
      }
      // Files and folders are read ahead, so several inferences are wanted at once; a live stream
      // hands over one fresh frame at a time and wants each inference fast.
      const kinds = await resolveKinds(options.video.map((argument) => parseVideoArgument(argument)));
      const workload = kinds.length > 0 && kinds.every(({ kind }) => !isLiveKind(kind)) ? "throughput" : "latency";
      const services = createServices(options, { workload });
      // the user's own machine: sinks reach anything unless the flags restrict them
      provideSinkPolicy(services, sinkPolicyOf(options, { allowedHosts: ANYWHERE, sinkDirectories: ANYWHERE }));
      const imageLoading = { allowLocalFiles: true, maxImagePixels: options.maxImagePixels, maxAspectRatio: options.maxAspectRatio };
      const engine = { stateScope: options.stateScope, imageLoading, services, strict: options.strict };
      try {
        return await runWith(workflow, options, engine);
      } finally {
        await services.close();
      }
    },
    WITH_ERROR_BODY,
  ),
);

/** What `run --redis` cannot do, since the results come from other processes as JSON. */
function refuseWithRedis(options: RunCliOptions): void {
  const refused: Array<[boolean, string, string]> = [
    [options.inputs !== undefined, "--inputs", "--redis runs --video sources on workers; run --inputs here"],
    [options.out !== undefined, "--out", "image outputs reach this command as base64 in the lines; redirect standard output to keep the lines"],
    [options.videoOutput.length > 0, "--video-output", "the workers do not send frames back"],
    [options.state !== undefined, "--state", "each pipeline's block state is checkpointed in Redis"],
    [options.stateScope === "step", "--state-scope step", "one state shared by every source would tie the sources to one worker"],
    [options.events !== undefined, "--events", "the workers keep no events yet (docs/reference/events.md#with-redis)"],
  ];
  for (const [given, option, why] of refused) if (given) throw new UsageError(`${option} cannot be combined with --redis: ${why}`);
}

async function runWith(workflow: string, options: RunCliOptions & EventRecordCliOptions, engine: CompileOptions): Promise<number> {
  if (options.inputs !== undefined && options.redis === undefined) {
    const { runInputsCommand } = await import("./commands/run-inputs.js");
    return runInputsCommand(workflow, {
      inputs: options.inputs,
      params: options.param,
      failFast: options.failFast,
      state: options.state,
      stateEvery: options.stateEvery,
      engine,
    });
  }
  const video: VideoRunOptions = {
    videos: options.video,
    params: options.param,
    maxFps: options.maxFps,
    sampleFps: options.sampleFps,
    frameSize: options.frameSize,
    decodeEveryFrame: options.decodeEveryFrame,
    flagOutputs: options.flagOutput,
    imageInput: options.imageInput,
    quiet: options.quiet,
    engine,
  };
  if (options.redis !== undefined) {
    refuseWithRedis(options);
    const { runRedisCommand } = await import("./commands/run-redis.js");
    return runRedisCommand(workflow, { ...video, redis: options.redis });
  }
  const { runVideoCommand } = await import("./commands/run-video.js");
  return runVideoCommand(workflow, {
    ...video,
    out: options.out,
    videoOutputs: options.videoOutput,
    state: options.state,
    stateEvery: options.stateEvery,
    events: options.events === undefined ? undefined : { dir: options.events, retention: retentionOf(options), framesAround: options.eventFramesAround },
  });
}

const embedItems: EmbedItem[] = [];
addModelOptions(
  addImageLimitOptions(program.command("embed"))
    .description("Print embeddings of images and texts (CLIP by default), one JSON line per item")
    .addOption(
      new Option(
        "--model <version|folder|version=folder>",
        "model version (e.g. ViT-B-32), a model folder, or a folder mapped to a version as on every command",
      )
        .argParser(parseEmbedModel)
        .default(parseEmbedModel("ViT-B-32"), "ViT-B-32"),
    )
    .option("--image <file>", "an image to embed; repeatable", (file: string) => void embedItems.push({ type: "image", input: file }))
    .option("--text <string>", "a text to embed; repeatable", (text: string) => void embedItems.push({ type: "text", input: text })),
  false,
).action(
  exitWith("embed", async (options: Omit<ModelCliOptions, "model"> & ImageLimitOptions & { model: EmbedModel }) => {
    const { model, maxImagePixels, maxAspectRatio, ...rest } = options;
    const images = embedItems.filter((item) => item.type === "image").length;
    const defaults = { workload: images > 1 ? "throughput" : "latency" } as const;
    const imageLoading = { allowLocalFiles: true, allowUrls: true, maxImagePixels, maxAspectRatio };
    const { embedCommand } = await import("./commands/embed.js");
    return embedCommand(embedItems, model.version, modelSettings({ ...rest, model: model.folders }, defaults), imageLoading);
  }),
);

const models = program.command("models").description("Download and list models");
addModelOptions(
  models
    .command("pull")
    .description("Download a model version's files (every tower, one precision) into the cache")
    .argument("<version>", MODEL_FAMILIES.flatMap((family) => Object.keys(family.versions.hub)).join(", ")),
).action(
  exitWith("models pull", async (version: string, options: ModelCliOptions) =>
    (await import("./commands/models.js")).pullCommand(version, modelSettings(options)),
  ),
);
addModelOptions(models.command("list").description("What is in the model cache, with sizes").option("--json", "as JSON", false)).action(
  exitWith("models list", async (options: ModelCliOptions & { json: boolean }) =>
    (await import("./commands/models.js")).listCommand(modelSettings(options), options.json),
  ),
);

addModelOptions(
  program
    .command("demo")
    .description("The outlier-frames demo: sample 1 frame/s of a video, embed with CLIP, flag outliers, show them in a grid")
    .option("--video <file>", "video to watch (default: a sample made with ffmpeg)")
    .option("--out <dir>", "where results, grid images and the grid video go", "demo-output")
    .addOption(new Option("--download-dtype <precision>", "precision to download ViT-B-32 in, if it is not cached").choices([...DTYPES]).default("q8")),
).action(exitWith("demo", async (options: DemoOptions) => (await import("./commands/demo.js")).demoCommand(options)));

program
  .command("blocks")
  .description("List the blocks sightline can run")
  .option("--json", "the full description (JSON Schema of every block, kinds, connections)", false)
  .action(exitWith("blocks", async (options: { json: boolean }) => (await import("./commands/blocks.js")).blocksCommand(options)));

program
  .command("schema")
  .description("Print the JSON Schema of a workflow definition")
  .action(exitWith("schema", async () => (await import("./commands/blocks.js")).schemaCommand()));

addModelOptions(
  addSinkOptions(addEventRecordOptions(addRequestImageOptions(program.command("serve"))), { hosts: "none", directories: "<data-dir>/sinks" })
    .description("Serve workflows over HTTP (Roboflow-compatible routes, sessions, stream pipelines, metrics) until SIGINT/SIGTERM")
    .option("--host <host>", "address to listen on", SERVE_DEFAULTS.host)
    .option("--port <port>", "port (0: any free port)", parsePort, SERVE_DEFAULTS.port)
    .addOption(new Option("--api-key <key>", "require this key from clients (Authorization: Bearer, body api_key or ?api_key=)").env("SIGHTLINE_API_KEY"))
    .option("--max-body-mb <n>", "largest JSON request body, MiB", positiveNumber, SERVE_DEFAULTS.maxBodyMb)
    .option("--request-timeout-s <n>", "abort a workflow run after this many seconds (504)", positiveNumber, SERVE_DEFAULTS.requestTimeoutS)
    .option("--max-concurrency <n>", "workflow runs at once", positiveInteger, SERVE_DEFAULTS.maxConcurrency)
    .option("--max-queue <n>", "workflow runs waiting for a slot before 429", nonNegativeInteger, SERVE_DEFAULTS.maxQueue)
    .option("--session-ttl-s <n>", "drop a session idle for this many seconds", positiveNumber, SERVE_DEFAULTS.sessionTtlS)
    .option("--max-sessions <n>", "sessions held at most (a new one beyond: 429)", positiveInteger, SERVE_DEFAULTS.maxSessions)
    .option("--max-pipelines <n>", "stream pipelines held at most", positiveInteger, SERVE_DEFAULTS.maxPipelines)
    .addOption(
      new Option(
        "--redis <url>",
        "keep sessions and stream pipelines in Redis ≥ 6 or Valkey (redis://[user:password@]host[:port][/db]), so every replica on it answers every session and pipeline; `sightline worker` processes run the pipelines",
      ).env("SIGHTLINE_REDIS_URL"),
    )
    .option(
      "--data-dir <dir>",
      "keep pipelines in this folder, so that they resume after a restart or a crash; one server per folder (default: $XDG_STATE_HOME/sightline, else ~/.local/state/sightline)",
    )
    .option("--no-data-dir", "keep pipelines in memory only: they end with the server")
    .option("--checkpoint-every <ticks>", "checkpoint a running pipeline every this many ticks", positiveInteger, SERVE_DEFAULTS.checkpointEvery)
    .option("--checkpoint-interval-s <n>", "… or after this many seconds, whichever comes first", positiveNumber, SERVE_DEFAULTS.checkpointIntervalS)
    .option("--allow-local-video", "let pipelines open server-side files and devices (default: only on a loopback host)")
    .option("--no-allow-local-video", "only stream URLs and uploads as pipeline sources")
    .option(
      "--allowed-hosts <names>",
      "host names (name or name:port, comma-separated) answered besides localhost, 127.x and [::1]; on a non-loopback --host, giving any turns the Host check on (default: none)",
      allowedHostsOption,
    )
    .option("--max-upload-mb <n>", "largest upload, MiB", positiveNumber, SERVE_DEFAULTS.maxUploadMb)
    .option("--max-uploads <n>", "uploads held at most", positiveInteger, SERVE_DEFAULTS.maxUploads)
    .option("--no-custom-blocks", "refuse workflows with custom JavaScript blocks (dynamic_blocks_definitions)")
    .option("--max-custom-steps <n>", "steps of custom blocks a definition may have (400 beyond)", nonNegativeInteger, SERVE_DEFAULTS.maxCustomSteps)
    .option("--max-sandbox-workers <n>", "threads running custom blocks' code, shared by every request", positiveInteger, SERVE_DEFAULTS.maxSandboxWorkers)
    .addOption(logLevelOption("log level: info logs pipelines starting, failing and ending; debug adds every request")),
).action(
  exitWith("serve", async (options: ServeOptions & EventRecordCliOptions) =>
    (await import("./commands/serve.js")).serveCommand({ ...options, eventRetention: retentionOf(options) }),
  ),
);

program
  .command("events")
  .description("The event record: flagged frames kept by serve (in its data folder) and run --events")
  .command("export")
  .description("Write a selection of events as a COCO dataset (annotations.json + images/) for labelling and re-training")
  .option("--data-dir <dir>", "a server's data folder (its events/ folder is read)")
  .option("--events <dir>", "a run's events folder (sightline run --events DIR)")
  .requiredOption("--out <dir>", "the dataset's folder (created if needed)")
  .option("--pipeline-id <id>", "only this pipeline's events (or this run's)")
  .option("--source <name>", "only this source's events")
  .option("--since <date>", "only events recorded at or after this ISO 8601 time", isoDate)
  .option("--until <date>", "only events recorded before this ISO 8601 time", isoDate)
  .action(exitWith("events export", (options: EventsExportOptions) => eventsExportCommand(options)));

addModelOptions(
  addSinkOptions(program.command("worker"), { hosts: "none", directories: "none" })
    .description("Run stream pipelines that `sightline serve --redis` replicas create, until SIGINT/SIGTERM (then hand them over)")
    .addOption(
      new Option("--redis <url>", "the Redis the serve replicas use (redis://[user:password@]host[:port][/db])")
        .env("SIGHTLINE_REDIS_URL")
        .makeOptionMandatory(),
    )
    .option("--max-pipelines <n>", "pipelines run at once", positiveInteger, WORKER_DEFAULTS.maxPipelines)
    .option(
      "--lease-ms <n>",
      "lease on each pipeline: a worker that stops renewing it loses its pipelines after this long",
      positiveInteger,
      WORKER_DEFAULTS.leaseMs,
    )
    .option(
      "--checkpoint-every <n>",
      "checkpoint each pipeline every N ticks (and every 10 s, and on pause and hand-over)",
      positiveInteger,
      CHECKPOINT_EVERY_TICKS,
    )
    .option(
      "--results-buffer <n>",
      "frame results a pipeline holds while Redis is slow or unreachable before it waits",
      positiveInteger,
      WORKER_DEFAULTS.resultsBuffer,
    )
    .option("--metrics-port <port>", "serve this worker's Prometheus metrics at http://<metrics-host>:<port>/metrics", parsePort)
    .option("--metrics-host <host>", "address of the metrics listener", SERVE_DEFAULTS.host)
    .option("--no-custom-blocks", "refuse workflows with custom JavaScript blocks (dynamic_blocks_definitions)")
    .option("--max-custom-steps <n>", "steps of custom blocks a definition may have", nonNegativeInteger, SERVE_DEFAULTS.maxCustomSteps)
    .option("--max-sandbox-workers <n>", "threads running custom blocks' code", positiveInteger, SERVE_DEFAULTS.maxSandboxWorkers)
    .addOption(logLevelOption("log level: info logs pipelines taken, handed over and ending, and Redis outages")),
).action(exitWith("worker", async (options: WorkerCliOptions) => (await import("./commands/worker.js")).workerCommand(options)));

// A closed pipe on stdout (e.g. `| head`) means nobody reads the results any more: stop quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

await program.parseAsync(process.argv);
