/**
 * A local video file: every frame, in order, never dropped. Frame i (1-based) is stamped
 * start + (i−1)/fps with the container's declared fps, as upstream's InferencePipeline does
 * (start = file mtime − duration, see `recordingStartMs`). Since a frame's metadata is known before it
 * is decoded, a pixel demand (`SourceOptions.pixelDemand`) can say up front which frames some
 * step will read: ffmpeg then pipes only those, and the others are passed on without pixels.
 * Started after frame N (`startAfterFrame`), it pipes none of frames 1…N (see frame-selection.ts)
 * and every later frame is the frame of a run from the start: number, timestamp, pixels.
 */
import { FfmpegProcess, isErrorLevel, type FfmpegTools } from "../ffmpeg.js";
import { FrameNotDecodedError, SourceConnectionError } from "../errors.js";
import { planPipedFrames, sampledFrames, type PipedFrames } from "../frame-selection.js";
import { PpmStreamError, type RawFrame } from "../ppm.js";
import { Y4mStreamError } from "../y4m.js";
import type { ColourMatrix } from "../yuv.js";
import { fileFrameTimestamp, parseFrameRate, samplingStride } from "../timing.js";
import { FfmpegDecoder } from "./ffmpeg-decoder.js";
import { QueuedSource, recordingStartMs } from "./source.js";

/** Frames planned between two turns of the event loop (see `planPiping`). */
const PLAN_CHUNK_FRAMES = 4096;

/** Used when a file declares no usable rate (rare: some raw or image-sequence inputs). */
const FALLBACK_FPS = 30;

/**
 * Local paths get `file:` so that a name with a colon is not taken for a protocol; a URL stays as
 * it is (a finite HTTP/HLS video opened with `kind: "file"` plays every frame and ends).
 */
function ffmpegInput(reference: string): string {
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(reference) ? reference : `file:${reference}`;
}

export interface FileProbe {
  fps: number | null;
  /** `nb_frames` when the container states it, else duration × fps rounded; null if neither is known. */
  totalFrames: number | null;
  /** Whether `totalFrames` is the container's own count rather than an estimate. */
  framesDeclared: boolean;
  width: number;
  height: number;
  /** The stream's YUV matrix: BT.709 when it says so, else BT.601 (what ffmpeg assumes). */
  matrix: ColourMatrix;
}

/** Reads the first video stream's rate, size, length and colour matrix with ffprobe. */
/**
 * Up to 1080p one decoding thread is several times faster than the pipeline needs (640×480
 * H.264: ~3 500 fps here) and costs 40 % less CPU than ffmpeg's frame threads, CPU that inference
 * shares; larger frames keep ffmpeg's own choice. A user's `-threads` in `inputArgs` comes later and wins.
 */
function decoderThreads(probe: FileProbe): string[] {
  return probe.width * probe.height <= 1920 * 1080 ? ["-threads", "1"] : [];
}

export async function probeVideoFile(tools: FfmpegTools, path: string): Promise<FileProbe> {
  const probe = new FfmpegProcess(tools.ffprobe, [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,color_space:format=duration",
    "-of",
    "json",
    ffmpegInput(path),
  ]);
  const chunks: Buffer[] = [];
  probe.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const exit = await probe.exited;
  if (exit.code !== 0) {
    const why = probe.lastMessages.at(-1) ?? exit.spawnError?.message ?? `ffprobe exited with code ${exit.code}`;
    throw new SourceConnectionError(`cannot read video file ${path}: ${why.replace(`${ffmpegInput(path)}: `, "")}`);
  }
  const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
    streams?: Array<Record<string, string | number | undefined>>;
    format?: Record<string, string | undefined>;
  };
  const stream = parsed.streams?.[0];
  if (!stream) throw new SourceConnectionError(`${path} has no video stream`);
  const fps = parseFrameRate(String(stream.avg_frame_rate ?? "")) ?? parseFrameRate(String(stream.r_frame_rate ?? ""));
  const declaredFrames = Number(stream.nb_frames);
  const duration = Number(stream.duration ?? parsed.format?.duration);
  const totalFrames =
    Number.isInteger(declaredFrames) && declaredFrames > 0
      ? declaredFrames
      : fps !== null && Number.isFinite(duration) && duration > 0
        ? Math.round(duration * fps)
        : null;
  const matrix: ColourMatrix = stream.color_space === "bt709" ? 709 : 601;
  const framesDeclared = Number.isInteger(declaredFrames) && declaredFrames > 0;
  return { fps, totalFrames, framesDeclared, width: Number(stream.width), height: Number(stream.height), matrix };
}

export class VideoFileSource extends QueuedSource {
  private decoder: FfmpegDecoder | null = null;

  private get tools(): FfmpegTools {
    if (!this.options.tools) throw new Error("a video file source needs FFmpeg");
    return this.options.tools;
  }

  protected async run(): Promise<void> {
    let probe: FileProbe;
    try {
      probe = await probeVideoFile(this.tools, this.reference);
    } catch (error) {
      this.fail((error as Error).message);
      return;
    }
    this.declaredFps = probe.fps;
    const fps = probe.fps ?? FALLBACK_FPS;
    const every = samplingStride(fps, this.options.sampleFps);
    this.totalFrames = probe.totalFrames === null ? null : Math.ceil(probe.totalFrames / every);
    const sampled = sampledFrames(every, this.startAfter);
    if (probe.framesDeclared && sampled.frameNumber(0) > probe.totalFrames!) {
      // nothing after the start frame (a resumed run that had finished): no need to decode the file
      this.end();
      return;
    }
    const startMs = await recordingStartMs(this.reference, probe.totalFrames, fps);
    if (this.stopping) return;
    const timestamp = (frameNumber: number) => fileFrameTimestamp(startMs, frameNumber, fps);
    const planned = every === 1 ? await this.planPiping(probe, timestamp) : null;
    if (this.stopping) return;
    const piped = planned ?? sampled;
    /** The first frame not delivered yet. */
    let next = this.startAfter + 1;
    let pipedCount = 0;
    // ffmpeg logs while decoding the frame after the last one we have read (or a few later: the
    // pipe holds some), so this names the earliest frame the damage can be in.
    const damagedFrom = () => (planned ? next : piped.frameNumber(pipedCount));
    const decoder = new FfmpegDecoder(
      this.tools,
      {
        input: ffmpegInput(this.reference),
        inputArgs: [...decoderThreads(probe), ...(this.options.inputArgs ?? [])],
        scale: this.options.scale,
        select: piped.expression,
        format: "y4m",
        matrix: probe.matrix,
        logLevel: "warning",
      },
      (line) => {
        // What ffmpeg says while we are killing it (a stop) is our own doing.
        if (isErrorLevel(line.level) && !this.stopping) this.reportError(damagedFrom(), line.message);
      },
    );
    this.decoder = decoder;
    this.state = "running";
    this.emit({ ...this.base(), type: "connected", attempt: 0 });
    let readToEnd = false;
    try {
      for await (const raw of decoder.frames()) {
        const frameNumber = piped.frameNumber(pipedCount++);
        // With a pixel demand, the frames skipped before this one are known to exist now: they go first, without pixels.
        if (!(await this.deliver(raw, planned ? next : frameNumber, frameNumber, timestamp))) break;
        next = frameNumber + 1;
      }
      readToEnd = !this.stopping;
      if (readToEnd && planned && next <= (probe.totalFrames ?? 0)) {
        // Frames are passed on without pixels only once a later frame proves they exist.
        const expected = planned.frameNumber(pipedCount);
        const unseen = expected > next ? `; frames ${next}–${expected - 1}, whose pixels no step reads, may exist but were not seen and are not processed` : "";
        this.reportError(next, `the file ended before frame ${expected} (it declares ${probe.totalFrames})${unseen}`);
      }
    } catch (error) {
      if (!this.stopping) {
        const message =
          error instanceof PpmStreamError || error instanceof Y4mStreamError ? `unexpected decoder output: ${error.message}` : (error as Error).message;
        this.reportError(damagedFrom(), message);
      }
    }
    const exit = readToEnd ? await decoder.process.exited : await decoder.process.kill();
    if (this.stopping) return;
    if (decoder.pendingBytes > 0) this.reportError(damagedFrom(), "the file ends in the middle of a frame");
    if (exit.code !== 0 && exit.code !== null) {
      this.reportError(damagedFrom(), `decoding stopped: ffmpeg exited with code ${exit.code}: ${decoder.process.lastMessages.at(-1) ?? ""}`);
    }
    this.end();
  }

  /** Frames `from`…`last`: `raw` as frame `last`, and the ones before it without pixels. False once the source is stopping. */
  private async deliver(raw: RawFrame, from: number, last: number, timestamp: (frameNumber: number) => Date): Promise<boolean> {
    for (let frameNumber = from; frameNumber < last; frameNumber++) {
      if (!(await this.put(this.stamp(this.withoutPixels(raw, frameNumber), frameNumber, timestamp(frameNumber), true)))) return false;
    }
    return this.put(this.stamp(raw, last, timestamp(last), true));
  }

  /**
   * With a pixel demand, the frames after the start frame that some step reads the pixels of
   * (and the last few declared frames and any after them: the end is always seen); null to pipe
   * every frame — no demand, a length the container does not state (an estimate from the
   * duration could be frames off), or too little to skip. The demand's forecast starts from the
   * engine's state now, which is the state after the start frame.
   */
  private async planPiping(probe: FileProbe, timestamp: (frameNumber: number) => Date): Promise<PipedFrames | null> {
    const total = probe.totalFrames;
    if (!this.options.pixelDemand || !probe.framesDeclared || total === null) return null;
    const demanded = this.options.pixelDemand();
    const plan: boolean[] = [];
    for (let frameNumber = this.startAfter + 1; frameNumber <= total; frameNumber++) {
      // ~5 µs a frame: an hour of video takes half a second, which other streams should not wait for
      if (frameNumber % PLAN_CHUNK_FRAMES === 0) {
        await new Promise(setImmediate);
        if (this.stopping) return null;
      }
      const metadata = this.frameMetadata(frameNumber, timestamp(frameNumber), true, null);
      plan.push(demanded({ width: probe.width, height: probe.height, metadata }));
    }
    return planPipedFrames(plan, total, this.startAfter);
  }

  /** Frame `frameNumber`, skipped by the decoder, the size of `piped` (a file's frames all have one size). */
  private withoutPixels(piped: RawFrame, frameNumber: number): RawFrame {
    this.framesWithoutPixels++;
    const source = this.id;
    return {
      width: piped.width,
      height: piped.height,
      bytes: 0,
      data: () => {
        throw new FrameNotDecodedError(
          `frame ${frameNumber} of source ${source} was not decoded: the workflow's flow control was forecast to let no step read its pixels`,
        );
      },
    };
  }

  protected override async interrupt(): Promise<void> {
    await super.interrupt();
    await this.decoder?.process.kill();
  }
}
