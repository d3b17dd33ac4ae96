/**
 * Videos made on the spot with FFmpeg's lavfi sources, with anomalies at known frames, and a
 * local live stream to connect to. For tests (ours and the pipeline's), the demo and benchmarks:
 * nothing here is needed to run workflows.
 */
import { createServer } from "node:net";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { WorkflowImage } from "../images/index.js";
import { FfmpegProcess, describeExit, findFfmpeg, type FfmpegTools } from "./ffmpeg.js";
import { availableEncoders, chooseCodec } from "./sinks/video-file.js";

/** A stretch of frames that differs from the steady scene. */
export interface Anomaly {
  /** First frame, 1-based like `frame_number`. */
  from: number;
  /** Last frame, inclusive (default: `from`). */
  to?: number;
  /** An FFmpeg colour: name (`red`) or `0xRRGGBB`. Default red. */
  color?: string;
  /** Only this rectangle is painted; default the whole frame. */
  box?: { x: number; y: number; width: number; height: number };
}

/**
 * `testsrc2` and `smptebars` are FFmpeg's test patterns (testsrc2 moves); `noise` is a grey
 * field with fresh noise every frame; any other string is a solid FFmpeg colour.
 */
export type Background = "testsrc2" | "smptebars" | "noise" | (string & {});

export interface TestVideoOptions {
  width?: number;
  height?: number;
  fps?: number;
  frames?: number;
  background?: Background;
  anomalies?: readonly Anomaly[];
  tools?: FfmpegTools;
}

export interface TestVideo {
  path: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  anomalies: Anomaly[];
}

function lavfiSource(background: Background, width: number, height: number, fps: number): string {
  const size = `s=${width}x${height}:r=${fps}`;
  if (background === "testsrc2" || background === "smptebars") return `${background}=${size}`;
  if (background === "noise") return `color=c=gray:${size},noise=alls=40:allf=t`;
  return `color=c=${background}:${size}`;
}

/** `drawbox` filters painting each anomaly on its frames (ffmpeg's `n` is 0-based). */
export function anomalyFilters(anomalies: readonly Anomaly[]): string[] {
  return anomalies.map((anomaly) => {
    const first = anomaly.from - 1;
    const last = (anomaly.to ?? anomaly.from) - 1;
    const box = anomaly.box ? `x=${anomaly.box.x}:y=${anomaly.box.y}:w=${anomaly.box.width}:h=${anomaly.box.height}` : "x=0:y=0:w=iw:h=ih";
    return `drawbox=${box}:color=${anomaly.color ?? "red"}:t=fill:enable='between(n,${first},${last})'`;
  });
}

function lavfiGraph(background: Background, width: number, height: number, fps: number, anomalies: readonly Anomaly[]): string {
  return [lavfiSource(background, width, height, fps), ...anomalyFilters(anomalies)].join(",");
}

async function runFfmpeg(tools: FfmpegTools, args: string[]): Promise<void> {
  const ffmpeg = new FfmpegProcess(tools.ffmpeg, ["-hide_banner", "-nostdin", "-loglevel", "level+error", ...args]);
  const exit = await ffmpeg.exited;
  if (exit.code !== 0) throw new Error(`making a test video failed: ${describeExit(exit, ffmpeg.lastMessages)}`);
}

/**
 * Writes a small video (default 64×48, 10 fps, 30 frames, grey) with `anomalies` painted on
 * their frames. The codec follows the extension as for video outputs: `.avi` Motion JPEG, else
 * H.264 (or MPEG-4 part 2 without libx264).
 */
export async function makeTestVideo(path: string, options: TestVideoOptions = {}): Promise<TestVideo> {
  const tools = options.tools ?? (await findFfmpeg());
  const width = options.width ?? 64;
  const height = options.height ?? 48;
  const fps = options.fps ?? 10;
  const frames = options.frames ?? 30;
  const anomalies = [...(options.anomalies ?? [])];
  await mkdir(dirname(path), { recursive: true });
  const codec = chooseCodec(path, await availableEncoders(tools));
  await runFfmpeg(tools, [
    "-f",
    "lavfi",
    "-i",
    lavfiGraph(options.background ?? "gray", width, height, fps, anomalies),
    "-frames:v",
    String(frames),
    ...codec.args,
    "-y",
    path,
  ]);
  return { path, width, height, fps, frames, anomalies };
}

export interface SampleAnomaly {
  /** Start, seconds from the beginning. */
  atSecond: number;
  seconds?: number;
  color?: string;
  box?: Anomaly["box"];
}

/** Three short events on an otherwise steady test pattern: a red flash, a blue box, a white flash. */
export const DEFAULT_SAMPLE_ANOMALIES: readonly SampleAnomaly[] = [
  { atSecond: 4, seconds: 0.5, color: "red" },
  { atSecond: 9, seconds: 1, color: "blue", box: { x: 160, y: 120, width: 320, height: 240 } },
  { atSecond: 15, seconds: 0.5, color: "white" },
];

/**
 * The demo/benchmark clip: 640×480, 30 fps, `seconds` long (default 20) of `smptebars` with the
 * anomalies painted in. Returns the anomalies as frame ranges, to check what a workflow flags.
 */
export async function makeSampleVideo(
  path: string,
  options: { seconds?: number; fps?: number; anomalies?: readonly SampleAnomaly[]; background?: Background; tools?: FfmpegTools } = {},
): Promise<TestVideo> {
  const fps = options.fps ?? 30;
  const seconds = options.seconds ?? 20;
  const anomalies = (options.anomalies ?? DEFAULT_SAMPLE_ANOMALIES).map((anomaly) => {
    const from = Math.round(anomaly.atSecond * fps) + 1;
    const to = from + Math.max(1, Math.round((anomaly.seconds ?? 0.5) * fps)) - 1;
    return { from, to, color: anomaly.color, box: anomaly.box };
  });
  return makeTestVideo(path, {
    width: 640,
    height: 480,
    fps,
    frames: Math.round(seconds * fps),
    background: options.background ?? "smptebars",
    anomalies,
    tools: options.tools,
  });
}

// ---- a live stream on localhost -----------------------------------------------------------------

export interface TestStream {
  /** `http://127.0.0.1:<port>/live.mjpg` */
  url: string;
  port: number;
  /** Kills the server (a live source connected to it sees its stream drop). */
  kill(): Promise<void>;
  /** Pauses/resumes the server process (SIGSTOP/SIGCONT): the stream stalls without closing. */
  pause(): void;
  resume(): void;
}

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("could not get a free port");
  return address.port;
}

/**
 * A real-time MJPEG-over-HTTP stream served by `ffmpeg -listen 1` (one client; the server exits
 * when that client leaves). Serve again on the same port to simulate a camera coming back.
 */
export async function serveTestStream(
  options: { port?: number; width?: number; height?: number; fps?: number; background?: Background; tools?: FfmpegTools } = {},
): Promise<TestStream> {
  const tools = options.tools ?? (await findFfmpeg());
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}/live.mjpg`;
  const server = new FfmpegProcess(tools.ffmpeg, [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "level+error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    lavfiSource(options.background ?? "testsrc2", options.width ?? 64, options.height ?? 48, options.fps ?? 10),
    "-c:v",
    "mjpeg",
    "-q:v",
    "5",
    "-f",
    "mpjpeg",
    "-listen",
    "1",
    url,
  ]);
  await waitUntilListening(port, server);
  return {
    url,
    port,
    kill: async () => {
      server.signal("SIGCONT");
      await server.kill(200);
    },
    pause: () => server.signal("SIGSTOP"),
    resume: () => server.signal("SIGCONT"),
  };
}

/**
 * Waits until something listens on 127.0.0.1:`port`, or already serves a client there. A test
 * connection would use up the server's only client, so Linux's socket table is read instead;
 * elsewhere a pause stands in. A live source that is reconnecting can take the server's one
 * client within milliseconds of the bind, and `-listen 1` then closes its listening socket: an
 * established connection on the port counts too (the killed server's own are closing, never
 * established).
 */
async function waitUntilListening(port: number, server: FfmpegProcess): Promise<void> {
  const entry = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (let tries = 0; tries < 500 && server.running; tries++) {
    const table = await readFile("/proc/net/tcp", "utf8").catch(() => null);
    if (table === null) return new Promise((resolve) => setTimeout(resolve, 500));
    const listening = table.split("\n").some((line) => {
      const fields = line.trim().split(/\s+/); // sl, local_address, rem_address, st (0A LISTEN, 01 ESTABLISHED), …
      return fields[1] === entry && (fields[3] === "0A" || fields[3] === "01");
    });
    if (listening) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    server.running
      ? `the test stream server is not listening on port ${port}`
      : `the test stream server on port ${port} exited: ${server.lastMessages.at(-1) ?? ""}`,
  );
}

/** Mean R, G, B of an image (or of a rectangle of it). */
export function meanColor(image: WorkflowImage, box?: { x: number; y: number; width: number; height: number }): [number, number, number] {
  const area = box ?? { x: 0, y: 0, width: image.width, height: image.height };
  const sums = [0, 0, 0];
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x; x < area.x + area.width; x++) {
      const offset = (y * image.width + x) * 3;
      sums[0] += image.data[offset];
      sums[1] += image.data[offset + 1];
      sums[2] += image.data[offset + 2];
    }
  }
  const count = area.width * area.height;
  return [sums[0] / count, sums[1] / count, sums[2] / count];
}
