/**
 * Memory of a real `sightline serve` child process under hostile requests, read from
 * `/proc/<pid>/status`: a request's growth is the peak resident set while it runs (the peak is
 * reset before it, `/proc/<pid>/clear_refs`) above the resident set of the warmed-up server at
 * start — so memory an earlier request left mapped counts against a later one rather than hiding
 * its growth. The server runs the Hugging Face tiny CLIP export, whose preprocessing is the real
 * models' (shortest edge 224, centre crop 224).
 */
import { crc32, deflateSync } from "node:zlib";
import { resolve } from "node:path";
import sharp from "sharp";
import { startServeCli, type ServeProcess } from "../server/helpers.js";
import { processFigures, resetHighWater } from "./process-memory.js";

const MIB = 1024 * 1024;

const TINY_CLIP = resolve(import.meta.dirname, "../fixtures/tiny-clip");

/** The bound a hostile request may add to the server's peak memory at the default limits. */
export const REQUEST_GROWTH_BOUND_MB = 256;

export interface MemoryServer {
  url: string;
  pid: number;
  /** Resident set once listening with the model loaded, MiB. */
  baselineMb: number;
  process: ServeProcess;
  stop(): Promise<void>;
}

/** `sightline serve --port 0 --model ViT-B-32=<tiny clip> …args`, listening, its model loaded by one small CLIP run. */
export async function startMemoryServer(args: readonly string[] = []): Promise<MemoryServer> {
  const served = startServeCli(["--model", `ViT-B-32=${TINY_CLIP}`, ...args]);
  const url = await served.address;
  const warm = await postJson(url, "/workflows/run", { specification: CLIP_WORKFLOW, inputs: { image: base64Image(await flatPng(32, 24)) } });
  if (warm.status !== 200) throw new Error(`the warm-up run answered ${warm.status}: ${JSON.stringify(warm.body)}`);
  const pid = served.child.pid!;
  return {
    url,
    pid,
    baselineMb: processFigures(pid).rss / MIB,
    process: served,
    async stop() {
      served.child.kill("SIGTERM");
      await served.exited;
    },
  };
}

/**
 * Runs `work` and measures how far the server's peak resident set rose above its baseline while
 * it ran (MiB).
 */
export async function peakGrowth<T>(server: MemoryServer, work: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  resetHighWater(server.pid);
  const result = await work();
  return { result, growthMb: processFigures(server.pid).hwm / MIB - server.baselineMb };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function postJson(url: string, path: string, json: unknown): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

export function base64Image(bytes: Buffer): { type: "base64"; value: string } {
  return { type: "base64", value: bytes.toString("base64") };
}

/** A PNG of one colour: a few hundred bytes whatever its size, as an attacker's would be. */
export function flatPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * The classic decompression bomb, written as an attacker writes it: a 1-bit grey PNG of black
 * rows, 33 KB for 16383² (268 megapixels, 805 MB as RGB).
 */
export function oneBitPngBomb(side = 16383): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grey, deflate, no filter, no interlace
  // Each row: filter byte 0, then ceil(side / 8) bytes of zero bits.
  const rows = Buffer.alloc(side * (1 + Math.ceil(side / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function imageWorkflow(steps: unknown[], outputs: unknown[]): Record<string, unknown> {
  return { version: "1.0", inputs: [{ type: "WorkflowImage", name: "image" }], steps, outputs };
}

/** Embeds the image with CLIP (the tiny export, mapped as ViT-B-32). */
export const CLIP_WORKFLOW = imageWorkflow(
  [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-32" }],
  [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
);

/** Reads only the image's width: nothing but the size is needed. */
export const WIDTH_WORKFLOW = imageWorkflow(
  [
    {
      type: "roboflow_core/property_definition@v1",
      name: "width",
      data: "$inputs.image",
      operations: [{ type: "ExtractImageProperty", property_name: "width" }],
    },
  ],
  [{ type: "JsonField", name: "width", selector: "$steps.width.output" }],
);

/** Answers the input image itself. */
export const ECHO_WORKFLOW = imageWorkflow([], [{ type: "JsonField", name: "image", selector: "$inputs.image" }]);
