import { describe, expect, it } from "vitest";
import { hasFpsMode, parseLogLine } from "../../src/video/ffmpeg.js";
import { PpmFrameParser, PpmStreamError, parsePpmHeader } from "../../src/video/ppm.js";
import { parseVideoArgument, redactReference } from "../../src/video/reference.js";
import { safePathPart } from "../../src/video/sinks/image-files.js";
import { videoPathFor } from "../../src/video/sinks/results.js";
import { chooseCodec } from "../../src/video/sinks/video-file.js";
import { sortNaturally } from "../../src/video/sources/image-folder.js";
import { videoFilters } from "../../src/video/sources/ffmpeg-decoder.js";
import { MAX_SELECT_TERMS, planPipedFrames, progressions, sampledFrames, selectExpression, TAIL_FRAMES } from "../../src/video/frame-selection.js";
import { anomalyFilters } from "../../src/video/testing.js";
import { RollingRate, backoffDelay, declaredFpsFromStreamLine, fileFrameTimestamp, parseFrameRate } from "../../src/video/timing.js";

function ppm(width: number, height: number, fill: number): Uint8Array {
  const header = new TextEncoder().encode(`P6\n${width} ${height}\n255\n`);
  const frame = new Uint8Array(header.length + width * height * 3).fill(fill);
  frame.set(header, 0);
  return frame;
}

describe("PPM frame stream", () => {
  it("reads headers and says when one is incomplete", () => {
    expect(parsePpmHeader(new TextEncoder().encode("P6\n640 480\n255\n"))).toEqual({ width: 640, height: 480, headerLength: 15 });
    expect(parsePpmHeader(new TextEncoder().encode("P6\n640 48"))).toBeNull();
    expect(parsePpmHeader(new TextEncoder().encode("P6\n640 480\n255"))).toBeNull();
    expect(() => parsePpmHeader(new TextEncoder().encode("P5\n1 1\n255\n"))).toThrow(PpmStreamError);
    expect(() => parsePpmHeader(new TextEncoder().encode("XX"))).toThrow(/PPM header/);
    expect(() => parsePpmHeader(new TextEncoder().encode("P6\n2 2\n65535\n"))).toThrow(/maxval/);
  });

  it("splits frames whatever the chunking, sizes changing between frames", () => {
    const stream = new Uint8Array([...ppm(2, 1, 7), ...ppm(3, 2, 9), ...ppm(1, 1, 4)]);
    for (const chunkSize of [1, 2, 5, 13, stream.length]) {
      const parser = new PpmFrameParser();
      const frames = [];
      for (let offset = 0; offset < stream.length; offset += chunkSize) frames.push(...parser.push(stream.subarray(offset, offset + chunkSize)));
      expect(frames.map((frame) => [frame.width, frame.height, frame.data.length, frame.data[0]])).toEqual([
        [2, 1, 6, 7],
        [3, 2, 18, 9],
        [1, 1, 3, 4],
      ]);
      expect(parser.pendingBytes).toBe(0);
    }
  });

  it("counts the bytes of a frame cut short", () => {
    const parser = new PpmFrameParser();
    const frame = ppm(4, 4, 1);
    expect(parser.push(frame.subarray(0, frame.length - 5))).toEqual([]);
    expect(parser.pendingBytes).toBe(4 * 4 * 3 - 5);
  });
});

describe("frame times and rates", () => {
  it("stamps file frames at start + (i−1)/fps without drift", () => {
    expect(fileFrameTimestamp(1_000, 1, 10).getTime()).toBe(1_000);
    expect(fileFrameTimestamp(1_000, 11, 10).getTime()).toBe(2_000);
    expect(fileFrameTimestamp(0, 2, 30).getTime()).toBe(33);
    expect(fileFrameTimestamp(0, 3, 30).getTime()).toBe(67);
    expect(fileFrameTimestamp(0, 30_001, 30000 / 1001).getTime()).toBe(1_001_000);
  });

  it("backs off exponentially up to the cap", () => {
    const options = { initialDelayMs: 500, factor: 2, maxDelayMs: 3_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options))).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });

  it("measures a rolling rate over the last arrivals", () => {
    const rate = new RollingRate(3);
    expect(rate.perSecond).toBeNull();
    rate.record(0);
    expect(rate.perSecond).toBeNull();
    rate.record(100);
    expect(rate.perSecond).toBe(10);
    rate.record(200);
    rate.record(250); // window now 100, 200, 250
    expect(rate.perSecond).toBeCloseTo(2000 / 150, 12);
  });

  it("parses ffprobe rates and ffmpeg stream lines", () => {
    expect(parseFrameRate("30000/1001")).toBeCloseTo(29.97002997, 8);
    expect(parseFrameRate("25")).toBe(25);
    expect(parseFrameRate("0/0")).toBeNull();
    expect(parseFrameRate(undefined)).toBeNull();
    expect(
      declaredFpsFromStreamLine(
        "  Stream #0:0[0x1](und): Video: h264 (High), yuv420p(progressive), 64x48 [SAR 1:1 DAR 4:3], 3 kb/s, 29.97 fps, 29.97 tbr, 10240 tbn",
      ),
    ).toBe(29.97);
    expect(declaredFpsFromStreamLine("  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc), 64x48, 25 tbr, 25 tbn")).toBeNull();
    expect(declaredFpsFromStreamLine("  Stream #0:0: Video: rawvideo, rgb24, 10x10, 1k fps, 1k tbr")).toBe(1000);
    expect(declaredFpsFromStreamLine("  Stream #0:1: Audio: aac, 48000 Hz")).toBeNull();
  });
});

describe("ffmpeg details", () => {
  it("knows which versions have -fps_mode", () => {
    expect(hasFpsMode("5.1.6-0+deb12u1")).toBe(true);
    expect(hasFpsMode("7.0")).toBe(true);
    expect(hasFpsMode("n6.1.1")).toBe(true);
    expect(hasFpsMode("4.4.2-0ubuntu0.22.04.1")).toBe(false);
    expect(hasFpsMode("5.0.1")).toBe(false);
    expect(hasFpsMode("N-47683-g0e8eb07980-static")).toBeNull();
  });

  it("reads the level of log lines", () => {
    expect(parseLogLine("[mjpeg @ 0x55c42fec6040] [error] error dc")).toEqual({ level: "error", message: "error dc" });
    expect(parseLogLine("[swscaler @ 0x1] [swscaler @ 0x2] [warning] deprecated pixel format")).toEqual({
      level: "warning",
      message: "deprecated pixel format",
    });
    expect(parseLogLine("[info] Input #0, mpjpeg, from 'x':")).toEqual({ level: "info", message: "Input #0, mpjpeg, from 'x':" });
    expect(parseLogLine("plain")).toEqual({ level: null, message: "plain" });
  });

  it("builds the filters: frame selection first, then scaling that keeps the aspect for a missing side", () => {
    expect(videoFilters(undefined)).toEqual([]);
    expect(videoFilters({ width: 320 })).toEqual(["-vf", "scale=320:-1"]);
    expect(videoFilters({ width: 320, height: 200 })).toEqual(["-vf", "scale=320:200"]);
    expect(videoFilters(undefined, sampledFrames(30).expression)).toEqual(["-vf", "select=not(mod(n\\,30))"]);
    expect(videoFilters({ height: 240 }, sampledFrames(15).expression)).toEqual(["-vf", "select=not(mod(n\\,15)),scale=-1:240"]);
    expect(videoFilters(undefined, sampledFrames(1).expression)).toEqual([]);
    expect(() => videoFilters({ width: 0 })).toThrow(RangeError);
    expect(() => sampledFrames(0)).toThrow(RangeError);
  });

  it("picks a codec by extension and by what the build has", () => {
    expect(chooseCodec("a.avi", new Set(["libx264"])).codec).toBe("mjpeg");
    expect(chooseCodec("a.mp4", new Set(["libx264"])).codec).toBe("libx264");
    expect(chooseCodec("a.mp4", new Set(["mpeg4"])).codec).toBe("mpeg4");
  });

  it("paints anomalies on 0-based ffmpeg frame indexes", () => {
    expect(
      anomalyFilters([
        { from: 5, to: 7 },
        { from: 10, color: "blue", box: { x: 1, y: 2, width: 3, height: 4 } },
      ]),
    ).toEqual(["drawbox=x=0:y=0:w=iw:h=ih:color=red:t=fill:enable='between(n,4,6)'", "drawbox=x=1:y=2:w=3:h=4:color=blue:t=fill:enable='between(n,9,9)'"]);
  });
});

describe("references and names", () => {
  it("splits name=reference only when the name looks like one", () => {
    expect(parseVideoArgument("cam1=rtsp://host/stream")).toEqual({ name: "cam1", reference: "rtsp://host/stream" });
    expect(parseVideoArgument("http://host/s?token=abc")).toEqual({ reference: "http://host/s?token=abc" });
    expect(parseVideoArgument("clip.mp4")).toEqual({ reference: "clip.mp4" });
  });

  it("masks passwords in references", () => {
    expect(redactReference("rtsp://admin:s3cret@10.0.0.5:554/live")).toBe("rtsp://admin:***@10.0.0.5:554/live");
    expect(redactReference("rtsp://10.0.0.5/live")).toBe("rtsp://10.0.0.5/live");
    expect(redactReference("/videos/a:b.mp4")).toBe("/videos/a:b.mp4");
  });

  it("sorts file names naturally", () => {
    expect(sortNaturally(["frame10.jpg", "frame2.jpg", "Frame1.jpg", "frame1.jpg", "frame02.png"])).toEqual([
      "Frame1.jpg",
      "frame1.jpg",
      "frame2.jpg",
      "frame02.png",
      "frame10.jpg",
    ]);
  });

  it("makes safe path parts and per-source video names", () => {
    expect(safePathPart("cam/1 ..")).toBe("cam_1_..");
    expect(safePathPart("..")).toBe("_");
    expect(videoPathFor("out/grid.mp4", "0", 1)).toBe("out/grid.mp4");
    expect(videoPathFor("out/grid.mp4", "cam 2", 2)).toBe("out/grid_cam_2.mp4");
  });
});

describe("frames piped under a pixel demand", () => {
  it("cuts ascending frame numbers into arithmetic progressions", () => {
    expect(progressions([])).toEqual([]);
    expect(progressions([7])).toEqual([{ first: 7, step: 1, count: 1 }]);
    expect(progressions([1, 31, 61, 91])).toEqual([{ first: 1, step: 30, count: 4 }]);
    expect(progressions([1, 31, 61, 90, 119, 120])).toEqual([
      { first: 1, step: 30, count: 3 },
      { first: 90, step: 29, count: 2 },
      { first: 120, step: 1, count: 1 },
    ]);
  });

  it("writes ffmpeg select expressions over the 0-based n, with the tail from the last declared frame", () => {
    expect(selectExpression([1, 31, 61], 100)).toBe("between(n\\,0\\,60)*not(mod(n-0\\,30))+gte(n\\,99)");
    expect(selectExpression([5], 10)).toBe("eq(n\\,4)+gte(n\\,9)");
    expect(selectExpression([3, 4, 5], 10)).toBe("between(n\\,2\\,4)+gte(n\\,9)");
    expect(selectExpression([], 10)).toBe("gte(n\\,9)");
    // gaps that all differ: a term per two frames, and one for the tail
    const scattered = (count: number) => Array.from({ length: count }, (_, i) => 1 + (i * (i + 3)) / 2);
    expect(selectExpression(scattered(2 * MAX_SELECT_TERMS - 2), 10_000)).not.toBeNull();
    expect(selectExpression(scattered(2 * MAX_SELECT_TERMS), 10_000)).toBeNull();
  });

  it("numbers the piped frames: the demanded ones, then the last TAIL_FRAMES declared frames and any after them", () => {
    const demanded = Array.from({ length: 100 }, (_, i) => i % 30 === 0); // frames 1, 31, 61, 91
    const plan = planPipedFrames(demanded, 100)!;
    // the tail starts at 100 − 8 + 1 = 93
    expect(TAIL_FRAMES).toBe(8);
    expect(plan.expression).toBe("between(n\\,0\\,90)*not(mod(n-0\\,30))+gte(n\\,92)");
    expect([0, 1, 2, 3, 4, 11, 12].map((k) => plan.frameNumber(k))).toEqual([1, 31, 61, 91, 93, 100, 101]);
    // a demanded frame inside the tail is piped once
    const inTail = planPipedFrames(
      Array.from({ length: 40 }, (_, i) => i === 0 || i === 35),
      40,
    )!;
    expect(inTail.expression).toBe("eq(n\\,0)+gte(n\\,32)");
    expect([0, 1, 9].map((k) => inTail.frameNumber(k))).toEqual([1, 33, 41]);
  });

  it("samples from the first frame after the start frame, keeping each frame's number from the start", () => {
    const numbers = (piped: { frameNumber(k: number): number }) => [0, 1, 2].map((k) => piped.frameNumber(k));
    expect(numbers(sampledFrames(1))).toEqual([1, 2, 3]);
    expect(sampledFrames(1, 12)).toMatchObject({ expression: "gte(n\\,12)" });
    expect(numbers(sampledFrames(1, 12))).toEqual([13, 14, 15]);
    // every 3rd frame: 1, 4, …, 13, 16, …
    expect(sampledFrames(3, 12)).toMatchObject({ expression: "gte(n\\,12)*not(mod(n\\,3))" });
    expect(numbers(sampledFrames(3, 12))).toEqual([13, 16, 19]);
    expect(numbers(sampledFrames(3, 13))).toEqual([16, 19, 22]);
    expect(numbers(sampledFrames(3, 15))).toEqual([16, 19, 22]);
    expect(sampledFrames(3, 15).expression).toBe("gte(n\\,15)*not(mod(n\\,3))");
  });

  it("plans the piping after the start frame: the demand is given from frame N + 1, nothing at or before N is piped", () => {
    // frames 31, 61 and 91 demanded after frame 20 of 100
    const demanded = Array.from({ length: 80 }, (_, i) => (21 + i) % 30 === 1);
    const plan = planPipedFrames(demanded, 100, 20)!;
    expect(plan.expression).toBe("between(n\\,30\\,90)*not(mod(n-30\\,30))+gte(n\\,92)");
    expect([0, 1, 2, 3, 10].map((k) => plan.frameNumber(k))).toEqual([31, 61, 91, 93, 100]);
    // a start frame inside the tail: the tail begins after it
    const late = planPipedFrames(
      Array.from({ length: 5 }, () => false),
      100,
      95,
    );
    expect(late).toBeNull(); // the five frames left are all piped
    expect(
      planPipedFrames(
        Array.from({ length: 80 }, () => false),
        100,
        20,
      ),
    ).toMatchObject({ expression: "gte(n\\,92)" });
    // worth it is measured on the frames left: 8 of 10 is not
    expect(
      planPipedFrames(
        Array.from({ length: 10 }, () => false),
        100,
        90,
      ),
    ).toBeNull();
  });

  it("pipes every frame when over half of them would be piped", () => {
    expect(
      planPipedFrames(
        Array.from({ length: 40 }, (_, i) => i % 2 === 0),
        40,
      ),
    ).toBeNull();
    expect(
      planPipedFrames(
        Array.from({ length: 10 }, () => false),
        10,
      ),
    ).toBeNull(); // the tail alone is most of it
    expect(
      planPipedFrames(
        Array.from({ length: 40 }, (_, i) => i < 3),
        40,
      ),
    ).not.toBeNull();
  });
});
