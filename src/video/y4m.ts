/**
 * Splits ffmpeg's `-f yuv4mpegpipe -pix_fmt yuv420p` output into frames: a stream header
 * (`YUV4MPEG2 W640 H480 F30:1 … C420…`), then per frame `FRAME\n` and the Y, U, V planes. Half
 * the bytes of RGB and no conversion in ffmpeg; each frame's RGB is made only when someone reads
 * its pixels (`RawFrame.data` is a function here). Used for video files, whose size is fixed;
 * live streams, whose size may change, use PPM.
 */
import type { RawFrame } from "./ppm.js";
import { yuv420FrameBytes, yuv420ToRgb, type ColourMatrix } from "./yuv.js";

export class Y4mStreamError extends Error {
  override name = "Y4mStreamError";
}

const MAX_HEADER_BYTES = 512;
const NEWLINE = 0x0a;

/** `YUV4MPEG2 W… H… …` → size; refuses anything but 4:2:0. */
export function parseY4mStreamHeader(line: string): { width: number; height: number } {
  const fields = line.split(" ");
  if (fields[0] !== "YUV4MPEG2") throw new Y4mStreamError("the stream does not start with a YUV4MPEG2 header");
  let width = 0;
  let height = 0;
  for (const field of fields.slice(1)) {
    if (field.startsWith("W")) width = Number(field.slice(1));
    else if (field.startsWith("H")) height = Number(field.slice(1));
    else if (field.startsWith("C") && !field.startsWith("C420")) throw new Y4mStreamError(`chroma format ${field.slice(1)}; expected 4:2:0`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65536 || height > 65536) {
    throw new Y4mStreamError(`implausible frame size ${width}x${height}`);
  }
  return { width, height };
}

export class Y4mFrameParser {
  private size: { width: number; height: number } | null = null;
  private line: number[] = [];
  /**
   * The current frame's bytes as pieces of the chunks they came in, not copied into a frame
   * buffer of its own: most frames' pixels are never read (a sampler drops them), and a
   * 460 KB allocation per 640×480 frame would cost more in garbage collection than decoding.
   */
  private parts: Uint8Array[] | null = null;
  private filled = 0;

  constructor(private readonly matrix: ColourMatrix = 601) {}

  push(chunk: Uint8Array): RawFrame[] {
    const frames: RawFrame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.parts) {
        // A header line: the stream's (once) or a frame's.
        const end = chunk.indexOf(NEWLINE, offset);
        const stop = end === -1 ? chunk.length : end;
        for (let i = offset; i < stop; i++) this.line.push(chunk[i]);
        if (this.line.length > MAX_HEADER_BYTES) throw new Y4mStreamError("YUV4MPEG2 header line too long");
        offset = stop;
        if (end === -1) continue;
        offset++; // the newline
        const line = String.fromCharCode(...this.line);
        this.line = [];
        if (!this.size) {
          this.size = parseY4mStreamHeader(line);
          continue;
        }
        if (!line.startsWith("FRAME")) throw new Y4mStreamError("expected a FRAME header");
        this.parts = [];
        this.filled = 0;
      }
      const { width, height } = this.size!;
      const frameBytes = yuv420FrameBytes(width, height);
      const parts: Uint8Array[] = this.parts;
      const take = Math.min(chunk.length - offset, frameBytes - this.filled);
      parts.push(chunk.subarray(offset, offset + take));
      this.filled += take;
      offset += take;
      if (this.filled === frameBytes) {
        const matrix = this.matrix;
        frames.push({ width, height, data: () => yuv420ToRgb(parts, width, height, matrix), bytes: frameBytes });
        this.parts = null;
      }
    }
    return frames;
  }

  /** Bytes of a frame begun but not finished (a truncated stream). */
  get pendingBytes(): number {
    return this.line.length + (this.parts ? this.filled : 0);
  }
}
