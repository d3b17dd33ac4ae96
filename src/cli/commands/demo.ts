/**
 * `sightline demo`: the launch post's workflow on a video — sample a frame a second, embed it with
 * CLIP, flag the outliers, collect them, and show them in a grid next to the current frame.
 *
 * Without `--video`, it makes a 20-second sample clip with ffmpeg (a steady test pattern with
 * three short events). Without a model folder, it uses the cached ViT-B-32 or downloads it; if
 * no model hub is reachable it says so and uses a tiny random-weight CLIP made on the spot, so the
 * whole pipeline still runs (its flags then mean little).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createTinyClipModel, listCachedModels, pullModel, type ModelOptions } from "../../models/index.js";
import { createProgressBar } from "../../models/progress.js";
import { makeSampleVideo } from "../../video/testing.js";
import type { CompileOptions } from "../../index.js";
import { createServices } from "../models.js";
import type { ModelCliOptions } from "../models.js";
import { runVideoCommand } from "./run-video.js";

/** examples/ ships with the package, beside dist/. */
const PACKAGE_ROOT = resolve(import.meta.dirname, "..", "..", "..");
export const DEMO_WORKFLOW = join(PACKAGE_ROOT, "examples", "outlier-frames.json");

export interface DemoOptions extends Partial<ModelCliOptions> {
  video?: string;
  out: string;
  /** Model precision used when the demo downloads ViT-B-32 itself (small and fast). */
  downloadDtype: NonNullable<ModelOptions["dtype"]>;
}

function note(text: string): void {
  process.stderr.write(`demo: ${text}\n`);
}

/** The CLIP model for the demo: a mapped folder, the cache, a download, or the tiny stand-in. */
async function chooseModel(options: DemoOptions): Promise<{ folder: string; dtype?: ModelOptions["dtype"] }> {
  const mapped = options.model?.["ViT-B-32"];
  if (mapped) return { folder: mapped, dtype: options.dtype };
  const settings: ModelOptions = { cacheDir: options.cacheDir, mirror: options.mirror, offline: options.offline };
  const dtype = options.dtype ?? options.downloadDtype;
  const cached = (await listCachedModels(settings)).find(
    (model) => model.version === "ViT-B-32" && model.dtypes.vision.includes(dtype) && model.dtypes.text.includes(dtype),
  );
  if (cached) return { folder: cached.folder, dtype };
  try {
    note(`downloading CLIP ViT-B-32 (${dtype}) — once; later runs use the cache`);
    const pulled = await pullModel("ViT-B-32", { ...settings, dtype, onProgress: createProgressBar() });
    return { folder: pulled.folder, dtype };
  } catch (error) {
    const folder = join(options.out, "tiny-clip");
    note(`could not get ViT-B-32 (${(error as Error).message.split("\n")[0]}).`);
    note(`using a tiny random-weight CLIP made here instead, so the pipeline runs end to end; its flags mean little.`);
    note(
      `for real results: sightline models pull ViT-B-32 (on a machine that reaches huggingface.co, or set SIGHTLINE_HF_MIRROR), or --model ViT-B-32=<folder>`,
    );
    return { folder: await createTinyClipModel(folder) };
  }
}

export async function demoCommand(options: DemoOptions): Promise<number> {
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  let video = options.video;
  if (!video) {
    video = join(out, "sample.mp4");
    if (!existsSync(video)) {
      note(`making a 20 s sample video with ffmpeg: ${video}`);
      const sample = await makeSampleVideo(video);
      note(`events at frames ${sample.anomalies.map((a) => `${a.from}–${a.to}`).join(", ")} (30 fps)`);
    }
  }
  const model = await chooseModel(options);
  const services = createServices({ ...options, model: { ...options.model, "ViT-B-32": model.folder }, dtype: model.dtype }, { workload: "throughput" });
  const engine: CompileOptions = { imageLoading: { allowLocalFiles: true }, services };
  note(`running ${DEMO_WORKFLOW} on ${video}; results in ${out}`);
  let code: number;
  try {
    code = await runVideoCommand(DEMO_WORKFLOW, {
      videos: [video],
      params: {},
      out,
      videoOutputs: [{ output: "grid", path: join(out, "grid.mp4") }],
      imageInput: "image",
      stateEvery: 100,
      quiet: false,
      printLines: false,
      engine,
    });
  } finally {
    await services.close();
  }
  const flagged = await flaggedFrames(join(out, "results.jsonl"));
  note(`${flagged.length} outlier frame(s)${flagged.length ? `: ${flagged.map((f) => `#${f.frame} (${f.second.toFixed(1)} s)`).join(", ")}` : ""}`);
  note(`grid images: ${join(out, "grid")}/  grid video: ${join(out, "grid.mp4")}  all results: ${join(out, "results.jsonl")}`);
  return code;
}

async function flaggedFrames(path: string): Promise<{ frame: number; second: number }[]> {
  if (!existsSync(path)) return [];
  const lines = (await readFile(path, "utf8")).split("\n").filter(Boolean);
  const flagged: { frame: number; second: number }[] = [];
  let first: number | null = null;
  for (const line of lines) {
    const record = JSON.parse(line) as { frame_number: number; frame_timestamp: string; outputs: { is_outlier?: boolean } };
    first ??= Date.parse(record.frame_timestamp);
    if (record.outputs.is_outlier === true) flagged.push({ frame: record.frame_number, second: (Date.parse(record.frame_timestamp) - first) / 1000 });
  }
  return flagged;
}
