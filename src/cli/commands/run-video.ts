/**
 * `sightline run <workflow.json> --video <ref> [--video <ref>]…`: the workflow on video files,
 * streams, webcams or image folders, one engine for the whole run. One JSON line per processed
 * frame on stdout: `{"source", "frame_number", "frame_timestamp", "outputs"}` (+ `"error"` when
 * the frame failed). Everything else — source events, failed frames, the summary, what stops the
 * run as a whole (whose error body is also the last line of stdout) — goes to standard error; the
 * exit code says whether anything failed (docs/reference/cli.md#output-and-exit-codes).
 */
import { randomUUID } from "node:crypto";
import { EventRecorder, EventStore, type RetentionLimits } from "../../events/index.js";
import { serialiseValue } from "../../executor/serialise.js";
import { compile, type CompileOptions } from "../../index.js";
import { resumeFrom, StateFile } from "../../state/file.js";
import { parseVideoArgument, ResultSinks, type SourceEvent, type VideoOutputSpec } from "../../video/index.js";
import { VideoPipeline } from "../../video/pipeline.js";
import { EXIT, ErrorLog, onStopSignals, cleanUp, reportFailure, signalExitCode } from "../failure.js";
import { readDefinition } from "../io.js";
import { ProgressLine, runFailures, summaryText } from "../progress.js";
import { checkCommandLineNames, reportWarnings } from "../workflow-names.js";

/** What a run on video is, wherever its sources are read (here, or on workers with `--redis`). */
export interface VideoRunOptions {
  videos: string[];
  params: Record<string, unknown>;
  maxFps?: number;
  sampleFps?: number;
  frameSize?: { width?: number; height?: number };
  /** See `PipelineOptions.decodeEveryFrame`. */
  decodeEveryFrame?: boolean;
  /** Boolean outputs that flag a frame; empty: the pipeline's default (`isFlagOutput`). */
  flagOutputs?: readonly string[];
  imageInput: string;
  quiet: boolean;
  engine: CompileOptions;
}

export interface RunVideoOptions extends VideoRunOptions {
  out?: string;
  videoOutputs: VideoOutputSpec[];
  state?: string;
  stateEvery: number;
  /** Print the result lines on stdout (default true). */
  printLines?: boolean;
  /** Keep flagged frames as events in this folder (docs/reference/events.md#sightline-run---events). */
  events?: { dir: string; retention: RetentionLimits; framesAround: number };
}

function describeEvent(event: SourceEvent): string | null {
  const where = `source ${event.source}`;
  switch (event.type) {
    case "connected":
      return event.attempt > 1 ? `${where}: reconnected` : null;
    case "reconnecting":
      return `${where}: reconnecting in ${event.delayMs} ms (attempt ${event.attempt}): ${event.reason}`;
    case "error":
      return `${where}${event.frameNumber === null ? "" : `, frame ${event.frameNumber}`}: ${event.message}`;
    case "failed":
      return `${where}: failed: ${event.message}`;
    case "ended":
      return null;
    case "resumed":
      return `${where}: resumed after frame ${event.afterFrame}`;
  }
}

export async function runVideoCommand(workflowPath: string, options: RunVideoOptions): Promise<number> {
  const progress = new ProgressLine();
  const log = (text: string) => {
    progress.clear();
    process.stderr.write(`${text}\n`);
  };
  const stateFile = options.state
    ? new StateFile(options.state, options.stateEvery, (error) => {
        progress.clear();
        reportFailure("run", error);
      })
    : null;
  const specs = options.videos.map(parseVideoArgument);
  const flagOutputs = options.flagOutputs?.length ? options.flagOutputs : undefined;
  const definition = await readDefinition(workflowPath);
  const engine = await resumeFrom(stateFile, (snapshot) => compile(definition, { ...options.engine, isolateElementErrors: true, snapshot }));
  let sinks: ResultSinks;
  let events: EventStore | null = null;
  try {
    checkCommandLineNames(engine.plan, { params: options.params, imageInput: options.imageInput, videoOutputs: options.videoOutputs, flagOutputs });
    sinks = await ResultSinks.open({
      serialise: (outputs) => serialiseValue(outputs),
      stdout: options.printLines === false ? null : process.stdout,
      outDir: options.out,
      videoOutputs: options.videoOutputs,
      sources: specs.map((spec, index) => spec.name ?? String(index)),
    });
    if (options.events) events = await EventStore.open(options.events.dir, { retention: options.events.retention, framesAround: options.events.framesAround });
  } catch (error) {
    await engine.close();
    throw error;
  }
  // The events' pipeline id: this run's, so that its events can be told from another run's.
  const runId = randomUUID();
  if (events) log(`sightline: flagged frames kept as events of run ${runId} in ${events.dir}`);
  // A write that fails fails the run, as an output that cannot be written does.
  const recorder = events && new EventRecorder(events, { pipelineId: runId, flagOutputs });
  reportWarnings("run", engine.plan);

  const errors = new ErrorLog(log, "the summary counts every failed frame");
  const pipeline = new VideoPipeline({
    engine,
    videos: specs,
    params: options.params,
    maxFps: options.maxFps,
    sampleFps: options.sampleFps,
    frameSize: options.frameSize,
    decodeEveryFrame: options.decodeEveryFrame,
    imageInputName: options.imageInput,
    flagOutputs,
    onSourceEvent: (event) => {
      const text = describeEvent(event);
      if (text) log(text);
    },
    onTick: async (tick, results) => {
      await sinks.write(
        tick,
        results.map((r) => r.outputs),
        results.map((r) => r.error),
      );
      for (const result of results) if (result.error) errors.report(`source ${result.frame.source}, frame ${result.frame.frameNumber}`, result.error);
      await recorder?.recordTick(results, async (result) => (await serialiseValue(result.outputs)) as Record<string, unknown>);
      await stateFile?.ranOnce(engine);
      if (!options.quiet) progress.update(() => pipeline.status());
    },
  });

  let signal: NodeJS.Signals | null = null;
  const stop = (received: NodeJS.Signals) => {
    signal = received;
    log(`sightline: ${received} — finishing the current frame and flushing outputs`);
    void pipeline.stop();
  };
  const releaseSignals = onStopSignals(stop);
  let failed = false;
  try {
    await pipeline.run();
  } catch (error) {
    failed = true;
    progress.clear();
    reportFailure("run", error, { errorBody: true });
  } finally {
    releaseSignals();
    const closed = await cleanUp("run", [() => sinks.close(), async () => stateFile?.save(engine), async () => events?.close(), () => engine.close()]);
    failed ||= !closed || stateFile?.failed === true;
    progress.clear();
    if (!options.quiet) process.stderr.write(`${summaryText(pipeline.status())}\n`);
  }
  if (signal) return signalExitCode(signal);
  const { errors: failedFrames, failedSources } = runFailures(pipeline.status());
  return failed || failedFrames > 0 || failedSources > 0 ? EXIT.failed : EXIT.ok;
}
