/**
 * Live sources against a real MJPEG-over-HTTP stream that ffmpeg serves on 127.0.0.1. Conditions
 * are awaited by polling (with a hang guard); no test asserts how long anything takes.
 */
import { mkdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FfmpegProcess } from "../../src/video/ffmpeg.js";
import { VideoMultiplexer, findFfmpeg, type SourceEvent, type Tick } from "../../src/video/index.js";
import { freePort, makeTestVideo, serveTestStream, type TestStream } from "../../src/video/testing.js";
import { scratchDir, waitFor } from "./helpers.js";

const FAST_RECONNECT = { initialDelayMs: 100, factor: 2, maxDelayMs: 400 };

const scratch = scratchDir("video-live");

const servers: TestStream[] = [];
const multiplexers: VideoMultiplexer[] = [];

async function serve(options: Parameters<typeof serveTestStream>[0] = {}): Promise<TestStream> {
  const server = await serveTestStream(options);
  servers.push(server);
  return server;
}

async function open(...args: Parameters<typeof VideoMultiplexer.open>): Promise<VideoMultiplexer> {
  const multiplexer = await VideoMultiplexer.open(...args);
  multiplexers.push(multiplexer);
  return multiplexer;
}

afterEach(async () => {
  await Promise.all(multiplexers.splice(0).map((multiplexer) => multiplexer.stop()));
  await Promise.all(servers.splice(0).map((server) => server.kill()));
});

/** Pulls ticks until `done` says so. */
async function pullUntil(multiplexer: VideoMultiplexer, done: (tick: Tick, ticks: Tick[]) => boolean): Promise<Tick[]> {
  const ticks: Tick[] = [];
  for (;;) {
    const tick = await multiplexer.next();
    if (!tick) throw new Error("the multiplexer ended");
    ticks.push(tick);
    if (done(tick, ticks)) return ticks;
  }
}

describe("live stream source", () => {
  it("keeps only the freshest frame and counts the ones it dropped", async () => {
    const server = await serve({ fps: 25 });
    const multiplexer = await open([{ reference: server.url, reconnect: FAST_RECONNECT }]);
    const source = multiplexer.sources[0];
    expect(source.live).toBe(true);
    // Nobody takes frames for a while: each new one replaces the last.
    await waitFor("frames to be decoded", () => source.stats().framesDecoded >= 8);
    const first = await multiplexer.next();
    const frame = first!.frames[0];
    const stats = source.stats();
    expect(frame.frameNumber).toBeGreaterThanOrEqual(8);
    expect(stats.framesDropped).toBeGreaterThanOrEqual(frame.frameNumber - 1);
    expect(stats.framesDecoded).toBe(stats.framesDelivered + stats.framesDropped + (source.hasFrame ? 1 : 0));
    expect(frame.image.videoMetadata).toMatchObject({ video_identifier: "0", comes_from_video_file: false, frame_number: frame.frameNumber });
    expect([frame.image.width, frame.image.height]).toEqual([64, 48]);
    // A live frame is never handed out twice: later ticks carry later frames.
    const later = await pullUntil(multiplexer, (_, ticks) => ticks.length === 5);
    const numbers = [frame.frameNumber, ...later.map((tick) => tick.frames[0].frameNumber)];
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    const end = source.stats();
    expect(end.framesDecoded).toBe(end.framesDelivered + end.framesDropped + (source.hasFrame ? 1 : 0));
    expect(end.measuredFps).toBeGreaterThan(0);
  });

  it("reconnects after the server is killed and restarted, while another stream keeps running", async () => {
    const flaky = await serve({ fps: 10 });
    const steady = await serve({ fps: 10, background: "smptebars" });
    const events: SourceEvent[] = [];
    const multiplexer = await open(
      [
        { reference: flaky.url, name: "flaky" },
        { reference: steady.url, name: "steady" },
      ],
      { sourceDefaults: { reconnect: FAST_RECONNECT }, onEvent: (event) => events.push(event) },
    );
    const seen = (tick: Tick, source: string) => tick.frames.find((frame) => frame.source === source);
    const before = await pullUntil(multiplexer, (tick) => (seen(tick, "flaky")?.frameNumber ?? 0) >= 5);
    const lastBefore = Math.max(...before.flatMap((tick) => tick.frames.filter((f) => f.source === "flaky").map((f) => f.frameNumber)));

    await flaky.kill();
    // While the flaky stream is down, the steady one still delivers.
    const during = await pullUntil(
      multiplexer,
      () => events.some((event) => event.type === "reconnecting" && event.source === "flaky") && events.filter((e) => e.type === "reconnecting").length >= 2,
    );
    expect(during.some((tick) => seen(tick, "steady"))).toBe(true);
    expect(multiplexer.sources[0].stats().state).toBe("reconnecting");

    const restarted = await serve({ port: flaky.port, fps: 10 });
    expect(restarted.url).toBe(flaky.url);
    const after = await pullUntil(
      multiplexer,
      (tick) => seen(tick, "flaky") !== undefined && events.some((e) => e.type === "connected" && e.source === "flaky" && e.attempt > 0),
    );
    const firstAfter = after.map((tick) => seen(tick, "flaky")).find((frame) => frame !== undefined)!;
    expect(firstAfter.frameNumber).toBeGreaterThan(lastBefore);
    expect(after.some((tick) => seen(tick, "steady"))).toBe(true);

    const [flakyStats, steadyStats] = multiplexer.stats();
    expect(flakyStats.reconnects).toBeGreaterThanOrEqual(1);
    expect(flakyStats.state).toBe("running");
    expect(steadyStats.reconnects).toBe(0);
    const reconnecting = events.find((event) => event.type === "reconnecting" && event.source === "flaky");
    expect(reconnecting).toMatchObject({ attempt: 1, delayMs: 100, reason: expect.stringContaining("ffmpeg") });
  });

  it("restarts a stalled stream", async () => {
    const server = await serve({ fps: 10 });
    const events: SourceEvent[] = [];
    const multiplexer = await open([{ reference: server.url, reconnect: { ...FAST_RECONNECT, stallTimeoutMs: 1_000 } }], {
      onEvent: (event) => events.push(event),
    });
    await pullUntil(multiplexer, (tick) => tick.frames[0].frameNumber >= 3);
    server.pause();
    await waitFor("a stall to be noticed", () => events.some((event) => event.type === "reconnecting"));
    expect(events.find((event) => event.type === "reconnecting")).toMatchObject({ reason: "no frame for 1000 ms", attempt: 1 });
    expect(events.filter((event) => event.type === "error")).toEqual([]);
  });

  it("gives up after maxAttempts and reports the source as failed", async () => {
    const port = await freePort(); // nothing listens there
    const events: SourceEvent[] = [];
    const multiplexer = await open([{ reference: `http://127.0.0.1:${port}/none.mjpg`, reconnect: { ...FAST_RECONNECT, maxAttempts: 2 } }], {
      onEvent: (event) => events.push(event),
    });
    expect(await multiplexer.next()).toBeNull();
    expect(events.map((event) => event.type)).toEqual(["reconnecting", "reconnecting", "failed"]);
    expect(events.at(-1)).toMatchObject({ type: "failed", message: expect.stringMatching(/gave up after 2 .*Connection refused/) });
    expect(multiplexer.stats()[0]).toMatchObject({ state: "failed", reconnects: 2, framesDecoded: 0 });
  });

  it("follows a live HLS playlist served over HTTP", async () => {
    const dir = join(scratch(), "hls");
    await mkdir(dir);
    const tools = await findFfmpeg();
    // A live playlist that ffmpeg keeps rewriting, served by a plain static HTTP server.
    const encoder = new FfmpegProcess(tools.ffmpeg, [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=64x48:r=10",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-g",
      "5",
      "-f",
      "hls",
      "-hls_time",
      "0.5",
      "-hls_list_size",
      "4",
      "-hls_flags",
      "delete_segments",
      "-y",
      join(dir, "live.m3u8"),
    ]);
    const http = createServer((request, response) => {
      readFile(join(dir, basename(request.url ?? "")))
        .then((bytes) => response.end(bytes))
        .catch(() => response.writeHead(404).end());
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/live.m3u8`;
      const multiplexer = await open([{ reference: url, reconnect: FAST_RECONNECT }]);
      const ticks = await pullUntil(multiplexer, (_, all) => all.length === 5);
      const numbers = ticks.map((tick) => tick.frames[0].frameNumber);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(ticks[0].frames[0].image.videoMetadata).toMatchObject({ fps: 10, comes_from_video_file: false });
      expect(multiplexer.stats()[0]).toMatchObject({ kind: "stream", state: "running" });
    } finally {
      http.close();
      await encoder.kill();
    }
  });

  it("mixes a file with a live stream: the file's frames all come in order, the stream goes on after the file ends", async () => {
    const clip = await makeTestVideo(join(scratch(), "clip.mp4"), { frames: 20 });
    const server = await serve({ fps: 25 });
    const multiplexer = await open([clip.path, { reference: server.url, reconnect: FAST_RECONNECT }]);
    let fileEnded = false;
    const ticks = await pullUntil(multiplexer, (tick) => {
      const afterEnd = fileEnded && tick.frames.every((frame) => frame.source === "1");
      fileEnded ||= tick.frames.some((frame) => frame.source === "0" && frame.frameNumber === 20);
      return afterEnd;
    });
    const fileFrames = ticks.flatMap((tick) => tick.frames.filter((frame) => frame.source === "0"));
    expect(fileFrames.map((frame) => frame.frameNumber)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const liveNumbers = ticks.flatMap((tick) => tick.frames.filter((frame) => frame.source === "1").map((frame) => frame.frameNumber));
    expect(new Set(liveNumbers).size).toBe(liveNumbers.length);
    expect(liveNumbers).toEqual([...liveNumbers].sort((a, b) => a - b));
    for (const tick of ticks) expect(tick.frames.map((frame) => frame.source)).toEqual([...tick.frames.map((frame) => frame.source)].sort());
    expect(multiplexer.stats().map((stats) => stats.state)).toEqual(["ended", "running"]);
  });
});
