/** `sightline run … --video …` end to end: real ffmpeg decoding, the CLI's JSON lines and sinks. */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { CLI, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const EXAMPLES = resolve(import.meta.dirname, "../fixtures/roboflow-examples");

interface FrameLine {
  source: string;
  frame_number: number;
  frame_timestamp: string;
  outputs: Record<string, unknown>;
  error?: { error_type: string; message: string };
}

let dir: string;
let video: string;

beforeAll(async () => {
  dir = tempDir();
  video = join(dir, "clip.mp4");
  await makeTestVideo(video, { width: 64, height: 48, fps: 10, frames: 25 });
});

describe("row 17 (video): frame metadata through the pipeline", () => {
  it("one line per frame; frame_number i; seconds_since_start (i−1)/fps; timestamps from the file's mtime", async () => {
    const workflow = join(EXAMPLES, "test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_TIMESTAMP_EXTRACTION.json");
    const result = await runCli(["run", workflow, "--video", video, "--max-fps", "200"]);
    expect(result.code).toBe(0);
    const lines = result.lines as FrameLine[];
    expect(lines).toHaveLength(25);
    const mtime = statSync(video).mtimeMs;
    lines.forEach((line, index) => {
      const i = index + 1;
      expect(line.source).toBe("0");
      expect(line.frame_number).toBe(i);
      expect(line.outputs.frame_number).toBe(i);
      expect(line.outputs.seconds_since_start).toBeCloseTo((i - 1) / 10, 9);
      const expected = mtime - (25 / 10) * 1000 + ((i - 1) / 10) * 1000;
      expect(Math.abs(Date.parse(line.outputs.frame_timestamp as string) - expected)).toBeLessThanOrEqual(1);
      expect(line.frame_timestamp).toBe(line.outputs.frame_timestamp);
    });
    expect(result.stderr).toMatch(/25 frames/);
  });
});

describe("--sample-fps", () => {
  it("processes every round(fps/N)-th frame of a file, keeping the frames' own numbers and timestamps", async () => {
    const workflow = join(EXAMPLES, "test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_TIMESTAMP_EXTRACTION.json");
    const result = await runCli(["run", workflow, "--video", video, "--sample-fps", "2"]);
    expect(result.code).toBe(0);
    const lines = result.lines as FrameLine[];
    expect(lines.map((l) => l.frame_number)).toEqual([1, 6, 11, 16, 21]);
    expect(lines.map((l) => l.outputs.seconds_since_start)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(result.stderr).toMatch(/5 frames/);
  });
});

describe("sinks", () => {
  it("--out writes image outputs as files, puts their paths in the JSON and mirrors lines to results.jsonl", async () => {
    const workflow = writeTemp("echo.json", {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [],
      outputs: [{ type: "JsonField", name: "frame", selector: "$inputs.image" }],
    });
    const out = join(tempDir(), "out");
    const result = await runCli(["run", workflow, "--video", `cam=${video}`, "--out", out, "--video-output", `frame=${join(out, "frames.mp4")}`]);
    expect(result.code).toBe(0);
    const lines = result.lines as FrameLine[];
    expect(lines).toHaveLength(25);
    expect(lines[3].outputs.frame).toBe(join(out, "frame", "cam_4.jpg"));
    expect(readdirSync(join(out, "frame"))).toHaveLength(25);
    const mirrored = readFileSync(join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as FrameLine);
    expect(mirrored).toEqual(lines);
    expect(statSync(join(out, "frames.mp4")).size).toBeGreaterThan(0);
  });
});

describe("two sources at once", () => {
  it("one tick carries a frame of each source; stateful blocks keep one state per source", async () => {
    const workflow = writeTemp("per-stream.json", {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [
        { type: "PropertyDefinition", name: "n", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
        { type: "roboflow_core/buffer@v1", name: "recent", data: "$steps.n.output", length: 3 },
      ],
      outputs: [{ type: "JsonField", name: "recent", selector: "$steps.recent.output" }],
    });
    const other = join(dir, "other.mp4");
    await makeTestVideo(other, { width: 32, height: 24, fps: 10, frames: 12, background: "red" });
    const result = await runCli(["run", workflow, "--video", `left=${video}`, "--video", `right=${other}`]);
    expect(result.code).toBe(0);
    const lines = result.lines as FrameLine[];
    expect(lines.filter((l) => l.source === "left")).toHaveLength(25);
    expect(lines.filter((l) => l.source === "right")).toHaveLength(12);
    // Ticks interleave the sources; each source's buffer holds only its own frames.
    expect(lines.slice(0, 4).map((l) => l.source)).toEqual(["left", "right", "left", "right"]);
    for (const line of lines) {
      const n = line.frame_number;
      expect(line.outputs.recent).toEqual([n, n - 1, n - 2].filter((k) => k >= 1));
    }
  });
});

describe("stopping", () => {
  it("SIGTERM finishes the current frame, flushes every sink and the state, and exits 143", async () => {
    const workflow = writeTemp("sigterm.json", {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [{ type: "roboflow_core/buffer@v1", name: "recent", data: "$inputs.image", length: 2 }],
      outputs: [
        { type: "JsonField", name: "frame", selector: "$inputs.image" },
        { type: "JsonField", name: "count", selector: "$steps.recent.output" },
      ],
    });
    const long = join(dir, "long.mp4");
    await makeTestVideo(long, { width: 64, height: 48, fps: 10, frames: 600 });
    const out = join(tempDir(), "out");
    const state = join(out, "..", "state.json");
    const child = spawn(
      process.execPath,
      [CLI, "run", workflow, "--video", long, "--max-fps", "20", "--out", out, "--video-output", `frame=${join(out, "frames.mp4")}`, "--state", state],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        if (stdout.split("\n").filter(Boolean).length >= 10) resolve();
      });
    });
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    const printed = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as FrameLine);
    expect(printed.length).toBeLessThan(600);
    const mirrored = readFileSync(join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as FrameLine);
    expect(mirrored).toEqual(printed);
    expect(readdirSync(join(out, "frame"))).toHaveLength(printed.length);
    const frames = execFileSync(
      "ffprobe",
      ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", join(out, "frames.mp4")],
      { encoding: "utf8" },
    );
    expect(Number(frames.trim())).toBe(printed.length);
    expect((JSON.parse(readFileSync(state, "utf8")) as { runs: number }).runs).toBe(printed.length);
    expect(stderr).toMatch(/SIGTERM/);
  });
});

describe("errors", () => {
  it("a frame that fails is reported with its source and frame number, and the run goes on", async () => {
    const workflow = writeTemp("fail-on-frame-5.json", {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [
        { type: "PropertyDefinition", name: "n", data: "$inputs.image", operations: [{ type: "ExtractFrameMetadata", property_name: "frame_number" }] },
        {
          type: "PropertyDefinition",
          name: "lookup",
          data: "$steps.n.output",
          operations: [{ type: "ToString" }, { type: "LookupTable", lookup_table: { "1": "a", "2": "b", "3": "c", "4": "d", "6": "f" } }],
        },
      ],
      outputs: [{ type: "JsonField", name: "letter", selector: "$steps.lookup.output" }],
    });
    const short = join(dir, "short.mp4");
    await makeTestVideo(short, { width: 32, height: 24, fps: 10, frames: 6 });
    const result = await runCli(["run", workflow, "--video", short]);
    expect(result.code).toBe(1);
    const lines = result.lines as FrameLine[];
    expect(lines.map((l) => l.outputs.letter)).toEqual(["a", "b", "c", "d", null, "f"]);
    expect(lines[4].error?.error_type).toBeDefined();
    expect(result.stderr).toMatch(/source 0, frame 5: /);
    expect(result.stderr).toMatch(/, 1 error,/);
  });

  it("a workflow without the frames' input is a usage error, said on stderr", async () => {
    const workflow = writeTemp("no-image.json", { version: "1.0", inputs: [{ type: "WorkflowParameter", name: "x" }], steps: [], outputs: [] });
    const result = await runCli(["run", workflow, "--video", video]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/no input named "image" for the video frames/);
  });

  it("a missing video is reported as a failed source, and fails the run", async () => {
    const workflow = join(EXAMPLES, "test_workflow_with_property_extraction__WORKFLOW_WITH_FRAME_NUMBER_EXTRACTION.json");
    const result = await runCli(["run", workflow, "--video", join(dir, "nope.mp4"), "--video", video]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/source 0: failed/);
    expect(result.stderr).toMatch(/1 of 2 sources failed/);
    expect((result.lines as FrameLine[]).filter((l) => l.source === "1")).toHaveLength(25);
  });

  it("an image output that is not an image stops the run with a VideoSinkError", async () => {
    // A parameter without a kind can hold anything, so only the first frame tells.
    const workflow = writeTemp("number.json", {
      version: "1.0",
      inputs: [
        { type: "WorkflowImage", name: "image" },
        { type: "WorkflowParameter", name: "n", default_value: 3 },
      ],
      steps: [],
      outputs: [{ type: "JsonField", name: "n", selector: "$inputs.n" }],
    });
    const result = await runCli(["run", workflow, "--video", video, "--video-output", `n=${join(tempDir(), "n.mp4")}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/VideoSinkError: output "n" is not an image \(got number\)/);
  });
});
