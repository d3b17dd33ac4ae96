/**
 * The stream blocks through `sightline run <workflow> --inputs <embeddings.jsonl>`, where each
 * line gives an embedding as a JSON array to a WorkflowParameter of kind `embedding`: upstream's
 * numbers on sequences worked out by hand (docs/reference/blocks.md#identify-changes,
 * docs/reference/blocks.md#identify-outliers; derivations in test/maths), per-stream state,
 * degenerate input, and a run killed with SIGKILL and resumed from its state file.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { erf } from "../../src/maths/erf.js";
import { CLI, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const upperTail = (z: number): number => 0.5 * (1 - erf(z / Math.SQRT2));
const close = (actual: unknown, expected: number) => expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(1e-9);
const closeVector = (actual: unknown, expected: number[]) => (actual as number[]).forEach((v, i) => close(v, expected[i]));

const embeddingInput = { type: "WorkflowParameter", name: "embedding", kind: ["embedding"] };

function changesWorkflow(properties: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [embeddingInput],
    steps: [{ type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$inputs.embedding", ...properties }],
    outputs: [{ type: "JsonField", name: "result", selector: "$steps.changes.*" }],
  };
}

function outliersWorkflow(properties: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [embeddingInput],
    steps: [{ type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", ...properties }],
    outputs: [{ type: "JsonField", name: "result", selector: "$steps.outliers.*" }],
  };
}

type Result = Record<string, unknown>;

async function runEmbeddings(workflow: unknown, embeddings: number[][], extra: string[] = []): Promise<Result[]> {
  const dir = tempDir();
  const result = await runCli([
    "run",
    writeTemp("workflow.json", workflow, dir),
    "--inputs",
    writeTemp(
      "embeddings.jsonl",
      embeddings.map((embedding) => ({ embedding })),
      dir,
    ),
    ...extra,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return (result.lines as { outputs: { result: Result }[] }[]).map((line) => line.outputs[0].result);
}

describe("identify_changes through the CLI, against hand-computed sequences", () => {
  it("EMA (α 0.5, warm-up 1): seeding, z = −√2 on the turn, statistics carried on", async () => {
    const out = await runEmbeddings(changesWorkflow({ smoothing_factor: 0.5, warmup: 1 }), [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
      [0, 1],
    ]);
    expect(out[0]).toEqual({ is_outlier: false, percentile: 0.5, z_score: 0, average: [1, 0], std: [0, 0], warming_up: true });
    expect([out[1].z_score, out[1].percentile, out[1].is_outlier, out[1].warming_up]).toEqual([0, 0.5, false, false]);
    closeVector(out[1].average, [0.8, 0.4]);
    closeVector(out[1].std, [Math.sqrt(0.02), Math.sqrt(0.08)]);
    close(out[2].z_score, -Math.SQRT2);
    close(out[2].percentile, upperTail(-Math.SQRT2));
    expect(out[2].is_outlier).toBe(true);
    closeVector(out[2].average, [0.4, 0.7]);
    closeVector(out[2].std, [0.3, Math.sqrt(0.085)]);
    const cs3 = 0.4 / Math.sqrt(0.8);
    const avg3 = 0.3 + cs3 / 2;
    const var3 = 0.5 * (cs3 - avg3) ** 2;
    const cs4 = 0.7 / Math.sqrt(0.65);
    const avg4 = 0.5 * avg3 + 0.5 * cs4;
    const z4 = (cs4 - avg4) / Math.sqrt(0.5 * var3 + 0.5 * (cs4 - avg4) ** 2);
    close(out[3].z_score, z4);
    closeVector(out[3].average, [0.2, 0.85]);
  });

  it("EMA on identical embeddings keeps std 0 (z 0), then a jump gives z = −√10", async () => {
    const out = await runEmbeddings(changesWorkflow({}), [...Array.from({ length: 6 }, () => [1, 0]), [0, 1]]);
    expect(out.slice(0, 6).every((o) => o.z_score === 0 && o.percentile === 0.5 && o.is_outlier === false)).toBe(true);
    close(out[6].z_score, -Math.sqrt(10));
    expect(out[6].is_outlier).toBe(true);
    closeVector(out[6].std, [Math.sqrt(0.081), Math.sqrt(0.081)]);
  });

  it("SMA (warm-up 0): Welford sample std; the n := samples + 1 quirk gives z = −2/√3", async () => {
    const out = await runEmbeddings(changesWorkflow({ strategy: "Simple Moving Average (SMA)", warmup: 0 }), [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
    ]);
    expect(out.map((o) => o.warming_up)).toEqual([false, false, false]);
    closeVector(out[1].std, [Math.sqrt(0.08), Math.sqrt(0.32)]);
    close(out[2].z_score, -2 / Math.sqrt(3));
    close(out[2].percentile, upperTail(-2 / Math.sqrt(3)));
    expect(out[2].is_outlier).toBe(false);
    closeVector(out[2].average, [1.6 / 3, 0.6]);
  });

  it("Sliding Window (2, τ 0.4, warm-up 3): first embedding and similarity never enter; z = +1 then −1", async () => {
    const out = await runEmbeddings(changesWorkflow({ strategy: "Sliding Window", window_size: 2, threshold_percentile: 0.4 }), [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
      [0.6, 0.8],
      [1, 0],
    ]);
    expect(out.map((o) => o.warming_up)).toEqual([true, true, true, false, false]);
    expect([out[2].z_score, out[2].percentile]).toEqual([0, 0.5]);
    closeVector(out[2].std, [0.3, 0.1]);
    close(out[3].z_score, 1);
    close(out[3].percentile, upperTail(1));
    close(out[4].z_score, -1);
    expect([out[3].is_outlier, out[4].is_outlier]).toEqual([true, true]);
    closeVector(out[4].average, [0.8, 0.4]);
    closeVector(out[4].std, [0.2, 0.4]);
  });
});

describe("identify_outliers through the CLI, against hand-computed sequences", () => {
  const sequence = [
    [1, 0],
    [0.6, 0.8],
    [0, 1],
    [0.8, 0.6],
    [-1, 0],
  ];

  it("window 4: warm-up counts after the increment, ranks with the current frame as a tie, strict thresholds", async () => {
    const out = await runEmbeddings(outliersWorkflow({ window_size: 4 }), sequence);
    expect(out[0]).toEqual({ is_outlier: false, percentile: 0.5, warming_up: true });
    expect(out[1]).toEqual({ is_outlier: false, percentile: 0.5, warming_up: true });
    expect(out[2]).toEqual({ is_outlier: false, percentile: 1 / 3, warming_up: false });
    expect(out[3]).toEqual({ is_outlier: false, percentile: 0.5, warming_up: false });
    expect(out[4]).toEqual({ is_outlier: true, percentile: 0, warming_up: false });
  });

  it("a static scene flags every frame after warm-up (upstream's behaviour); warm-up 1 flags the first", async () => {
    const still = await runEmbeddings(
      outliersWorkflow({}),
      Array.from({ length: 6 }, () => [0.6, 0.8]),
    );
    expect(still.map((o) => o.is_outlier)).toEqual([false, false, true, true, true, true]);
    const first = await runEmbeddings(outliersWorkflow({ warmup: 1 }), [[0.6, 0.8]]);
    expect(first[0]).toEqual({ is_outlier: true, percentile: 0, warming_up: false });
  });
});

describe("degenerate input", () => {
  it("an embedding of another length fails that line with StepExecutionError naming the step; the next line runs", async () => {
    const dir = tempDir();
    const inputs = writeTemp("embeddings.jsonl", [{ embedding: [1, 0] }, { embedding: [1, 0, 0] }, { embedding: [0, 1] }], dir);
    const result = await runCli(["run", writeTemp("workflow.json", outliersWorkflow({ warmup: 0 }), dir), "--inputs", inputs]);
    expect(result.code).toBe(1);
    const [first, second, third] = result.lines as { outputs?: unknown; error?: { error_type: string; message: string } }[];
    expect(first.outputs).toBeDefined();
    expect(second.error?.error_type).toBe("StepExecutionError");
    expect(second.error?.message).toMatch(/\$steps\.outliers/);
    expect(second.error?.message).toMatch(/3 values/);
    expect(third.outputs).toBeDefined();
    expect(result.stderr).toMatch(/^line 2: StepExecutionError/m);
  });
});

describe("per-stream state", () => {
  let frames: Record<string, { type: string; value: string; video_metadata: Record<string, unknown> }[]>;

  beforeAll(async () => {
    const png = (
      await sharp({ create: { width: 2, height: 2, channels: 3, background: "black" } })
        .png()
        .toBuffer()
    ).toString("base64");
    const frame = (stream: string, n: number) => ({ type: "base64", value: png, video_metadata: { video_identifier: stream, frame_number: n, fps: 30 } });
    frames = { a: [1, 2, 3, 4, 5, 6].map((n) => frame("a", n)), b: [1, 2, 3, 4, 5, 6].map((n) => frame("b", n)) };
  });

  const workflow = {
    version: "1.0",
    inputs: [
      { type: "WorkflowImage", name: "image" },
      { type: "WorkflowBatchInput", name: "embedding", kind: ["embedding"] },
    ],
    steps: [
      { type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$inputs.embedding", warmup: 1 },
      { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", warmup: 2 },
      { type: "roboflow_core/buffer@v1", name: "recent", data: "$inputs.embedding", length: 3 },
    ],
    outputs: [
      { type: "JsonField", name: "changes", selector: "$steps.changes.*" },
      { type: "JsonField", name: "outliers", selector: "$steps.outliers.*" },
      { type: "JsonField", name: "recent", selector: "$steps.recent.output" },
    ],
  };
  const streamA = [
    [1, 0],
    [0.9, 0.1],
    [0.8, 0.3],
    [0.2, 0.9],
    [1, 0.1],
    [0.7, 0.7],
  ];
  const streamB = [
    [0, 1],
    [0.1, 1],
    [0.5, 0.5],
    [0, 1],
    [-1, 0.2],
    [0.3, 0.9],
  ];

  async function run(lines: unknown[], extra: string[] = []) {
    const dir = tempDir();
    const result = await runCli(["run", writeTemp("workflow.json", workflow, dir), "--inputs", writeTemp("in.jsonl", lines, dir), ...extra]);
    expect(result.code, result.stderr).toBe(0);
    return (result.lines as { outputs: Result[] }[]).map((line) => line.outputs);
  }

  it("two interleaved streams give exactly the outputs of two separate runs", async () => {
    const together = await run(streamA.map((_, i) => ({ image: [frames.a[i], frames.b[i]], embedding: [streamA[i], streamB[i]] })));
    const alone = {
      a: await run(streamA.map((e, i) => ({ image: [frames.a[i]], embedding: [e] }))),
      b: await run(streamB.map((e, i) => ({ image: [frames.b[i]], embedding: [e] }))),
    };
    expect(together.map((outputs) => outputs[0])).toEqual(alone.a.map((outputs) => outputs[0]));
    expect(together.map((outputs) => outputs[1])).toEqual(alone.b.map((outputs) => outputs[0]));
  });

  it("--state-scope step shares one state across streams, as upstream", async () => {
    const shared = await run(
      streamA.map((_, i) => ({ image: [frames.a[i], frames.b[i]], embedding: [streamA[i], streamB[i]] })),
      ["--state-scope", "step"],
    );
    expect(shared[0][1].recent).toEqual([streamB[0], streamA[0]]);
  });
});

describe("kill and resume", () => {
  const workflow = {
    version: "1.0",
    inputs: [embeddingInput],
    steps: [
      { type: "roboflow_core/identify_changes@v1", name: "sw", embedding: "$inputs.embedding", strategy: "Sliding Window", window_size: 5 },
      { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", window_size: 8 },
      { type: "roboflow_core/buffer@v1", name: "recent", data: "$inputs.embedding", length: 4 },
    ],
    outputs: [
      { type: "JsonField", name: "sw", selector: "$steps.sw.*" },
      { type: "JsonField", name: "outliers", selector: "$steps.outliers.*" },
      { type: "JsonField", name: "recent", selector: "$steps.recent.output" },
    ],
  };
  // A deterministic wander with a few jumps.
  const embeddings = Array.from({ length: 120 }, (_, i) => {
    const angle = 0.02 * i + (i % 37 === 0 ? 1.2 : 0) + 0.05 * Math.sin(i * 1.7);
    return [Math.cos(angle), Math.sin(angle), 0.1 * Math.cos(i)];
  });
  const lines = embeddings.map((embedding) => JSON.stringify({ embedding }));

  it("a process killed with SIGKILL and restarted with the same --state continues exactly as one uninterrupted run", async () => {
    const dir = tempDir();
    const workflowPath = writeTemp("workflow.json", workflow, dir);
    const uninterrupted = await runCli([
      "run",
      workflowPath,
      "--inputs",
      writeTemp(
        "all.jsonl",
        embeddings.map((embedding) => ({ embedding })),
        dir,
      ),
    ]);
    expect(uninterrupted.code).toBe(0);

    const state = join(dir, "state.json");
    // First process: inputs on stdin, 73 lines, killed once it has answered all of them.
    const first = spawn(process.execPath, [CLI, "run", workflowPath, "--inputs", "-", "--state", state, "--state-every", "10"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let answered = "";
    const killedAt73 = new Promise<NodeJS.Signals | null>((resolve) => {
      first.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        answered += chunk;
        if (answered.split("\n").filter(Boolean).length >= 73) first.kill("SIGKILL");
      });
      first.on("exit", (_code, signal) => resolve(signal));
    });
    first.stdin.write(lines.slice(0, 73).join("\n") + "\n");
    expect(await killedAt73).toBe("SIGKILL");
    expect(existsSync(state)).toBe(true);
    const snapshot = JSON.parse(readFileSync(state, "utf8")) as { runs: number };
    expect(snapshot.runs).toBe(70); // the last save before the kill: every 10 runs

    // Second process: the same --state, the inputs after the snapshot.
    const resumed = await runCli([
      "run",
      workflowPath,
      "--inputs",
      writeTemp(
        "rest.jsonl",
        embeddings.slice(snapshot.runs).map((embedding) => ({ embedding })),
        dir,
      ),
      "--state",
      state,
      "--state-every",
      "10",
    ]);
    expect(resumed.code).toBe(0);
    expect(resumed.lines).toEqual(uninterrupted.lines.slice(snapshot.runs));
    expect((JSON.parse(readFileSync(state, "utf8")) as { runs: number }).runs).toBe(120);
  });

  it("a state file from another workflow is refused with a clear error", async () => {
    const dir = tempDir();
    const state = join(dir, "state.json");
    await runCli(["run", writeTemp("a.json", workflow, dir), "--inputs", writeTemp("in.jsonl", [{ embedding: [1, 0, 0] }], dir), "--state", state]);
    const other = { ...workflow, steps: workflow.steps.slice(0, 1), outputs: workflow.outputs.slice(0, 1) };
    const result = await runCli([
      "run",
      writeTemp("b.json", other, dir),
      "--inputs",
      writeTemp("in2.jsonl", [{ embedding: [1, 0, 0] }], dir),
      "--state",
      state,
    ]);
    expect(result.code).toBe(1);
    expect(JSON.stringify(result.lines[0])).toMatch(/another workflow definition/);
    expect(result.stderr).toMatch(/SnapshotError: .*another workflow definition/);
  });
});
