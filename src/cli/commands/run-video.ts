/**
 * `sightline run <workflow.json> --video <ref> [--video <ref>]…`: the workflow on video files,
 * streams, webcams or image folders, one engine for the whole run. One JSON line per processed
 * frame on stdout: `{"source", "frame_number", "frame_timestamp", "outputs"}` (+ `"error"` when
 * the frame failed).
 */
import { toErrorBody, type WorkflowErrorBody } from "../../errors/index.js";
import { serialiseValue } from "../../executor/serialise.js";
import { compile, type CompileOptions } from "../../index.js";
import { StateFile } from "../../state/file.js";
import { parseVideoArgument, ResultSinks, type SourceEvent, type VideoOutputSpec } from "../../video/index.js";
import { VideoPipeline } from "../../video/pipeline.js";
import { printJson, readDefinition } from "../io.js";
import { ProgressLine, summaryText } from "../progress.js";

export interface RunVideoOptions {
  videos: string[];
  params: Record<string, unknown>;
  maxFps?: number;
  sampleFps?: number;
  frameSize?: { width?: number; height?: number };
  /** See `PipelineOptions.decodeEveryFrame`. */
  decodeEveryFrame?: boolean;
  out?: string;
  videoOutputs: VideoOutputSpec[];
  imageInput: string;
  state?: string;
  stateEvery: number;
  quiet: boolean;
  /** Print the result lines on stdout (default true). */
  printLines?: boolean;
  engine: CompileOptions;
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
  }
}

export async function runVideoCommand(workflowPath: string, options: RunVideoOptions): Promise<number> {
  const stateFile = options.state ? new StateFile(options.state, options.stateEvery) : null;
  const specs = options.videos.map(parseVideoArgument);
  let engine;
  try {
    engine = compile(await readDefinition(workflowPath), { ...options.engine, isolateElementErrors: true, snapshot: await stateFile?.load() });
    if (!engine.plan.inputsByName.has(options.imageInput)) {
      throw new Error(`the workflow has no input named "${options.imageInput}" for the video frames (use --image-input)`);
    }
  } catch (error) {
    printJson(toErrorBody(error));
    return 1;
  }

  const progress = new ProgressLine();
  const log = (text: string) => {
    progress.clear();
    process.stderr.write(`${text}\n`);
  };
  const sinks = await ResultSinks.open({
    serialise: (outputs) => serialiseValue(outputs),
    stdout: options.printLines === false ? null : process.stdout,
    outDir: options.out,
    videoOutputs: options.videoOutputs,
    sources: specs.map((spec, index) => spec.name ?? String(index)),
  });
  const pipeline = new VideoPipeline({
    engine,
    videos: specs,
    params: options.params,
    maxFps: options.maxFps,
    sampleFps: options.sampleFps,
    frameSize: options.frameSize,
    decodeEveryFrame: options.decodeEveryFrame,
    imageInputName: options.imageInput,
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
      for (const result of results) if (result.error) log(`source ${result.frame.source}, frame ${result.frame.frameNumber}: ${describeError(result.error)}`);
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
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let failed = false;
  try {
    await pipeline.run();
  } catch (error) {
    failed = true;
    printJson({ error: toErrorBody(error) });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await sinks.close();
    await stateFile?.save(engine);
    await engine.close();
    progress.clear();
    if (!options.quiet) process.stderr.write(`${summaryText(pipeline.status())}\n`);
  }
  if (signal) return signal === "SIGINT" ? 130 : 143;
  return failed || pipeline.status().errors > 0 ? 1 : 0;
}

function describeError(error: WorkflowErrorBody): string {
  return `${error.error_type}: ${error.message}`;
}
