import { execFile } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { WorkflowImage } from "../../src/images/index.js";
import { pythonIsoformat } from "../../src/images/timestamp.js";
import { JsonLinesSink, ResultSinks, VideoFileSink, VideoMultiplexer, type Tick } from "../../src/video/index.js";
import { makeTestVideo, meanColor } from "../../src/video/testing.js";
import { scratchDir } from "./helpers.js";

const run = promisify(execFile);

/** Frames and size of a video file as ffprobe counts them by decoding. */
async function probeFrames(path: string): Promise<{ codec: string; width: number; height: number; frames: number }> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height,nb_read_frames",
    "-of",
    "json",
    path,
  ]);
  const stream = (JSON.parse(stdout) as { streams: Array<Record<string, string | number>> }).streams[0];
  return { codec: String(stream.codec_name), width: Number(stream.width), height: Number(stream.height), frames: Number(stream.nb_read_frames) };
}

function solid(width: number, height: number, rgb: [number, number, number]): WorkflowImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return new WorkflowImage({ width, height, data, parentId: "test" });
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** A stand-in for the engine's serialiser: images that are still images become a marker. */
function serialise(outputs: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(outputs, (_, value: unknown) => (value instanceof WorkflowImage ? `<image ${value.width}x${value.height}>` : value)));
}

const scratch = scratchDir("video-sinks");
let dir: string;
let ticks: Tick[];

beforeAll(async () => {
  dir = scratch();
  const a = await makeTestVideo(join(dir, "a.mp4"), { frames: 4, background: "red" });
  const b = await makeTestVideo(join(dir, "b.avi"), { frames: 3, background: "blue" });
  ticks = [];
  for await (const tick of await VideoMultiplexer.open([a.path, { reference: b.path, name: "cam b" }])) ticks.push(tick);
});

describe("JSON Lines sink", () => {
  it("writes one line per record to a file, NaN as null, and flushes on close", async () => {
    const path = join(dir, "lines", "out.jsonl");
    const sink = await JsonLinesSink.open(path);
    await sink.write({ a: 1, b: [1.5, Number.NaN] });
    await sink.write({ text: "line\nbreak" });
    await sink.close();
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines).toEqual(['{"a":1,"b":[1.5,null]}', '{"text":"line\\nbreak"}', ""]);
    await expect(sink.write({})).rejects.toThrow(/closed/);
  });
});

describe("video file sink", () => {
  it("encodes every frame, scaling frames of another size to the first one's", async () => {
    const path = join(dir, "videos", "out.mp4");
    const sink = await VideoFileSink.open(path, { fps: 10 });
    for (let i = 0; i < 12; i++) await sink.write(i % 3 === 2 ? solid(100, 30, [0, 255, 0]) : solid(64, 48, [255, 0, 0]));
    await sink.close();
    expect(sink.framesWritten).toBe(12);
    expect(await probeFrames(path)).toEqual({ codec: "h264", width: 64, height: 48, frames: 12 });
    // Read it back: frame 3 is the green one.
    const frames = [];
    for await (const tick of await VideoMultiplexer.open([path])) frames.push(tick.frames[0].image);
    expect(frames).toHaveLength(12);
    expect(meanColor(frames[2])[1]).toBeGreaterThan(200);
    expect(meanColor(frames[0])[0]).toBeGreaterThan(200);
  });

  it("writes Motion JPEG for .avi and rounds odd sizes to even", async () => {
    const path = join(dir, "videos", "odd.avi");
    const sink = await VideoFileSink.open(path, { fps: 5 });
    for (let i = 0; i < 5; i++) await sink.write(solid(33, 21, [0, 0, 255]));
    await sink.close();
    expect(sink.frameSize).toEqual({ width: 32, height: 20 });
    expect(await probeFrames(path)).toEqual({ codec: "mjpeg", width: 32, height: 20, frames: 5 });
  });
});

describe("result sinks", () => {
  it("prints one JSON line per frame and, with a folder, writes images as files and results.jsonl", async () => {
    const out = join(dir, "run");
    const stdout = capture();
    const sinks = await ResultSinks.open({ serialise, stdout: stdout.stream, outDir: out, sources: ["0", "cam b"] });
    for (const tick of ticks) {
      const results = tick.frames.map((frame) => ({
        count: frame.frameNumber,
        preview: frame.image,
        crops: [frame.image, frame.image],
        nothing: null,
      }));
      await sinks.write(tick, results);
    }
    await sinks.close();

    const printed = stdout.text().trimEnd().split("\n");
    expect(printed).toHaveLength(7);
    expect(await readFile(join(out, "results.jsonl"), "utf8")).toBe(stdout.text());
    const first = JSON.parse(printed[0]) as Record<string, unknown>;
    expect(first).toEqual({
      source: "0",
      frame_number: 1,
      frame_timestamp: pythonIsoformat(ticks[0].frames[0].timestamp), // Python's isoformat, as upstream writes it
      outputs: {
        count: 1,
        preview: join(out, "preview", "0_1.jpg"),
        crops: [join(out, "crops", "0_1_0.jpg"), join(out, "crops", "0_1_1.jpg")],
        nothing: null,
      },
    });
    expect(JSON.parse(printed[1])).toMatchObject({ source: "cam b", frame_number: 1, outputs: { preview: join(out, "preview", "cam_b_1.jpg") } });
    expect((await readdir(join(out, "preview"))).sort()).toEqual(["0_1.jpg", "0_2.jpg", "0_3.jpg", "0_4.jpg", "cam_b_1.jpg", "cam_b_2.jpg", "cam_b_3.jpg"]);
    const decoded = await sharp(join(out, "preview", "cam_b_2.jpg"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([decoded.info.width, decoded.info.height, decoded.info.format]).toEqual([64, 48, "raw"]);
    expect(decoded.data[2]).toBeGreaterThan(200); // blue
  });

  it("keeps images for the serialiser without a folder, and applies a single result to every frame of a tick", async () => {
    const stdout = capture();
    const sinks = await ResultSinks.open({ serialise, stdout: stdout.stream, sources: ["0", "cam b"] });
    await sinks.write(ticks[0], [{ total: 2, preview: ticks[0].frames[0].image }]);
    await sinks.close();
    const lines = stdout
      .text()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { source: string; outputs: unknown });
    expect(lines.map((line) => [line.source, line.outputs])).toEqual([
      ["0", { total: 2, preview: "<image 64x48>" }],
      ["cam b", { total: 2, preview: "<image 64x48>" }],
    ]);
    await expect(sinks.write(ticks[1], [])).rejects.toThrow(/closed/);
  });

  it("rejects results that do not line up with the tick", async () => {
    const sinks = await ResultSinks.open({ serialise, stdout: null, sources: ["0", "cam b"] });
    await expect(sinks.write(ticks[0], [{}, {}, {}])).rejects.toThrow(/2 frames but 3 results/);
    await sinks.close();
  });

  it("writes an image output as one video per source", async () => {
    const base = join(dir, "vid", "preview.mp4");
    const sinks = await ResultSinks.open({ serialise, stdout: null, videoOutputs: [{ output: "preview", path: base }], sources: ["0", "cam b"] });
    for (const tick of ticks)
      await sinks.write(
        tick,
        tick.frames.map((frame) => ({ preview: frame.image })),
      );
    await sinks.close();
    expect((await sinks.videoPaths()).sort()).toEqual([join(dir, "vid", "preview_0.mp4"), join(dir, "vid", "preview_cam_b.mp4")]);
    expect(await probeFrames(join(dir, "vid", "preview_0.mp4"))).toMatchObject({ frames: 4, width: 64, height: 48 });
    expect(await probeFrames(join(dir, "vid", "preview_cam_b.mp4"))).toMatchObject({ frames: 3 });
  });
});
