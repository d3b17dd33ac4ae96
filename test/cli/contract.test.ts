/**
 * The CLI's contract (docs/reference/cli.md#output-and-exit-codes), item by item as a new user
 * meets it: the exit code says whether anything failed, errors that stop a command are on
 * standard error, names the workflow does not have are refused with a suggestion, unknown step
 * properties are warned about, a model that cannot load fails once with the remedy, and the
 * summary counts what the workflow flags.
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestVideo } from "../../src/video/testing.js";
import { runCli, tempDir, writeTemp, type CliResult } from "../helpers/cli.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TINY_CLIP = join(ROOT, "test/fixtures/tiny-clip");

interface FrameLine {
  source: string;
  frame_number: number;
  outputs: Record<string, unknown>;
  error?: { error_type: string; message: string };
}

interface ErrorBody {
  error_type: string;
  message: string;
  blocks_errors?: { block_id: string; property_name: string; property_details: string }[];
}

/** Frames in, a boolean flag and the frame out; `threshold` for `--param`. */
const FLAGGING = {
  version: "1.0",
  inputs: [
    { type: "WorkflowImage", name: "image" },
    { type: "WorkflowParameter", name: "threshold", default_value: 0.5 },
    { type: "WorkflowParameter", name: "hit", kind: ["boolean"], default_value: true },
  ],
  steps: [],
  outputs: [
    { type: "JsonField", name: "grid", selector: "$inputs.image" },
    { type: "JsonField", name: "upstream_is_outlier", selector: "$inputs.hit" },
  ],
};

const BUFFER = (length: number) => ({
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "value" }],
  steps: [{ type: "roboflow_core/buffer@v1", name: "last", data: "$inputs.value", length }],
  outputs: [{ type: "JsonField", name: "last", selector: "$steps.last.output" }],
});

const CLIP_ON_FRAMES = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "roboflow_core/clip@v1", name: "embedding", data: "$inputs.image" }],
  outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.embedding.embedding" }],
};

let dir: string;
let video: string;
let flagging: string;

beforeAll(async () => {
  dir = tempDir();
  video = join(dir, "clip.mp4");
  await makeTestVideo(video, { width: 32, height: 24, fps: 10, frames: 5 });
  flagging = writeTemp("flagging.json", FLAGGING, dir);
});

describe("the exit code and the summary when a video source fails", () => {
  it("run --video missing.mp4 exits 1, and the summary counts the failed source", async () => {
    const result = await runCli(["run", flagging, "--video", join(dir, "missing.mp4")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/source 0: failed: cannot read video file/);
    expect(result.stderr).toMatch(/0 frames .*, 1 of 1 source failed/);
  });

  it("a file that is not a video exits 1", async () => {
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a video\n");
    const result = await runCli(["run", flagging, "--video", text]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/1 of 1 source failed/);
  });

  it("one bad source of two: the other runs to its end, and the exit code is still 1", async () => {
    const result = await runCli(["run", flagging, "--video", join(dir, "missing.mp4"), "--video", video, "--quiet"]);
    expect(result.code).toBe(1);
    expect((result.lines as FrameLine[]).filter((line) => line.source === "1")).toHaveLength(5);
    expect(result.stderr).toMatch(/source 0: failed/);
  });

  it("every source ended and every frame ran: exit 0, no source failed", async () => {
    const result = await runCli(["run", flagging, "--video", video]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/5 frames .*, 0 errors, 0 of 1 source failed/);
  });
});

describe("errors that stop a command are on standard error", () => {
  const stateOfAnotherWorkflow = async () => {
    const state = join(tempDir(), "state.json");
    const first = await runCli(["run", writeTemp("two.json", BUFFER(2)), "--inputs", writeTemp("in.json", { value: 1 }), "--state", state]);
    expect(first.code).toBe(0);
    return state;
  };

  /** The error on stderr, and on stdout only its body, for programs reading the results. */
  const expectReported = (result: CliResult, type: string, message: RegExp) => {
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^sightline run: ${type}: ${message.source}`, "m"));
    expect(result.lines).toEqual([expect.objectContaining({ error_type: type, message: expect.stringMatching(message) })]);
  };

  it.each([[[]], [["--quiet"]]])("a state file of another workflow (run --video %j)", async (extra: string[]) => {
    const state = await stateOfAnotherWorkflow();
    const result = await runCli(["run", flagging, "--video", video, "--state", state, ...extra]);
    expectReported(result, "SnapshotError", /\S+state\.json: The state snapshot was taken for another workflow/);
  });

  it.each([[[]], [["--quiet"]]])("a corrupt state file (run --video %j)", async (extra: string[]) => {
    const state = join(tempDir(), "state.json");
    writeFileSync(state, "not json");
    const result = await runCli(["run", flagging, "--video", video, "--state", state, ...extra]);
    expectReported(result, "SnapshotError", /State file .* is not valid JSON/);
  });

  it("an unknown block type (run --inputs), with a suggestion", async () => {
    const workflow = writeTemp("typo.json", { ...BUFFER(2), steps: [{ type: "roboflow_core/bufer@v1", name: "last", data: "$inputs.value", length: 2 }] });
    const result = await runCli(["run", workflow, "--inputs", writeTemp("in.json", { value: 1 })]);
    expectReported(result, "WorkflowSyntaxError", /.*does not match any known block\. Did you mean "roboflow_core\/buffer@v1"\?/);
  });

  it("validate, whose output is the verdict, prints the error body on stdout and says the error on stderr", async () => {
    const workflow = writeTemp("typo.json", { ...BUFFER(2), steps: [{ type: "roboflow_core/bufer@v1", name: "last", data: "$inputs.value", length: 2 }] });
    const result = await runCli(["validate", workflow]);
    expect(result.code).toBe(1);
    expect((result.lines[0] as ErrorBody).error_type).toBe("WorkflowSyntaxError");
    expect(result.stderr).toMatch(/^sightline validate: WorkflowSyntaxError: /);
  });
});

describe("names the workflow does not have are errors with a suggestion (exit 2)", () => {
  it("--param tresh=0.5", async () => {
    const result = await runCli(["run", flagging, "--video", video, "--param", "tresh=0.5"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /--param tresh: the workflow has no input named "tresh"; its inputs are "image", "threshold", "hit"\. Did you mean "threshold"\?/,
    );
  });

  it("--param on --inputs too", async () => {
    const result = await runCli(["run", writeTemp("b.json", BUFFER(2)), "--inputs", writeTemp("in.json", { value: 1 }), "--param", "valeu=3"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Did you mean "value"\?/);
  });

  it("--video-output nogrid=…", async () => {
    const result = await runCli(["run", flagging, "--video", video, "--video-output", `nogrid=${join(dir, "grid.mp4")}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--video-output: the workflow has no output named "nogrid"; .*Did you mean "grid"\?/);
  });

  it("--video-output naming an output that is not an image", async () => {
    const result = await runCli(["run", flagging, "--video", video, "--video-output", `upstream_is_outlier=${join(dir, "flags.mp4")}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/output "upstream_is_outlier" holds boolean, not an image; image outputs: "grid"/);
  });

  it("--image-input naming no input, without an 'Unexpected error' prefix", async () => {
    const result = await runCli(["run", flagging, "--video", video, "--image-input", "imag"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--image-input: the workflow has no input named "imag" for the video frames; .*Did you mean "image"\?/);
    expect(result.stderr).not.toMatch(/Unexpected/i);
  });

  it("--flag-output naming no output, or one that is not boolean", async () => {
    const unknown = await runCli(["run", flagging, "--video", video, "--flag-output", "upstream_is_outlie"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Did you mean "upstream_is_outlier"\?/);
    const image = await runCli(["run", flagging, "--video", video, "--flag-output", "grid"]);
    expect(image.code).toBe(2);
    expect(image.stderr).toMatch(/output "grid" holds image, not a boolean/);
  });

  it("--model ViT-B32=… names no model version: refused before anything runs", async () => {
    const result = await runCli(["run", flagging, "--video", video, "--model", `ViT-B32=${TINY_CLIP}`]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/unknown model version "ViT-B32"\. Did you mean "ViT-B-32"\?/);
  });
});

describe("step properties the block does not know", () => {
  const typo = () =>
    writeTemp("typo.json", {
      version: "1.0",
      inputs: [{ type: "WorkflowParameter", name: "embedding", kind: ["embedding"] }],
      steps: [{ type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", treshold_percentile: 0.1 }],
      outputs: [{ type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" }],
    });
  const warning = /unknown property "treshold_percentile" is ignored\. Did you mean "threshold_percentile"\?/;

  it("validate: a warning in its JSON and on stderr, exit 0", async () => {
    const result = await runCli(["validate", typo()]);
    expect(result.code).toBe(0);
    const verdict = result.lines[0] as { status: string; warnings: { step: string; property: string; message: string }[] };
    expect(verdict.status).toBe("ok");
    expect(verdict.warnings).toEqual([expect.objectContaining({ step: "outliers", property: "treshold_percentile", message: expect.stringMatching(warning) })]);
    expect(result.stderr).toMatch(warning);
  });

  it("run: still runs, as upstream would, with the warning on stderr", async () => {
    const result = await runCli(["run", typo(), "--inputs", writeTemp("in.json", { embedding: [1, 0] })]);
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(1);
    expect(result.stderr).toMatch(warning);
  });

  it("--strict: an error on validate and run (exit 1)", async () => {
    const validated = await runCli(["validate", typo(), "--strict"]);
    expect(validated.code).toBe(1);
    expect((validated.lines[0] as ErrorBody).blocks_errors).toEqual([expect.objectContaining({ block_id: "outliers", property_name: "treshold_percentile" })]);
    const ran = await runCli(["run", typo(), "--inputs", writeTemp("in.json", { embedding: [1, 0] }), "--strict"]);
    expect(ran.code).toBe(1);
    expect(ran.lines).toEqual([expect.objectContaining({ error_type: "WorkflowSyntaxError" })]);
    expect(ran.stderr).toMatch(/unknown property "treshold_percentile"\. Did you mean/);
  });
});

describe("validation messages name the allowed values and say required", () => {
  it("union fields list every alternative and the value given; a missing field is required", async () => {
    const workflow = writeTemp("bad.json", {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [
        { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-99" },
        { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.clip.embedding", window_size: "big" },
        { type: "roboflow_core/identify_changes@v1", name: "changes" },
      ],
      outputs: [],
    });
    const result = await runCli(["validate", workflow]);
    expect(result.code).toBe(1);
    const details = Object.fromEntries(((result.lines[0] as ErrorBody).blocks_errors ?? []).map((error) => [error.property_name, error.property_details]));
    expect(details.version).toMatch(
      /^version: expected a selector \(\$inputs\.<name> or \$steps\.<step>\.<output>\) or one of "RN101", .*"ViT-B-32".*, got "ViT-B-99"$/,
    );
    expect(details.window_size).toMatch(/^window_size: expected a selector \(.*\) or a number, got "big"$/);
    expect(details.embedding).toMatch(/^embedding: required: expected a selector/);
  });
});

describe("--model <version>=<folder> means the same on every command", () => {
  it("embed --model ViT-B-32=<folder> embeds with that folder, as --model <folder> does", async () => {
    const mapped = await runCli(["embed", "--model", `ViT-B-32=${TINY_CLIP}`, "--text", "a cat", "--offline"]);
    expect(mapped.code, mapped.stderr).toBe(0);
    const direct = await runCli(["embed", "--model", TINY_CLIP, "--text", "a cat", "--offline"]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(mapped.lines).toEqual(direct.lines);
    expect((mapped.lines[0] as { embedding: number[] }).embedding).toHaveLength(32);
  });
});

describe("user errors are said once, without 'Unexpected error'", () => {
  it("embed with a folder that does not exist: one line on stderr, nothing on stdout, exit 1", async () => {
    const result = await runCli(["embed", "--model", join(dir, "no-such-model"), "--text", "a cat"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^sightline embed: model folder .*no-such-model: the folder does not exist$/)]);
  });

  it("embed with nothing to embed is a usage error (exit 2)", async () => {
    const result = await runCli(["embed"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/give at least one --image <file> or --text <string>/);
  });

  it("a wrong command line exits 2, not 1", async () => {
    expect((await runCli(["run", flagging, "--no-such-option"])).code).toBe(2);
    expect((await runCli(["run", flagging])).code).toBe(2);
  });
});

describe("a model that cannot load", () => {
  let mirror: Server;
  let requests = 0;
  let url: string;

  beforeAll(async () => {
    mirror = createServer((_request, response) => {
      requests++;
      response.statusCode = 503;
      response.end("down for maintenance");
    });
    await new Promise<void>((done) => mirror.listen(0, "127.0.0.1", done));
    url = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => mirror.close(() => done())));

  it("fails the step with the remedy, once: no download and no error line per frame", async () => {
    const frames = join(dir, "twenty.mp4");
    await makeTestVideo(frames, { width: 32, height: 24, fps: 10, frames: 20 });
    // --max-fps spaces the frames out, so that each asks for the model after the first failure.
    const result = await runCli([
      "run",
      writeTemp("clip.json", CLIP_ON_FRAMES),
      "--video",
      frames,
      "--max-fps",
      "20",
      "--mirror",
      url,
      "--cache-dir",
      join(tempDir(), "cache"),
    ]);
    expect(result.code).toBe(1);
    expect(requests).toBe(1);
    expect((result.lines as FrameLine[]).filter((line) => line.error?.error_type === "StepExecutionError")).toHaveLength(20);
    expect(result.stderr.match(/could not download/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/sightline models pull ViT-B-32.*--mirror <url>.*--model ViT-B-32=<folder>/);
    expect(result.stderr).toMatch(/20 frames .*, 20 errors/);
  });
});

describe("flagged frames", () => {
  it("by default every output named is_outlier or …_is_outlier flags a frame", async () => {
    const result = await runCli(["run", flagging, "--video", video]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/5 frames .*, 5 flagged/);
  });

  it("--flag-output NAME picks the outputs that flag", async () => {
    const workflow = writeTemp("renamed.json", {
      ...FLAGGING,
      outputs: [
        { type: "JsonField", name: "upstream_is_outlier", selector: "$inputs.hit" },
        { type: "JsonField", name: "door_open", selector: "$inputs.hit" },
      ],
    });
    const byDefault = await runCli(["run", workflow, "--video", video, "--param", "hit=false"]);
    expect(byDefault.stderr).toMatch(/, 0 flagged/);
    const named = await runCli(["run", workflow, "--video", video, "--flag-output", "door_open", "--param", "hit=true"]);
    expect(named.code).toBe(0);
    expect(named.stderr).toMatch(/, 5 flagged/);
  });

  it("examples/bumped-camera.json runs sightline's calibrated change detector, and the summary counts its flags", async () => {
    const frames = join(dir, "forty.mp4");
    await makeTestVideo(frames, { width: 32, height: 24, fps: 10, frames: 40 });
    const result = await runCli(["run", join(ROOT, "examples/bumped-camera.json"), "--video", frames, "--model", `ViT-B-32=${TINY_CLIP}`, "--offline"]);
    expect(result.code, result.stderr).toBe(0);
    const decided = (result.lines as FrameLine[]).filter((line) => line.outputs.is_outlier !== null);
    // One frame every 0.5 s of video: frames 1, 6, 11, …
    expect(decided.map((line) => line.frame_number)).toEqual([1, 6, 11, 16, 21, 26, 31, 36]);
    for (const line of decided) expect(Object.keys(line.outputs)).toEqual(["is_outlier", "score", "warming_up"]);
    const flagged = (result.lines as FrameLine[]).filter((line) => line.outputs.is_outlier === true).length;
    expect(result.stderr).toMatch(new RegExp(`, ${flagged} flagged`));
  });
});

describe("npm configuration", () => {
  it("npm commands run without the warning about an unknown project config", () => {
    const result = spawnSync("npm", ["config", "get", "ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(/Unknown project config/);
    expect(result.stdout.trim()).toBe("true");
  });
});
