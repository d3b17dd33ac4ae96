/**
 * One ffmpeg child decoding one input to frames on stdout: PPM-framed rgb24 (each frame states its
 * size: live streams may change it), or YUV4MPEG 4:2:0 (half the bytes, converted to RGB only
 * when a frame's pixels are read: files, whose size is fixed).
 */
import { FfmpegProcess, type FfmpegTools, type LogLine } from "../ffmpeg.js";
import { PpmFrameParser, type RawFrame } from "../ppm.js";
import { Y4mFrameParser } from "../y4m.js";
import type { ColourMatrix } from "../yuv.js";

export interface DecoderInput {
  /** What goes after `-i` (files get a `file:` prefix so names with a colon are not read as protocols). */
  input: string;
  inputArgs: readonly string[];
  scale?: { width?: number; height?: number };
  /** ffmpeg `select` expression for the frames to pipe; the others are decoded but never converted or piped. Default: all. */
  select?: string;
  /** `ppm` (default): rgb24 per frame; `y4m`: 4:2:0 YUV, converted with `matrix` on first read. */
  format?: "ppm" | "y4m";
  matrix?: ColourMatrix;
  /** Live sources need `info` to read the declared fps; files only want problems. */
  logLevel: "info" | "warning";
}

/** `-vf` for frame selection then scaling; −1 keeps the aspect ratio for a side left out. */
export function videoFilters(scale: { width?: number; height?: number } | undefined, select?: string): string[] {
  const filters: string[] = [];
  if (select !== undefined) filters.push(`select=${select}`);
  if (scale && (scale.width !== undefined || scale.height !== undefined)) {
    for (const side of [scale.width, scale.height]) {
      if (side !== undefined && (!Number.isInteger(side) || side < 1)) throw new RangeError(`scale sides must be positive integers, got ${side}`);
    }
    filters.push(`scale=${scale.width ?? -1}:${scale.height ?? -1}`);
  }
  return filters.length > 0 ? ["-vf", filters.join(",")] : [];
}

export function decoderArgs(tools: FfmpegTools, input: DecoderInput): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    `level+${input.logLevel}`,
    ...input.inputArgs,
    "-i",
    input.input,
    "-map",
    "0:v:0",
    "-an",
    "-sn",
    "-dn",
    ...tools.passthroughArgs,
    ...videoFilters(input.scale, input.select),
    ...(input.format === "y4m" ? ["-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p"] : ["-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24"]),
    "pipe:1",
  ];
}

export class FfmpegDecoder {
  readonly process: FfmpegProcess;
  private readonly parser: PpmFrameParser | Y4mFrameParser;

  constructor(tools: FfmpegTools, input: DecoderInput, onLog: (line: LogLine) => void) {
    this.parser = input.format === "y4m" ? new Y4mFrameParser(input.matrix) : new PpmFrameParser();
    this.process = new FfmpegProcess(tools.ffmpeg, decoderArgs(tools, input), { onLog });
  }

  /**
   * Frames in decoding order. Pulling is what reads stdout: a consumer that stops pulling stops
   * ffmpeg once the pipe is full. Throws `PpmStreamError` / `Y4mStreamError` if the stream is not
   * what we asked for.
   */
  async *frames(): AsyncGenerator<RawFrame> {
    for await (const chunk of this.process.stdout) {
      for (const frame of this.parser.push(chunk as Buffer)) yield frame;
    }
  }

  /** Bytes of an unfinished last frame: a stream cut mid-frame. */
  get pendingBytes(): number {
    return this.parser.pendingBytes;
  }
}
