/**
 * An image output stream written as a video file by an ffmpeg encoder child. Frames go in as
 * PPM (each one says its own size); ffmpeg scales them all to the first frame's size, so outputs
 * whose size varies (a grid that grows) still make one valid video.
 */
import { extname } from "node:path";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { WorkflowImage } from "../../images/index.js";
import { VideoSinkError } from "../errors.js";
import { FfmpegProcess, describeExit, findFfmpeg, type FfmpegTools } from "../ffmpeg.js";

export interface VideoCodecChoice {
  codec: string;
  args: string[];
}

const encoderLists = new WeakMap<FfmpegTools, Promise<Set<string>>>();

/** Names of the encoders this ffmpeg build has. */
export function availableEncoders(tools: FfmpegTools): Promise<Set<string>> {
  let encoders = encoderLists.get(tools);
  if (!encoders) {
    encoders = (async () => {
      const probe = new FfmpegProcess(tools.ffmpeg, ["-hide_banner", "-encoders"]);
      let text = "";
      probe.stdout.setEncoding("utf8");
      probe.stdout.on("data", (chunk: string) => (text += chunk));
      await probe.exited;
      return new Set([...text.matchAll(/^ [A-Z.]{6} (\S+)/gm)].map((match) => match[1]));
    })();
    encoderLists.set(tools, encoders);
  }
  return encoders;
}

/**
 * `.avi` → Motion JPEG. Anything else (`.mp4`, `.mkv`, `.mov`) → H.264 with libx264, or — in
 * builds without it (some distributions leave it out) — MPEG-4 part 2, which every FFmpeg has
 * and every player reads.
 */
export function chooseCodec(path: string, encoders: ReadonlySet<string>): VideoCodecChoice {
  if (extname(path).toLowerCase() === ".avi") return { codec: "mjpeg", args: ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"] };
  const faststart = [".mp4", ".mov"].includes(extname(path).toLowerCase()) ? ["-movflags", "+faststart"] : [];
  if (encoders.has("libx264")) {
    return { codec: "libx264", args: ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", ...faststart] };
  }
  return { codec: "mpeg4", args: ["-c:v", "mpeg4", "-q:v", "3", "-pix_fmt", "yuv420p", ...faststart] };
}

export interface VideoFileSinkOptions {
  /** Frames per second of the written video. */
  fps: number;
  tools?: FfmpegTools;
}

export class VideoFileSink {
  private encoder: FfmpegProcess | null = null;
  private size: { width: number; height: number } | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private written = 0;

  private constructor(
    readonly path: string,
    private readonly fps: number,
    private readonly tools: FfmpegTools,
    readonly codec: VideoCodecChoice,
  ) {}

  static async open(path: string, options: VideoFileSinkOptions): Promise<VideoFileSink> {
    if (!(options.fps > 0)) throw new VideoSinkError(`video output ${path}: fps must be positive, got ${options.fps}`);
    const tools = options.tools ?? (await findFfmpeg());
    await mkdir(dirname(path), { recursive: true });
    return new VideoFileSink(path, options.fps, tools, chooseCodec(path, await availableEncoders(tools)));
  }

  get framesWritten(): number {
    return this.written;
  }

  /** Queues one frame; resolves when ffmpeg has taken it (backpressure from the encoder). */
  write(image: WorkflowImage): Promise<void> {
    if (this.closed) return Promise.reject(new VideoSinkError(`video output ${this.path} is closed`));
    this.writing = this.writing.then(() => this.writeFrame(image));
    return this.writing;
  }

  private async writeFrame(image: WorkflowImage): Promise<void> {
    const encoder = this.encoder ?? this.start(image);
    if (!encoder.running || !encoder.stdin) throw this.failure(await encoder.exited, encoder);
    const header = Buffer.from(`P6\n${image.width} ${image.height}\n255\n`, "ascii");
    encoder.stdin.write(header);
    const accepted = encoder.stdin.write(image.data);
    this.written++;
    if (!accepted) {
      const stdin = encoder.stdin;
      await Promise.race([new Promise((resolve) => stdin.once("drain", resolve)), encoder.exited]);
    }
  }

  private start(first: WorkflowImage): FfmpegProcess {
    // 4:2:0 chroma needs even sides.
    const width = Math.max(2, first.width - (first.width % 2));
    const height = Math.max(2, first.height - (first.height % 2));
    this.size = { width, height };
    this.encoder = new FfmpegProcess(
      this.tools.ffmpeg,
      [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "level+error",
        "-f",
        "image2pipe",
        "-framerate",
        String(this.fps),
        "-c:v",
        "ppm",
        "-i",
        "pipe:0",
        "-vf",
        `scale=${width}:${height}`,
        ...this.codec.args,
        "-y",
        this.path,
      ],
      { stdin: true },
    );
    return this.encoder;
  }

  /** The size every frame is scaled to (the first frame's, made even); null before any frame. */
  get frameSize(): { width: number; height: number } | null {
    return this.size;
  }

  /** Finishes the file (ffmpeg writes the index on end of input). Throws `VideoSinkError` if encoding failed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing.catch(() => undefined);
    const encoder = this.encoder;
    if (!encoder) return;
    encoder.stdin?.end();
    const exit = await encoder.exited;
    if (exit.code !== 0) throw this.failure(exit, encoder);
  }

  private failure(exit: Awaited<FfmpegProcess["exited"]>, encoder: FfmpegProcess): VideoSinkError {
    return new VideoSinkError(`writing ${this.path} failed: ${describeExit(exit, encoder.lastMessages)}`);
  }
}
