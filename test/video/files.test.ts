import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/index.js";
import { FrameNotDecodedError } from "../../src/video/errors.js";
import { VideoPipeline } from "../../src/video/pipeline.js";
import { VideoMultiplexer, type SourceEvent, type Tick } from "../../src/video/index.js";
import { makeSampleVideo, makeTestVideo, meanColor, type TestVideo } from "../../src/video/testing.js";
import { scratchDir } from "./helpers.js";

async function collect(multiplexer: VideoMultiplexer, consume?: (tick: Tick) => Promise<void>): Promise<Tick[]> {
  const ticks: Tick[] = [];
  for await (const tick of multiplexer) {
    ticks.push(tick);
    await consume?.(tick);
  }
  return ticks;
}

function near(actual: number[], expected: number[], tolerance = 10): boolean {
  return actual.every((value, index) => Math.abs(value - expected[index]) <= tolerance);
}

/** ffmpeg processes still running whose command line names `path` (Linux /proc). */
async function decodersOf(path: string): Promise<string[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")));
  return lines.filter((line) => line.startsWith("ffmpeg\0") && line.includes(path));
}

const scratch = scratchDir("video-files");
let dir: string;
let clip: TestVideo;

beforeAll(async () => {
  dir = scratch();
  // 30 grey frames at 10 fps, solid red at frames 5–7, a blue box at frame 20.
  clip = await makeTestVideo(join(dir, "clip.mp4"), {
    frames: 30,
    fps: 10,
    anomalies: [
      { from: 5, to: 7, color: "red" },
      { from: 20, color: "blue", box: { x: 16, y: 12, width: 32, height: 24 } },
    ],
  });
});

describe("video file source", () => {
  it("delivers every frame with 1-based numbers, (i−1)/fps timestamps and the declared fps", async () => {
    const multiplexer = await VideoMultiplexer.open([clip.path]);
    const ticks = await collect(multiplexer);
    const frames = ticks.map((tick) => {
      expect(tick.frames).toHaveLength(1);
      return tick.frames[0];
    });
    expect(frames.map((frame) => frame.frameNumber)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const start = frames[0].timestamp.getTime();
    expect(frames.map((frame) => frame.timestamp.getTime() - start)).toEqual(Array.from({ length: 30 }, (_, i) => i * 100));
    for (const frame of frames) {
      const metadata = frame.image.videoMetadata;
      expect(metadata.video_identifier).toBe("0");
      expect(metadata.frame_number).toBe(frame.frameNumber);
      expect(metadata.frame_timestamp).toBe(frame.timestamp);
      expect(metadata.fps).toBe(10);
      expect(metadata.comes_from_video_file).toBe(true);
      expect(frame.image.parentId).toBe("image.[0]");
      expect([frame.image.width, frame.image.height]).toEqual([64, 48]);
    }
    expect(frames[29].image.videoMetadata.measured_fps).toBeGreaterThan(0);
    const [stats] = multiplexer.stats();
    expect(stats).toMatchObject({ state: "ended", framesDecoded: 30, framesDelivered: 30, framesDropped: 0, errors: 0, totalFrames: 30, declaredFps: 10 });
  });

  it("decodes the pixels of known frames", async () => {
    const frames = (await collect(await VideoMultiplexer.open([clip.path]))).map((tick) => tick.frames[0].image);
    expect(near(meanColor(frames[0]), [128, 128, 128])).toBe(true);
    for (const index of [4, 5, 6]) expect(near(meanColor(frames[index]), [255, 0, 0], 12), `frame ${index + 1}`).toBe(true);
    expect(near(meanColor(frames[7]), [128, 128, 128])).toBe(true);
    // Frame 20: a blue box in the middle, grey around it.
    expect(near(meanColor(frames[19], { x: 20, y: 16, width: 24, height: 16 }), [0, 0, 255], 12)).toBe(true);
    expect(near(meanColor(frames[19], { x: 0, y: 0, width: 10, height: 10 }), [128, 128, 128])).toBe(true);
  });

  it("never drops a file frame, however slow the consumer", async () => {
    const multiplexer = await VideoMultiplexer.open([{ reference: clip.path, prefetchFrames: 1 }]);
    const ticks = await collect(multiplexer, () => new Promise((resolve) => setTimeout(resolve, 5)));
    expect(ticks.map((tick) => tick.frames[0].frameNumber)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(multiplexer.stats()[0].framesDropped).toBe(0);
  });

  it("paces ticks with maxFps without skipping file frames", async () => {
    const short = await makeTestVideo(join(dir, "short.mp4"), { frames: 8, fps: 10 });
    const multiplexer = await VideoMultiplexer.open([short.path], { maxFps: 100 });
    const ticks = await collect(multiplexer);
    expect(ticks.map((tick) => tick.frames[0].frameNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("scales frames when asked", async () => {
    const ticks = await collect(await VideoMultiplexer.open([{ reference: clip.path, scale: { width: 32 } }]));
    expect(ticks).toHaveLength(30);
    expect([ticks[0].frames[0].image.width, ticks[0].frames[0].image.height]).toEqual([32, 24]);
    expect(near(meanColor(ticks[5].frames[0].image), [255, 0, 0], 12)).toBe(true);
  });

  it("with a pixel demand, pipes only the demanded frames and the last eight; the others come in order, without pixels", async () => {
    const asked: number[][] = [];
    const multiplexer = await VideoMultiplexer.open([
      {
        reference: clip.path,
        pixelDemand: () => {
          const forecast: number[] = [];
          asked.push(forecast);
          return (frame) => {
            forecast.push(frame.metadata.frame_number);
            return frame.metadata.frame_number === 6;
          };
        },
      },
    ]);
    const frames = (await collect(multiplexer)).map((tick) => tick.frames[0]);
    expect(asked).toEqual([Array.from({ length: 30 }, (_, i) => i + 1)]);
    expect(frames.map((frame) => frame.frameNumber)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(frames[0].timestamp.getTime() + 2900).toBe(frames[29].timestamp.getTime());
    expect(near(meanColor(frames[5].image), [255, 0, 0], 12)).toBe(true); // frame 6, red
    for (const index of [22, 29]) expect(near(meanColor(frames[index].image), [128, 128, 128])).toBe(true); // the tail: 23…30
    for (const index of [0, 4, 6, 21]) {
      expect(() => frames[index].image.data).toThrow(FrameNotDecodedError);
      expect(() => frames[index].image.data).toThrow(`frame ${index + 1} of source 0 was not decoded`);
    }
    expect([frames[4].image.width, frames[4].image.height]).toEqual([64, 48]);
    expect(multiplexer.stats()[0]).toMatchObject({ state: "ended", framesDelivered: 30, framesWithoutPixels: 30 - 1 - 8, errors: 0 });
  });

  it("with a pixel demand, pipes every frame of a container that does not state its frame count", async () => {
    const mkv = await makeTestVideo(join(dir, "uncounted.mkv"), { frames: 30, fps: 10 });
    const multiplexer = await VideoMultiplexer.open([{ reference: mkv.path, pixelDemand: () => (frame) => frame.metadata.frame_number === 6 }]);
    const frames = (await collect(multiplexer)).map((tick) => tick.frames[0]);
    expect(frames).toHaveLength(30);
    expect(multiplexer.stats()[0]).toMatchObject({ framesWithoutPixels: 0, totalFrames: 30 }); // 3 s × 10 fps, an estimate
    expect(frames[3].image.data).toHaveLength(64 * 48 * 3);
  });

  it("with a pixel demand, says which frames it could not confirm when a file ends early", async () => {
    const events: SourceEvent[] = [];
    const multiplexer = await VideoMultiplexer.open(
      // the container declares 30 frames; `-t 1` lets ffmpeg read 10 of them
      [{ reference: clip.path, inputArgs: ["-t", "1"], pixelDemand: () => (frame) => frame.metadata.frame_number === 6 }],
      { onEvent: (event) => events.push(event) },
    );
    const frames = (await collect(multiplexer)).map((tick) => tick.frames[0].frameNumber);
    expect(frames).toEqual([1, 2, 3, 4, 5, 6]);
    const errors = events.filter((event) => event.type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ frameNumber: 7 });
    expect((errors[0] as { message: string }).message).toContain(
      "the file ended before frame 23 (it declares 30); frames 7–22, whose pixels no step reads, may exist but were not seen",
    );
  });

  it("reads Motion JPEG AVI files and names sources as told", async () => {
    const avi = await makeTestVideo(join(dir, "green.avi"), { frames: 6, background: "lime" });
    const ticks = await collect(await VideoMultiplexer.open([{ reference: avi.path, name: "cam-a" }]));
    expect(ticks.map((tick) => tick.frames[0].source)).toEqual(Array(6).fill("cam-a"));
    expect(ticks[0].frames[0].image.videoMetadata.video_identifier).toBe("cam-a");
    expect(near(meanColor(ticks[0].frames[0].image), [0, 255, 0], 12)).toBe(true);
  });

  it("opens names with a colon as files, and a finite HTTP video as a file when told", async () => {
    const colon = join(dir, "with:colon.mp4");
    await copyFile(clip.path, colon);
    expect(await collect(await VideoMultiplexer.open([colon]))).toHaveLength(30);

    const bytes = await readFile(clip.path);
    const server = createServer((_, response) => response.writeHead(200, { "content-type": "video/mp4" }).end(bytes));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/clip.mp4`;
      const multiplexer = await VideoMultiplexer.open([{ reference: url, kind: "file" }]);
      const ticks = await collect(multiplexer);
      expect(ticks.map((tick) => tick.frames[0].frameNumber)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(multiplexer.stats()[0]).toMatchObject({ kind: "file", state: "ended", declaredFps: 10 });
    } finally {
      server.close();
    }
  });

  it("makes the 640×480 30 fps sample with anomalies at known frames", async () => {
    const sample = await makeSampleVideo(join(dir, "sample.mp4"), { seconds: 1, anomalies: [{ atSecond: 0.5, seconds: 0.1, color: "red" }] });
    expect(sample.anomalies).toEqual([{ from: 16, to: 18, color: "red", box: undefined }]);
    const frames = (await collect(await VideoMultiplexer.open([sample.path]))).map((tick) => tick.frames[0]);
    expect(frames).toHaveLength(30);
    expect([frames[0].image.width, frames[0].image.height, frames[0].image.videoMetadata.fps]).toEqual([640, 480, 30]);
    expect(near(meanColor(frames[15].image), [255, 0, 0], 12)).toBe(true);
    expect(near(meanColor(frames[14].image), [255, 0, 0], 12)).toBe(false);
  });
});

describe("broken input", () => {
  it("reports an unreadable file as a failed source while the others run", async () => {
    const garbage = join(dir, "garbage.mp4");
    await writeFile(garbage, "this is not a video");
    const events: SourceEvent[] = [];
    const multiplexer = await VideoMultiplexer.open([garbage, join(dir, "missing.mp4"), clip.path], { onEvent: (event) => events.push(event) });
    const ticks = await collect(multiplexer);
    expect(ticks).toHaveLength(30);
    expect(ticks.every((tick) => tick.frames.length === 1 && tick.frames[0].source === "2")).toBe(true);
    const failures = events.filter((event) => event.type === "failed");
    expect(failures.map((event) => event.source).sort()).toEqual(["0", "1"]);
    expect(failures.find((event) => event.source === "0")).toMatchObject({ message: expect.stringContaining("garbage.mp4") });
    expect(failures.find((event) => event.source === "1")).toMatchObject({ message: expect.stringMatching(/missing\.mp4.*No such file/) });
    expect(multiplexer.stats().map((stats) => stats.state)).toEqual(["failed", "failed", "ended"]);
  });

  it("ends a pipeline none of whose sources could be read as failed, naming each source and why", async () => {
    const garbage = join(dir, "garbage-only.mp4");
    await writeFile(garbage, "this is not a video");
    const engine = compile({ version: "1.0", inputs: [{ type: "WorkflowImage", name: "image" }], steps: [], outputs: [] });
    try {
      const status = await new VideoPipeline({ engine, videos: [garbage, join(dir, "missing.mp4")] }).run();
      expect(status.state).toBe("failed");
      expect(status.failure?.error_type).toBe("SourceConnectionError");
      expect(status.failure?.message).toMatch(/^No source could be read \(0: .*garbage-only\.mp4.*; 1: .*missing\.mp4.*No such file/);
      const partly = await new VideoPipeline({ engine, videos: [garbage, clip.path] }).run();
      expect([partly.state, partly.frames, partly.failure]).toEqual(["finished", 30, null]);
    } finally {
      await engine.close();
    }
  });

  it("reports damage in a file with its frame number and keeps the frames it can decode", async () => {
    // Noise makes frames big enough that the AVI header is a small part of the file. At 320×240 a
    // decoded frame (115 KB of y4m) is more than the pipe holds, so ffmpeg cannot decode far past
    // the frames we have read however slowly we read them (a loaded machine): the frame number of
    // its error stays near the damage. At 64×48 the whole cut file fits in the pipe.
    const avi = await makeTestVideo(join(dir, "to-cut.avi"), { frames: 40, background: "noise", width: 320, height: 240 });
    const bytes = await readFile(avi.path);
    const cut = join(dir, "cut.avi");
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const events: SourceEvent[] = [];
    const ticks = await collect(await VideoMultiplexer.open([cut], { onEvent: (event) => events.push(event) }));
    expect(ticks.length).toBeGreaterThan(10);
    expect(ticks.length).toBeLessThan(40);
    expect(ticks.map((tick) => tick.frames[0].frameNumber)).toEqual(Array.from({ length: ticks.length }, (_, i) => i + 1));
    const errors = events.filter((event) => event.type === "error");
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toMatchObject({ source: "0", frameNumber: expect.any(Number) });
      if (error.type === "error") expect(error.frameNumber).toBeGreaterThan(ticks.length - 5);
    }
    expect(events.at(-1)).toMatchObject({ type: "ended", frames: ticks.length });
  });
});

describe("image folder source", () => {
  it("plays images in natural order at the folder fps and reports a bad image by its frame number", async () => {
    const folder = join(dir, "frames");
    await mkdir(folder);
    const colours: Record<string, [number, number, number]> = {
      "f1.png": [255, 0, 0],
      "f2.jpg": [0, 255, 0],
      "f10.png": [0, 0, 255],
    };
    for (const [name, [r, g, b]] of Object.entries(colours)) {
      await sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } }).toFile(join(folder, name));
    }
    await writeFile(join(folder, "f3.jpg"), "broken");
    await writeFile(join(folder, "notes.txt"), "not an image");
    const events: SourceEvent[] = [];
    const multiplexer = await VideoMultiplexer.open([{ reference: folder, fps: 4 }], { onEvent: (event) => events.push(event) });
    const frames = (await collect(multiplexer)).map((tick) => tick.frames[0]);
    expect(frames.map((frame) => frame.frameNumber)).toEqual([1, 2, 4]);
    expect(near(meanColor(frames[0].image), [255, 0, 0], 3)).toBe(true);
    expect(near(meanColor(frames[1].image), [0, 255, 0], 3)).toBe(true); // the JPEG
    expect(near(meanColor(frames[2].image), [0, 0, 255], 3)).toBe(true);
    const start = frames[0].timestamp.getTime();
    expect(frames.map((frame) => frame.timestamp.getTime() - start)).toEqual([0, 250, 750]);
    expect(frames[0].image.videoMetadata).toMatchObject({ fps: 4, comes_from_video_file: true, video_identifier: "0" });
    expect(events.filter((event) => event.type === "error")).toEqual([
      expect.objectContaining({ source: "0", frameNumber: 3, message: expect.stringContaining("f3.jpg") }),
    ]);
    expect(multiplexer.stats()[0]).toMatchObject({ state: "ended", totalFrames: 4, declaredFps: 4, errors: 1 });
  });

  it("defaults to 30 fps and fails an empty folder without stopping the run", async () => {
    const folder = join(dir, "one");
    const empty = join(dir, "empty");
    await mkdir(folder);
    await mkdir(empty);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
      .jpeg()
      .toFile(join(folder, "a.jpg"));
    await copyFile(join(folder, "a.jpg"), join(folder, "b.jpg"));
    const events: SourceEvent[] = [];
    const ticks = await collect(await VideoMultiplexer.open([empty, folder], { onEvent: (event) => events.push(event) }));
    expect(ticks.map((tick) => tick.frames.map((frame) => `${frame.source}#${frame.frameNumber}`))).toEqual([["1#1"], ["1#2"]]);
    expect(ticks[1].frames[0].timestamp.getTime() - ticks[0].frames[0].timestamp.getTime()).toBe(33);
    expect(events).toContainEqual(expect.objectContaining({ type: "failed", source: "0", message: expect.stringContaining("no images") }));
  });

  it("scales images as told, keeping the aspect ratio when one side is left out", async () => {
    const folder = join(dir, "scaled");
    await mkdir(folder);
    await sharp({ create: { width: 64, height: 48, channels: 3, background: "#00ff00" } })
      .png()
      .toFile(join(folder, "a.png"));
    const sizeOf = async (scale: { width?: number; height?: number }) => {
      const [tick] = await collect(await VideoMultiplexer.open([{ reference: folder, scale }]));
      const { width, height } = tick.frames[0].image;
      expect(near(meanColor(tick.frames[0].image), [0, 255, 0], 3)).toBe(true);
      return [width, height];
    };
    expect(await sizeOf({ height: 24 })).toEqual([32, 24]);
    expect(await sizeOf({ width: 16, height: 40 })).toEqual([16, 40]);
  });
});

describe("multiplexing files", () => {
  it("puts one frame of each source in every tick, in source order, until each ends", async () => {
    const short = await makeTestVideo(join(dir, "ten.avi"), { frames: 10, background: "yellow" });
    const multiplexer = await VideoMultiplexer.open([clip.path, { reference: short.path, name: "short" }]);
    const ticks = await collect(multiplexer);
    expect(ticks).toHaveLength(30);
    ticks.forEach((tick, index) => {
      const expected = index < 10 ? [`0#${index + 1}`, `short#${index + 1}`] : [`0#${index + 1}`];
      expect(tick.frames.map((frame) => `${frame.source}#${frame.frameNumber}`)).toEqual(expected);
      expect(tick.frames.map((frame) => frame.image.parentId)).toEqual(expected.map((_, position) => `image.[${position}]`));
      expect(tick.index).toBe(index + 1);
    });
    expect(near(meanColor(ticks[0].frames[1].image), [255, 255, 0], 12)).toBe(true);
    expect(multiplexer.stats().map((stats) => [stats.source, stats.state, stats.framesDelivered])).toEqual([
      ["0", "ended", 30],
      ["short", "ended", 10],
    ]);
  });

  it("stops mid-run: children exit and the iteration ends", async () => {
    const long = await makeTestVideo(join(dir, "long.mp4"), { frames: 300 });
    const multiplexer = await VideoMultiplexer.open([long.path, long.path], { imageInputName: "frames" });
    const first = await multiplexer.next();
    expect(first?.frames.map((frame) => frame.image.parentId)).toEqual(["frames.[0]", "frames.[1]"]);
    // Backpressure holds both decoders mid-file.
    expect(await decodersOf(long.path)).toHaveLength(2);
    await multiplexer.stop();
    expect(await multiplexer.next()).toBeNull();
    expect(multiplexer.stats().map((stats) => stats.state)).toEqual(["stopped", "stopped"]);
    expect(await decodersOf(long.path)).toEqual([]);
  });

  it("refuses duplicate names and an empty source list", async () => {
    await expect(VideoMultiplexer.open([])).rejects.toThrow(/no video source/);
    await expect(
      VideoMultiplexer.open([
        { reference: clip.path, name: "a" },
        { reference: clip.path, name: "a" },
      ]),
    ).rejects.toThrow(/named "a"/);
    await expect(VideoMultiplexer.open([clip.path], { maxFps: 0 })).rejects.toThrow(/max fps/);
  });
});
