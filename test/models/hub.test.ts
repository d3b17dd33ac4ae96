/**
 * Downloads against a local imitation of the Hugging Face hub (node:http on 127.0.0.1) serving
 * the generated tiny model as `Xenova/clip-vit-base-patch32`: progress, cache hits, offline mode,
 * interrupted and corrupt downloads, and the runtime fetching only what it uses.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ModelRuntime, listCachedModels, ModelDownloadError, ModelOfflineError, pullModel, type DownloadProgress } from "../../src/models/index.js";
import { createProgressBar } from "../../src/models/progress.js";
import { progressLine } from "../../src/models/progress.js";
import { temporaryDir, tinyClipFolder } from "./helpers.js";

const REPO = "Xenova/clip-vit-base-patch32";
const FP32_FILES = ["config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/vision_model.onnx", "onnx/text_model.onnx"];

type Fault = "interrupt" | "short";

/** The hub's `resolve` and tree routes over a local folder, with faults to inject. */
class FakeHub {
  readonly requests: string[] = [];
  readonly faults = new Map<string, Fault>();
  private server!: Server;
  url = "";

  constructor(private readonly folder: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const path = decodeURIComponent(request.url ?? "");
      this.requests.push(path);
      const tree = path.match(/^\/api\/models\/(.+)\/tree\/main\/(.+)$/);
      if (tree && tree[1] === REPO) {
        void readdir(join(this.folder, tree[2])).then((names) => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify(names.map((name) => ({ type: "file", path: `${tree[2]}/${name}` }))));
        });
        return;
      }
      const prefix = `/${REPO}/resolve/main/`;
      if (!path.startsWith(prefix)) return void response.writeHead(404).end("Repository not found");
      const file = path.slice(prefix.length);
      readFile(join(this.folder, file)).then(
        (body) => this.send(file, body, response),
        () => response.writeHead(404).end("Entry not found"),
      );
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private send(file: string, body: Buffer, response: import("node:http").ServerResponse): void {
    const fault = this.faults.get(file);
    this.faults.delete(file); // one failure, then the file is served normally (a retry succeeds)
    const half = body.subarray(0, Math.floor(body.length / 2));
    if (fault === "interrupt") {
      // The connection drops mid-body.
      response.writeHead(200, { "content-length": body.length });
      response.write(half, () => response.socket?.destroy());
    } else if (fault === "short") {
      // The server announces more than it sends, then closes cleanly.
      response.socket?.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${half.toString("latin1")}`, "latin1");
    } else {
      response.writeHead(200, { "content-length": body.length });
      response.end(body);
    }
  }

  downloads(): string[] {
    return this.requests.filter((path) => path.includes("/resolve/main/")).map((path) => path.split("/resolve/main/")[1]);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let hub: FakeHub;
let source: string;
let cacheDir: string;

beforeAll(async () => {
  source = await tinyClipFolder();
  hub = new FakeHub(source);
  await hub.start();
});
afterAll(() => hub.stop());
beforeEach(async () => {
  cacheDir = await temporaryDir("model-cache");
  hub.requests.length = 0;
  hub.faults.clear();
});

async function cachedFiles(): Promise<string[]> {
  const entries = await readdir(cacheDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(cacheDir.length + 1))
    .sort();
}

describe("pull", () => {
  it("downloads every file of a version into the cache, reporting progress", async () => {
    const events: DownloadProgress[] = [];
    const result = await pullModel("ViT-B-32", { mirror: hub.url, cacheDir, onProgress: (p) => events.push(p) });
    expect(result.repo).toBe(REPO);
    expect(result.files.map((f) => f.file)).toEqual(FP32_FILES);
    expect(hub.downloads()).toEqual(FP32_FILES);
    for (const file of FP32_FILES) {
      expect(await readFile(join(cacheDir, REPO, file))).toEqual(await readFile(join(source, file)));
    }
    const size = (await stat(join(source, "onnx/vision_model.onnx"))).size;
    const vision = events.filter((e) => e.label === `${REPO}/onnx/vision_model.onnx`);
    expect(vision[0]).toMatchObject({ bytesDone: 0, bytesTotal: size, done: false });
    expect(vision.at(-1)).toMatchObject({ bytesDone: size, bytesTotal: size, done: true });
    expect(vision.every((e, i) => i === 0 || e.bytesDone >= vision[i - 1].bytesDone)).toBe(true);
    expect(vision.at(-1)!.bytesPerSecond).toBeGreaterThan(0);
  });

  it("makes no request for a file already in the cache", async () => {
    await pullModel("ViT-B-32", { mirror: hub.url, cacheDir });
    hub.requests.length = 0;
    await pullModel("ViT-B-32", { mirror: hub.url, cacheDir });
    expect(hub.requests).toEqual([]);
  });

  it("pulls another precision next to the first", async () => {
    await pullModel("ViT-B-32", { mirror: hub.url, cacheDir, dtype: "int8" });
    expect(hub.downloads().slice(4)).toEqual(["onnx/vision_model_int8.onnx", "onnx/text_model_int8.onnx"]);
  });

  it("lists what the repository has when a precision is missing", async () => {
    await expect(pullModel("ViT-B-32", { mirror: hub.url, cacheDir, dtype: "q8" })).rejects.toThrow(
      `${REPO} has no onnx/vision_model_quantized.onnx, so CLIP ViT-B-32 is not available as q8; it has: --dtype fp32, fp16, int8`,
    );
    expect((await cachedFiles()).some((file) => file.includes("quantized"))).toBe(false);
  });

  it("does nothing for a version mapped to a folder", async () => {
    const result = await pullModel("ViT-B-32", { mirror: hub.url, cacheDir, folders: { "ViT-B-32": source } });
    expect(result).toMatchObject({ repo: null, folder: source, files: [] });
    expect(hub.requests).toEqual([]);
  });

  it("lists the cache with sizes and precisions", async () => {
    await pullModel("ViT-B-32", { mirror: hub.url, cacheDir, dtype: "int8" });
    const [model, ...others] = await listCachedModels({ cacheDir });
    expect(others).toEqual([]);
    expect(model).toMatchObject({ repo: REPO, version: "ViT-B-32", folder: join(cacheDir, REPO), dtypes: { vision: ["int8"], text: ["int8"] } });
    const expectedBytes = (await Promise.all(model.files.map(async (f) => (await stat(join(source, f.file))).size))).reduce((a, b) => a + b, 0);
    expect(model.bytes).toBe(expectedBytes);
    expect(await listCachedModels({ cacheDir: join(cacheDir, "empty") })).toEqual([]);
  });
});

describe("failed downloads leave nothing behind", () => {
  it.each<[Fault, RegExp]>([
    ["interrupt", /download of Xenova\/clip-vit-base-patch32\/onnx\/vision_model\.onnx from .* was interrupted after \d+ of \d+ bytes/],
    ["short", /download of Xenova\/clip-vit-base-patch32\/onnx\/vision_model\.onnx from .* (was interrupted after|is corrupt: received) \d+/],
  ])("%s: a clear error, no file in the cache, and a retry succeeds", async (fault, message) => {
    hub.faults.set("onnx/vision_model.onnx", fault);
    const failure = pullModel("ViT-B-32", { mirror: hub.url, cacheDir });
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toThrow(/nothing was kept in the cache/);
    await expect(failure).rejects.toBeInstanceOf(ModelDownloadError);
    expect(await cachedFiles()).toEqual(FP32_FILES.slice(0, 4).map((file) => join(REPO, file)));
    await pullModel("ViT-B-32", { mirror: hub.url, cacheDir });
    expect(await readFile(join(cacheDir, REPO, "onnx/vision_model.onnx"))).toEqual(await readFile(join(source, "onnx/vision_model.onnx")));
    expect(await cachedFiles()).toEqual(FP32_FILES.map((file) => join(REPO, file)).sort());
  });

  it("says so when the mirror cannot be reached", async () => {
    await expect(pullModel("ViT-B-32", { mirror: "http://127.0.0.1:9", cacheDir })).rejects.toThrow(
      /could not download Xenova\/clip-vit-base-patch32\/config\.json from http:\/\/127\.0\.0\.1:9\/Xenova\/clip-vit-base-patch32\/resolve\/main\/config\.json/,
    );
  });
});

describe("offline mode", () => {
  it("never touches the network and names the missing file and how to fetch it", async () => {
    const clip = new ModelRuntime({ mirror: hub.url, cacheDir, offline: true, threads: 1 });
    try {
      const failure = clip.embedTexts(["a cat"]);
      await expect(failure).rejects.toBeInstanceOf(ModelOfflineError);
      await expect(failure).rejects.toThrow(
        /config\.json of CLIP ViT-B-32 \(Xenova\/clip-vit-base-patch32\) is not in the cache .* offline mode is on\. .*`sightline models pull ViT-B-32`/,
      );
      expect(hub.requests).toEqual([]);
    } finally {
      await clip.close();
    }
  });

  it("works from a pulled cache without any request", async () => {
    await pullModel("ViT-B-32", { mirror: hub.url, cacheDir });
    hub.requests.length = 0;
    const clip = new ModelRuntime({ mirror: hub.url, cacheDir, offline: true, threads: 1 });
    try {
      expect((await clip.embedTexts(["a cat"]))[0]).toHaveLength(16);
      expect(await clip.embedImages([{ width: 40, height: 40, data: new Uint8Array(4800).fill(90) }])).toHaveLength(1);
      await expect(clip.embedImages([], { dtype: "int8" })).resolves.toEqual([]);
      await expect(clip.embedTexts(["a cat"], { dtype: "int8" })).rejects.toThrow(/onnx\/text_model_int8\.onnx of CLIP ViT-B-32 .* not in the cache/);
      expect(hub.requests).toEqual([]);
    } finally {
      await clip.close();
    }
  });
});

describe("the runtime downloads on first use", () => {
  it("fetches only the files of the tower it uses, once, even when asked concurrently", async () => {
    const clip = new ModelRuntime({ mirror: hub.url, cacheDir, threads: 1 });
    try {
      await Promise.all([clip.embedTexts(["a cat"]), clip.embedTexts(["a dog"])]);
      expect(hub.downloads().sort()).toEqual(["config.json", "onnx/text_model.onnx", "tokenizer.json", "tokenizer_config.json"]);
    } finally {
      await clip.close();
    }
  });
});

describe("progress bar", () => {
  const progress = (bytesDone: number, done = false): DownloadProgress => ({
    label: `${REPO}/onnx/vision_model.onnx`,
    bytesDone,
    bytesTotal: 351_500_000,
    bytesPerSecond: 21_300_000,
    done,
  });

  it("draws bytes, percentage and rate", () => {
    expect(progressLine(progress(167_200_000), 120)).toBe(`${REPO}/onnx/vision_model.onnx  [###########-------------]  47%  167.2 MB / 351.5 MB  21.3 MB/s`);
    expect(progressLine({ ...progress(2048), bytesTotal: null }, 120)).toMatch(/vision_model\.onnx {2}2\.0 kB {2}21\.3 MB\/s$/);
    expect(progressLine(progress(0), 60).length).toBeLessThanOrEqual(60);
  });

  it("draws only on a terminal, and ends the line when done", () => {
    expect(createProgressBar({ isTTY: false, write: () => true })).toBeNull();
    const written: string[] = [];
    const bar = createProgressBar({ isTTY: true, columns: 100, write: (text: string) => written.push(text) })!;
    bar(progress(0));
    bar(progress(1)); // within the redraw interval: skipped
    bar(progress(351_500_000, true));
    expect(written).toHaveLength(2);
    expect(written[0].startsWith("\r\x1b[2K")).toBe(true);
    expect(written[1]).toMatch(/100%.*\n$/);
  });
});
