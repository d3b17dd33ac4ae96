/**
 * `npm run bench:clip`: images/s of the CLIP ViT-B/32 image tower, full size with random weights
 * (built from bench/fixtures/clip-vit-b32 into .cache/bench-clip, once), for each precision
 * and batch size, all in one run so the ratios compare like with like:
 *
 *   (a) raw onnxruntime-node on ready tensors, one session with every thread — the ceiling the
 *       issue names; (a2) one session per sightline inference worker, threads shared out, each
 *       batch split between them — the ceiling of sightline's own arrangement; (a1) one session
 *       with one thread — what one core does, for the CPU budget printed at the end;
 *       sightline's runtime from decoded images, and from JPEG bytes (decode + preprocess + infer);
 *   (b) `sightline embed` from JPEG files: the built CLI in a child process; its start-up (Node,
 *       model load) is cancelled out by timing two invocations of different lengths;
 *   (c) a workflow with clip@v1 on a batch of images given as JPEG files, through the library,
 *       one run after another; (c′) the same workflow through `sightline run --inputs` on a JSON
 *       Lines file of such batches (the CLI reads the next line ahead), timed like (b).
 *
 * Options: --dtypes fp32,int8  --batches 1,8  --seconds 6 (per scenario and setting)  --threads N
 *          --rounds 3 (the seconds are split into this many alternating rounds; more rounds
 *          spread a noisy host's slow moments more evenly over the scenarios)
 *          --workers N (sightline's inference workers; default: the throughput workload's, 2 on two or more CPUs)
 * Goals (issue 4): end-to-end / raw ≥ 0.9 at batch 8; int8 end-to-end ≥ 2.3× fp32 end-to-end.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { decodeImage } from "../src/images/codec.js";
import type { WorkflowImage } from "../src/images/index.js";
import { ModelRuntime, type Dtype, type ModelOptions } from "../src/models/index.js";
import { resolveModelOptions } from "../src/models/options.js";
import { compile, Services } from "../src/index.js";
import { benchImageProcessor, ensureBenchModel, projectRoot, rawVisionRunner } from "./fixtures.js";

const ROOT = projectRoot(import.meta.dirname);
const IMAGE_DIR = join(ROOT, ".cache", "bench-clip-images");
const IMAGE_COUNT = 16;

const { values: args } = parseArgs({
  options: {
    dtypes: { type: "string", default: "fp32,int8" },
    batches: { type: "string", default: "1,8" },
    seconds: { type: "string", default: "6" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: String(availableParallelism()) },
    workers: { type: "string" },
  },
});
const DTYPES = args.dtypes.split(",") as Dtype[];
const BATCHES = args.batches.split(",").map(Number);
const SECONDS = Number(args.seconds);
const THREADS = Number(args.threads);
/**
 * sightline's inference workers for a batch size: one image at a time is latency work (the
 * library's default, one worker with every thread), batches are throughput work (what `embed`
 * picks for several images: two workers, each batch split between them).
 */
function workersFor(batch: number): number {
  if (args.workers !== undefined) return Number(args.workers);
  return resolveModelOptions({ threads: THREADS, workload: batch > 1 ? "throughput" : "latency" }, {}).inferenceWorkers;
}

/** What every scenario gets: the model, the test images in three forms, the setting. */
interface Setting {
  dtype: Dtype;
  batch: number;
  modelDir: string;
  jpegFiles: string[];
  jpegBytes: Buffer[];
  decoded: WorkflowImage[];
}

/** Embeds one batch: the `index`-th group of `setting.batch` images (wrapping round the set). */
type BatchRunner = (index: number) => Promise<unknown>;

interface PreparedScenario {
  run: BatchRunner;
  close(): Promise<void>;
  /** Images one `run` counts for (default: the batch size). */
  imagesPerRun?: number;
  /** When set, the time to count instead of the wall time of the runs. */
  measuredMs?: () => number;
}

interface Scenario {
  name: string;
  /** Batches kept in flight at once (2 overlaps decoding of the next batch with inference). */
  inFlight?: number;
  /** A raw ONNX Runtime baseline rather than a way of using sightline (not in the ratio tables). */
  baseline?: true;
  /** Prepares one (dtype, batch) setting; everything slow to set up happens here, untimed. */
  prepare(setting: Setting): Promise<PreparedScenario>;
}

function pick<T>(items: readonly T[], index: number, batch: number): T[] {
  return Array.from({ length: batch }, (_, i) => items[(index * batch + i) % items.length]);
}

/** sightline's model options for a setting, as the library scenarios use them. */
function modelOptions(setting: Setting): ModelOptions {
  return {
    folders: { "ViT-B-32": setting.modelDir },
    dtype: setting.dtype,
    threads: THREADS,
    inferenceWorkers: workersFor(setting.batch),
    maxBatchSize: setting.batch,
  };
}

/** The runtime as a library user sees it, on the bench model. */
function runtimeScenario(name: string, input: "decoded" | "jpeg", inFlight = 1): Scenario {
  return {
    name,
    inFlight,
    async prepare(setting) {
      const runtime = new ModelRuntime(modelOptions(setting));
      const run: BatchRunner = async (index) => {
        const images =
          input === "decoded"
            ? pick(setting.decoded, index, setting.batch)
            : await Promise.all(pick(setting.jpegBytes, index, setting.batch).map((bytes, i) => decodeImage(bytes, `image.${i}`)));
        return runtime.embedImages(images);
      };
      return { run, close: () => runtime.close() };
    },
  };
}

/** ONNX Runtime alone on ready tensors (`rawVisionRunner`): `workers` sessions sharing `threads`. */
function rawScenario(name: string, threads: number, workers?: (batch: number) => number): Scenario {
  return {
    name,
    baseline: true,
    prepare: (setting) => rawVisionRunner(setting.modelDir, setting.dtype, setting.batch, threads, setting.decoded, workers?.(setting.batch)),
  };
}

/** (a1): what one core does, the unit of the CPU budget. */
const ONE_CORE = "(a1) raw, one session with one thread";

const SCENARIOS: Scenario[] = [
  rawScenario("(a) raw onnxruntime-node, ready tensors", THREADS),
  rawScenario("(a2) raw, as sightline's inference workers", THREADS, workersFor),
  rawScenario(ONE_CORE, 1),
  runtimeScenario("runtime: decoded images", "decoded"),
  runtimeScenario("runtime: JPEG bytes", "jpeg"),
  runtimeScenario("runtime: JPEG bytes, 2 batches in flight", "jpeg", 2),
  embedCliScenario("(b) sightline embed, JPEG files"),
  workflowScenario("(c) workflow clip@v1, JPEG files"),
  runInputsCliScenario("(c′) sightline run --inputs, JPEG files"),
];

/**
 * A sightline command as a user runs it, in a child process (the built CLI). One run here is an
 * invocation on CLI_LONG images minus one on CLI_SHORT: the difference removes Node's start-up
 * and the model load (which would otherwise dominate), leaving the per-image cost of
 * CLI_LONG − CLI_SHORT images.
 */
const CLI_LONG = 64;
const CLI_SHORT = 8;
function cliScenario(name: string, command: (setting: Setting, files: string[]) => Promise<string[]>): Scenario {
  const cli = join(ROOT, "dist", "cli", "main.js");
  return {
    name,
    async prepare(setting) {
      if (!existsSync(cli)) throw new Error("bench:clip needs the built CLI: run `npm run build` first");
      const invoke = async (files: string[]) => {
        const args = [
          cli,
          ...(await command(setting, files)),
          "--dtype",
          setting.dtype,
          "--threads",
          String(THREADS),
          "--inference-workers",
          String(workersFor(setting.batch)),
          "--batch-size",
          String(setting.batch),
        ];
        return new Promise<number>((resolvePromise, reject) => {
          const started = performance.now();
          const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
          child.on("error", reject);
          child.on("exit", (code) =>
            code === 0 ? resolvePromise(performance.now() - started) : reject(new Error(`sightline ${args[1]} exited with ${code}`)),
          );
        });
      };
      let extraMs = 0;
      return {
        run: async (index) => {
          const long = await invoke(pick(setting.jpegFiles, index, CLI_LONG));
          const short = await invoke(pick(setting.jpegFiles, index, CLI_SHORT));
          extraMs += long - short;
        },
        close: async () => {},
        imagesPerRun: CLI_LONG - CLI_SHORT,
        measuredMs: () => extraMs,
      };
    },
  };
}

/** (b): `sightline embed --image …` on the files. */
function embedCliScenario(name: string): Scenario {
  return cliScenario(name, async (setting, files) => ["embed", "--model", setting.modelDir, ...files.flatMap((file) => ["--image", file])]);
}

/** (c′): `sightline run <clip workflow> --inputs lines.jsonl`, one line per batch of images. */
function runInputsCliScenario(name: string): Scenario {
  return cliScenario(name, async (setting, files) => {
    const dir = await mkdtemp(join(tmpdir(), "sightline-bench-"));
    const workflowPath = join(dir, "workflow.json");
    const inputsPath = join(dir, "inputs.jsonl");
    await writeFile(workflowPath, JSON.stringify(CLIP_WORKFLOW));
    const lines: string[] = [];
    for (let i = 0; i < files.length; i += setting.batch) lines.push(JSON.stringify({ image: files.slice(i, i + setting.batch) }));
    await writeFile(inputsPath, lines.join("\n") + "\n");
    return ["run", workflowPath, "--inputs", inputsPath, "--model", `ViT-B-32=${setting.modelDir}`];
  });
}

const CLIP_WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-32" }],
  outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
};

function workflowScenario(name: string): Scenario {
  return {
    name,
    async prepare(setting) {
      const services = new Services({ models: modelOptions(setting) });
      const engine = compile(CLIP_WORKFLOW, { services });
      return {
        run: (index) => engine.run({ image: pick(setting.jpegFiles, index, setting.batch) }),
        close: async () => {
          await engine.close();
          await services.close();
        },
      };
    },
  };
}

const ROUNDS = Number(args.rounds);

/**
 * Images/s of every scenario in one (dtype, batch) setting. The machine may be busy with other
 * work, so scenarios take turns in short rounds and each rate is total images over total time:
 * a load change hits all of them alike and the ratios stay fair.
 */
async function measureSetting(setting: Setting, stages: StageCosts): Promise<number[]> {
  const prepared: PreparedScenario[] = [];
  for (const scenario of SCENARIOS) {
    const runner = await scenario.prepare(setting);
    await runner.run(0); // warm-up: session creation, first-run allocations
    prepared.push(runner);
  }
  const images = SCENARIOS.map(() => 0);
  const seconds = SCENARIOS.map(() => 0);
  let next = 1;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, scenario] of SCENARIOS.entries()) {
        const started = performance.now();
        const deadline = started + (SECONDS * 1000) / ROUNDS;
        let batches = 0;
        const loop = async (): Promise<void> => {
          while (performance.now() < deadline || batches < 1) {
            batches++;
            await prepared[i].run(next++);
            images[i] += prepared[i].imagesPerRun ?? setting.batch;
          }
        };
        const before = prepared[i].measuredMs?.() ?? 0;
        await Promise.all(Array.from({ length: scenario.inFlight ?? 1 }, loop));
        const measured = prepared[i].measuredMs;
        seconds[i] += (measured ? measured() - before : performance.now() - started) / 1000;
      }
      await stages.sample();
    }
  } finally {
    for (const runner of prepared) await runner.close();
  }
  return images.map((count, i) => count / seconds[i]);
}

/** 640×480 JPEG frames of ffmpeg's moving test pattern: video-like content at a video-like size. */
async function ensureImages(): Promise<string[]> {
  const files = Array.from({ length: IMAGE_COUNT }, (_, i) => join(IMAGE_DIR, `frame-${String(i + 1).padStart(2, "0")}.jpg`));
  if (!files.every((file) => existsSync(file))) {
    await mkdir(IMAGE_DIR, { recursive: true });
    execFileSync("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=640x480:rate=5",
      "-frames:v",
      String(IMAGE_COUNT),
      "-q:v",
      "3",
      join(IMAGE_DIR, "frame-%02d.jpg"),
    ]);
  }
  return (await readdir(IMAGE_DIR))
    .filter((name) => name.endsWith(".jpg"))
    .sort()
    .map((name) => join(IMAGE_DIR, name))
    .slice(0, IMAGE_COUNT);
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
}

async function main(): Promise<void> {
  const modelDir = await ensureBenchModel();
  const jpegFiles = await ensureImages();
  const jpegBytes = await Promise.all(jpegFiles.map((file) => readFile(file)));
  const decoded = await Promise.all(jpegBytes.map((bytes, i) => decodeImage(bytes, `image.${i}`)));
  const columns = DTYPES.flatMap((dtype) => BATCHES.map((batch) => ({ dtype, batch })));
  const stageCosts = await StageCosts.create(modelDir, jpegBytes, decoded);
  const results = new Map<string, number>(); // `${scenario}|${dtype}|${batch}` → images/s
  for (const { dtype, batch } of columns) {
    const rates = await measureSetting({ dtype, batch, modelDir, jpegFiles, jpegBytes, decoded }, stageCosts);
    SCENARIOS.forEach((scenario, i) => {
      results.set(`${scenario.name}|${dtype}|${batch}`, rates[i]);
      console.error(`  ${scenario.name}, ${dtype}, batch ${batch}: ${rates[i].toFixed(1)} img/s`);
    });
  }
  const raw = SCENARIOS[0].name;
  const widths = [Math.max(...SCENARIOS.map((s) => s.name.length)) + 2, ...columns.map(() => 10)];
  const header = row(["", ...columns.map(({ dtype, batch }) => `${dtype} b${batch}`)], widths);
  const ratioRows = (base: string) =>
    SCENARIOS.filter((s) => !s.baseline).map((s) =>
      row(
        [s.name, ...columns.map(({ dtype, batch }) => (results.get(`${s.name}|${dtype}|${batch}`)! / results.get(`${base}|${dtype}|${batch}`)!).toFixed(2))],
        widths,
      ),
    );
  const lines = [
    `CLIP ViT-B/32 image tower, random weights, 640×480 JPEG frames — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "cpu"}, ${THREADS} threads; inference workers: ${BATCHES.map((batch) => `${workersFor(batch)} at batch ${batch}`).join(", ")}; Node ${process.version}, onnxruntime-node ${ort.env.versions.common}`,
    "",
    `images/s`,
    header,
    ...SCENARIOS.map((s) => row([s.name, ...columns.map(({ dtype, batch }) => results.get(`${s.name}|${dtype}|${batch}`)!.toFixed(1))], widths)),
    "",
    `ratio to (a) raw, same precision and batch (goal ≥ 0.9 at batch 8)`,
    header,
    ...ratioRows(raw),
    "",
    `ratio to (a2), the raw ceiling of sightline's arrangement`,
    header,
    ...ratioRows(SCENARIOS[1].name),
  ];
  const others = DTYPES.filter((dtype) => dtype !== "fp32");
  if (DTYPES.includes("fp32") && others.length > 0) {
    const speedColumns = others.flatMap((dtype) => BATCHES.map((batch) => ({ dtype, batch })));
    lines.push(
      "",
      `speed-up over fp32, same scenario and batch (goal int8 ≥ 2.3× end to end)`,
      row(["", ...speedColumns.map(({ dtype, batch }) => `${dtype} b${batch}`)], widths),
      ...SCENARIOS.map((s) =>
        row(
          [
            s.name,
            ...speedColumns.map(({ dtype, batch }) => (results.get(`${s.name}|${dtype}|${batch}`)! / results.get(`${s.name}|fp32|${batch}`)!).toFixed(2)),
          ],
          widths,
        ),
      ),
    );
  }
  const stages = stageCosts.averages();
  lines.push(
    "",
    `${"decoding and preprocessing alone, per 640×480 image".padEnd(58)}${"wall ms".padStart(8)}${"CPU ms".padStart(10)}`,
    "  (one image at a time, sampled after every round)",
    ...stages.map((stage) => `  ${stage.name.padEnd(56)}${stage.wallMs.toFixed(2).padStart(8)}${stage.cpuMs.toFixed(2).padStart(10)}`),
  );
  // Every image from JPEG costs inference plus decoding and preprocessing, all on the same cores.
  const preprocessingMs = stages.reduce((sum, stage) => sum + stage.cpuMs, 0);
  lines.push(
    "",
    `CPU budget: inference I = ms of one core per image (from (a1)), decoding + preprocessing P = ${preprocessingMs.toFixed(2)} ms;`,
    "if they share the cores alike, an end-to-end path from JPEG cannot pass I / (I + P) of (a)",
    header,
    row(["I, ms of one core per image", ...columns.map(({ dtype, batch }) => (1000 / results.get(`${ONE_CORE}|${dtype}|${batch}`)!).toFixed(1))], widths),
    row(
      [
        "(a) / (a1): what every thread adds to one",
        ...columns.map(({ dtype, batch }) => (results.get(`${raw}|${dtype}|${batch}`)! / results.get(`${ONE_CORE}|${dtype}|${batch}`)!).toFixed(2)),
      ],
      widths,
    ),
    row(
      [
        "ceiling I / (I + P)",
        ...columns.map(({ dtype, batch }) => {
          const inference = 1000 / results.get(`${ONE_CORE}|${dtype}|${batch}`)!;
          return (inference / (inference + preprocessingMs)).toFixed(2);
        }),
      ],
      widths,
    ),
  );
  console.log(lines.join("\n"));
}

/**
 * Where end-to-end time goes besides inference: decoding and preprocessing, one image at a time,
 * alone (wall and process CPU time). Sampled after every round of every setting, so that the CPU
 * budget sees the same moments of a noisy host as the scenarios do.
 */
class StageCosts {
  private constructor(private readonly stages: { name: string; run: (i: number) => unknown; wallMs: number; cpuMs: number; count: number }[]) {}

  static async create(modelDir: string, jpegBytes: Buffer[], decoded: WorkflowImage[]): Promise<StageCosts> {
    const processor = await benchImageProcessor(modelDir);
    const out = new Float32Array(processor.pixelsPerImage);
    const costs = new StageCosts([
      { name: "JPEG decode (sharp, thread pool)", run: (i) => decodeImage(jpegBytes[i % jpegBytes.length], "image"), wallMs: 0, cpuMs: 0, count: 0 },
      { name: "resize + crop + normalise (this thread)", run: (i) => processor.preprocess(decoded[i % decoded.length], out, 0), wallMs: 0, cpuMs: 0, count: 0 },
    ]);
    for (const stage of costs.stages) for (let i = 0; i < 4; i++) await stage.run(i); // warm-up
    return costs;
  }

  async sample(count = 12): Promise<void> {
    for (const stage of this.stages) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < count; i++) await stage.run(i);
      const { user, system } = process.cpuUsage(cpu);
      stage.wallMs += performance.now() - started;
      stage.cpuMs += (user + system) / 1000;
      stage.count += count;
    }
  }

  /** Per image, over every sample. */
  averages(): { name: string; wallMs: number; cpuMs: number }[] {
    return this.stages.map(({ name, wallMs, cpuMs, count }) => ({ name, wallMs: wallMs / count, cpuMs: cpuMs / count }));
  }
}

await main();
