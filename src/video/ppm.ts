/**
 * Splits ffmpeg's `-f image2pipe -c:v ppm` output into frames. Every frame is raw rgb24 behind a
 * tiny `P6 <width> <height> 255` header, so the stream states each frame's size itself: no
 * reliance on probing or log scraping, resolution changes mid-stream (HLS variants, a camera
 * reconnecting at another size) come out right, and a desynchronised stream is detected.
 */

export interface RawFrame {
  width: number;
  height: number;
  /** Interleaved RGB, `width * height * 3` bytes, owned by the receiver — or made on first use (YUV frames). */
  data: Uint8Array | (() => Uint8Array);
  /** Memory the frame holds until its pixels are read (what read-ahead budgets): 0 for a frame without pixels. */
  bytes: number;
}

/** A frame whose pixels are already RGB. */
export interface RgbFrame extends RawFrame {
  data: Uint8Array;
}

export class PpmStreamError extends Error {
  override name = "PpmStreamError";
}

const MAX_HEADER_BYTES = 64;
const MAX_DIMENSION = 1 << 16;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Parses `P6<ws>W<ws>H<ws>255<one ws>` at the start of `bytes`. Returns null while incomplete.
 * (ffmpeg writes no `#` comments, so none are accepted.)
 */
export function parsePpmHeader(bytes: Uint8Array): { width: number; height: number; headerLength: number } | null {
  if (bytes.length >= 1 && bytes[0] !== 0x50) throw new PpmStreamError("frame does not start with a PPM header");
  if (bytes.length >= 2 && bytes[1] !== 0x36) throw new PpmStreamError("not a binary RGB (P6) frame");
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3) {
    if (i >= bytes.length) return incomplete(bytes);
    if (!isSpace(bytes[i])) throw new PpmStreamError("malformed PPM header");
    while (i < bytes.length && isSpace(bytes[i])) i++;
    let value = 0;
    let digits = 0;
    while (i < bytes.length && bytes[i] >= 0x30 && bytes[i] <= 0x39) {
      value = value * 10 + (bytes[i] - 0x30);
      digits++;
      i++;
    }
    if (i >= bytes.length) return incomplete(bytes);
    if (digits === 0) throw new PpmStreamError("malformed PPM header");
    fields.push(value);
  }
  if (i >= bytes.length) return incomplete(bytes);
  if (!isSpace(bytes[i])) throw new PpmStreamError("malformed PPM header");
  const [width, height, maxValue] = fields;
  if (maxValue !== 255) throw new PpmStreamError(`PPM frame with maxval ${maxValue}; expected 8-bit (255)`);
  if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw new PpmStreamError(`implausible frame size ${width}x${height}`);
  }
  return { width, height, headerLength: i + 1 };
}

function incomplete(bytes: Uint8Array): null {
  if (bytes.length > MAX_HEADER_BYTES) throw new PpmStreamError("PPM header too long");
  return null;
}

/** Incremental: `push` chunks as they arrive, get the frames they complete. */
export class PpmFrameParser {
  private header: Uint8Array = new Uint8Array(0);
  private frame: RgbFrame | null = null;
  private filled = 0;

  push(chunk: Uint8Array): RgbFrame[] {
    const frames: RgbFrame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.frame) {
        const take = Math.min(chunk.length - offset, MAX_HEADER_BYTES + 1 - this.header.length);
        const candidate = concat(this.header, chunk.subarray(offset, offset + take));
        const parsed = parsePpmHeader(candidate);
        if (!parsed) {
          this.header = candidate;
          offset += take;
          continue;
        }
        offset += parsed.headerLength - this.header.length;
        this.header = new Uint8Array(0);
        const bytes = parsed.width * parsed.height * 3;
        this.frame = { width: parsed.width, height: parsed.height, data: new Uint8Array(bytes), bytes };
        this.filled = 0;
      }
      const frame = this.frame;
      const take = Math.min(chunk.length - offset, frame.data.length - this.filled);
      frame.data.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === frame.data.length) {
        frames.push(frame);
        this.frame = null;
      }
    }
    return frames;
  }

  /** Bytes of a frame begun but not finished (a truncated stream). */
  get pendingBytes(): number {
    return this.header.length + (this.frame ? this.filled : 0);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
