/** YUV frames: the conversion kernel, the YUV4MPEG parser, and agreement with ffmpeg's own RGB. */
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { findFfmpeg } from "../../src/video/ffmpeg.js";
import { FfmpegDecoder } from "../../src/video/sources/ffmpeg-decoder.js";
import { makeTestVideo } from "../../src/video/testing.js";
import { parseY4mStreamHeader, Y4mFrameParser, Y4mStreamError } from "../../src/video/y4m.js";
import { yuv420FrameBytes, yuv420ToRgb, yuv420ToRgbScalar } from "../../src/video/yuv.js";
import { WorkflowImage } from "../../src/images/index.js";
import { tempDir } from "../helpers/cli.js";

function planes(width: number, height: number, y: number, u: number, v: number): Uint8Array {
  const out = new Uint8Array(yuv420FrameBytes(width, height));
  out.fill(y, 0, width * height);
  const chroma = (out.length - width * height) / 2;
  out.fill(u, width * height, width * height + chroma);
  out.fill(v, width * height + chroma);
  return out;
}

describe("yuv420ToRgb", () => {
  const near = (actual: Uint8Array, expected: number[]) => expected.forEach((value, i) => expect(Math.abs(actual[i] - value)).toBeLessThanOrEqual(2));

  it("maps limited-range primaries and greys to their RGB, with the stream's matrix", () => {
    near(yuv420ToRgb(planes(2, 2, 81, 90, 240), 2, 2, 601), [255, 0, 0]); // BT.601 red
    near(yuv420ToRgb(planes(2, 2, 145, 54, 34), 2, 2, 601), [0, 255, 0]); // BT.601 green
    near(yuv420ToRgb(planes(2, 2, 63, 102, 240), 2, 2, 709), [255, 0, 0]); // BT.709 red
    expect([...yuv420ToRgb(planes(2, 2, 16, 128, 128), 2, 2, 601).slice(0, 3)]).toEqual([0, 0, 0]);
    expect([...yuv420ToRgb(planes(2, 2, 235, 128, 128), 2, 2, 601).slice(0, 3)]).toEqual([255, 255, 255]);
  });

  it("gives the same bytes in WebAssembly as in TypeScript, odd sizes included", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 33 }),
        fc.integer({ min: 1, max: 33 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        fc.constantFrom(601 as const, 709 as const),
        (width, height, seed, matrix) => {
          const data = Uint8Array.from({ length: yuv420FrameBytes(width, height) }, (_, i) => (seed + i * 2654435761) % 256);
          const expected = yuv420ToRgbScalar(data, width, height, matrix);
          expect(yuv420ToRgb(data, width, height, matrix)).toEqual(expected);
          // the bytes in pieces, as they come from a pipe
          const cut = 1 + (seed % data.length);
          expect(yuv420ToRgb([data.subarray(0, cut), data.subarray(cut)], width, height, matrix)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("Y4mFrameParser", () => {
  it("splits a stream whatever the chunking, and converts a frame only when its pixels are read", () => {
    const header = new TextEncoder().encode("YUV4MPEG2 W3 H2 F30:1 Ip A1:1 C420jpeg\n");
    const frame = (y: number) => [...new TextEncoder().encode("FRAME\n"), ...planes(3, 2, y, 128, 128)];
    const stream = new Uint8Array([...header, ...frame(16), ...frame(235)]);
    for (const chunkSize of [1, 3, 7, stream.length]) {
      const parser = new Y4mFrameParser();
      const frames = [];
      for (let offset = 0; offset < stream.length; offset += chunkSize) frames.push(...parser.push(stream.subarray(offset, offset + chunkSize)));
      expect(frames.map((f) => [f.width, f.height, typeof f.data])).toEqual([
        [3, 2, "function"],
        [3, 2, "function"],
      ]);
      const image = new WorkflowImage({ ...frames[1], parentId: "frame" });
      expect([...image.data.slice(0, 3)]).toEqual([255, 255, 255]);
      expect(parser.pendingBytes).toBe(0);
    }
  });

  it("refuses what is not a 4:2:0 YUV4MPEG stream", () => {
    expect(() => parseY4mStreamHeader("YUV4MPEG2 W4 H4 C444")).toThrow(Y4mStreamError);
    expect(() => new Y4mFrameParser().push(new TextEncoder().encode("P6 1 1 255\n"))).toThrow(/YUV4MPEG2 header/);
  });
});

describe("decoding a file as YUV", () => {
  let video: string;
  beforeAll(async () => {
    video = join(tempDir(), "pattern.mp4");
    await makeTestVideo(video, { width: 96, height: 64, fps: 10, frames: 3, background: "testsrc2" });
  });

  it("agrees with ffmpeg's own RGB conversion to within a few levels", async () => {
    const tools = await findFfmpeg();
    const read = async (format: "ppm" | "y4m") => {
      const decoder = new FfmpegDecoder(tools, { input: `file:${video}`, inputArgs: [], format, matrix: 601, logLevel: "warning" }, () => {});
      const frames: Uint8Array[] = [];
      for await (const frame of decoder.frames()) frames.push(typeof frame.data === "function" ? frame.data() : frame.data);
      return frames;
    };
    const [rgb, yuv] = await Promise.all([read("ppm"), read("y4m")]);
    expect(yuv).toHaveLength(rgb.length);
    for (let f = 0; f < rgb.length; f++) {
      let worst = 0;
      let total = 0;
      for (let i = 0; i < rgb[f].length; i++) {
        const difference = Math.abs(rgb[f][i] - yuv[f][i]);
        worst = Math.max(worst, difference);
        total += difference;
      }
      expect(total / rgb[f].length).toBeLessThan(2);
      // Edges of colour bars differ where ffmpeg filters chroma and we take the nearest sample.
      expect(worst).toBeLessThan(96);
    }
  });
});
