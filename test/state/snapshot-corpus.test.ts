/**
 * Issue 20, finding 8: a snapshot is checked whole before the engine restores it
 * (docs/reference/cli.md#state-files). A corpus of corrupt snapshots of a workflow holding every
 * stateful core block, each refused with a SnapshotError that names the step, the stream and the
 * field; and the valid snapshot, and every snapshot the blocks take on a long stream with bad
 * frames in it, still restore exactly.
 */
import { describe, expect, it } from "vitest";
import { compile, SnapshotError, WorkflowImage, type EngineSnapshot, type WorkflowEngine } from "../../src/index.js";
import { statement } from "../helpers/workflows.js";

const STREAM = "cam-1";

const definition = {
  version: "1.0",
  inputs: [
    { type: "WorkflowImage", name: "image" },
    { type: "WorkflowBatchInput", name: "embedding", kind: ["embedding"] },
  ],
  steps: [
    { type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$inputs.embedding", strategy: "Sliding Window", window_size: 4 },
    { type: "roboflow_core/identify_changes@v1", name: "sma", embedding: "$inputs.embedding", strategy: "Simple Moving Average (SMA)" },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", window_size: 4 },
    { type: "sightline/detect_outliers@v1", name: "detector", embedding: "$inputs.embedding", warmup: 2, false_alarm_rate: 0.05 },
    { type: "roboflow_core/buffer@v1", name: "recent", data: "$inputs.embedding", length: 3 },
    { type: "roboflow_core/buffer@v1", name: "frames", data: "$inputs.image", length: 2 },
    {
      type: "roboflow_core/rate_limiter@v1",
      name: "limiter",
      cooldown_seconds: 2,
      depends_on: "$inputs.embedding",
      next_steps: ["$steps.similarity"],
    },
    { type: "roboflow_core/cosine_similarity@v1", name: "similarity", embedding_1: "$inputs.embedding", embedding_2: "$inputs.embedding" },
    {
      type: "roboflow_core/continue_if@v1",
      name: "hold",
      condition_statement: statement("x", "(Number) >=", 0.5),
      evaluation_parameters: { x: "$steps.outliers.percentile" },
      next_steps: ["$steps.remember"],
      stop_delay: 5,
    },
    { type: "roboflow_core/cache_set@v1", name: "remember", image: "$inputs.image", key: "last", value: "$inputs.embedding" },
  ],
  outputs: [
    { type: "JsonField", name: "changes", selector: "$steps.changes.*" },
    { type: "JsonField", name: "sma", selector: "$steps.sma.*" },
    { type: "JsonField", name: "outliers", selector: "$steps.outliers.*" },
    { type: "JsonField", name: "detector", selector: "$steps.detector.*" },
    { type: "JsonField", name: "recent", selector: "$steps.recent.output" },
    { type: "JsonField", name: "frames", selector: "$steps.frames.output" },
    { type: "JsonField", name: "similarity", selector: "$steps.similarity.similarity" },
    { type: "JsonField", name: "remembered", selector: "$steps.remember.output" },
  ],
};

function frame(frameNumber: number): WorkflowImage {
  return new WorkflowImage({
    width: 1,
    height: 1,
    data: new Uint8Array([frameNumber % 256, 7, 9]),
    parentId: `${STREAM}-${frameNumber}`,
    videoMetadata: {
      video_identifier: STREAM,
      frame_number: frameNumber,
      frame_timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, frameNumber)),
      fps: 1,
      measured_fps: null,
      comes_from_video_file: true,
    },
  });
}

/** A deterministic wander with jumps; `bad` frames are degenerate (a zero vector, or the wrong length). */
function embedding(i: number, bad = false): number[] {
  if (bad) return i % 2 === 0 ? [0, 0, 0] : [1, 0];
  const angle = 0.05 * i + (i % 13 === 0 ? 1.5 : 0) + 0.1 * Math.sin(i * 1.3);
  return [Math.cos(angle), Math.sin(angle), 0.2 * Math.cos(i * 0.7)];
}

/** The engines' clock follows the frames (0.7 s apart), so that an engine restored from a snapshot keeps the same time. */
let clockFrame = 0;
const clock = () => 1_700_000_000_000 + 700 * clockFrame;

function engineFor(snapshot?: unknown): WorkflowEngine {
  return compile(definition, { snapshot: snapshot as EngineSnapshot | undefined, isolateElementErrors: true, clock });
}

async function runFrames(engine: WorkflowEngine, from: number, to: number, bad: (i: number) => boolean = () => false): Promise<unknown[]> {
  const results: unknown[] = [];
  for (let i = from; i < to; i++) {
    clockFrame = i;
    results.push(...(await engine.runSerialised({ image: [frame(i)], embedding: [embedding(i, bad(i))] })));
  }
  return results;
}

/** A JSON copy, as a state file holds it. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type Snapshot = EngineSnapshot & Record<string, unknown>;
type State = Record<string, unknown> & { window: unknown[][] };

async function validSnapshot(): Promise<Snapshot> {
  const engine = engineFor();
  await runFrames(engine, 0, 12);
  return copy(engine.snapshot()) as Snapshot;
}

const stateOf = (snapshot: Snapshot, step: string) => snapshot.steps[step][STREAM] as State;

/** A corruption made in place. */
const edit =
  (change: (snapshot: Snapshot) => unknown) =>
  (snapshot: Snapshot): Snapshot => {
    change(snapshot);
    return snapshot;
  };

/** Each corruption, and what the refusal must say. */
const CORRUPTIONS: [string, (snapshot: Snapshot) => unknown, string][] = [
  ["null", () => null, "Not a sightline state snapshot"],
  ["a list", () => [], "expected an object, got a list"],
  ["a string", () => "state", 'expected an object, got "state"'],
  ["another format", (s) => ({ ...s, format: "other" }), 'format: expected "sightline-state", got "other"'],
  ["another version", (s) => ({ ...s, version: 2 }), "version: expected 1, got 2"],
  ["runs -5", (s) => ({ ...s, runs: -5 }), "runs: expected an integer ≥ 0, got -5"],
  ['runs "many"', (s) => ({ ...s, runs: "many" }), 'runs: expected an integer ≥ 0, got "many"'],
  ["runs 1.5", (s) => ({ ...s, runs: 1.5 }), "runs: expected an integer ≥ 0, got 1.5"],
  ["no steps key", ({ steps: _steps, ...rest }) => rest, "steps: required: expected an object"],
  ["steps null", (s) => ({ ...s, steps: null }), "steps: expected an object, got null"],
  ["no streams key", ({ streams: _streams, ...rest }) => rest, "streams: required: expected an object"],
  ["shared a string", (s) => ({ ...s, shared: "x" }), 'shared: expected an object, got "x"'],
  ["taken_at not a date", (s) => ({ ...s, taken_at: "yesterday" }), "taken_at:"],
  ["an extra field", (s) => ({ ...s, extra: 1 }), 'unexpected field "extra"'],
  ["a stream's activity a string", (s) => ({ ...s, streams: { [STREAM]: "recent" } }), `streams["${STREAM}"]: expected a number, got "recent"`],
  ["another definition", (s) => ({ ...s, definition_hash: "0000" }), "taken for another workflow definition"],
  ["the other state scope", (s) => ({ ...s, scope: "step" }), 'uses state scope "step"'],
  ["an unknown step", (s) => ({ ...s, steps: { ...s.steps, ghost: { [STREAM]: {} } } }), 'steps.ghost: this definition has no step "ghost"'],
  [
    "state for a stateless step",
    (s) => ({ ...s, steps: { ...s.steps, similarity: { [STREAM]: {} } } }),
    'steps.similarity: step "similarity" (roboflow_core/cosine_similarity@v1) keeps no state',
  ],
  [
    "a step's state a string",
    (s) => ({ ...s, steps: { ...s.steps, outliers: { [STREAM]: "tampered" } } }),
    `steps.outliers["${STREAM}"]: expected an object, got "tampered"`,
  ],
  ["samples -1", edit((s) => (stateOf(s, "outliers").samples = -1)), `steps.outliers["${STREAM}"].samples: expected an integer ≥ 0, got -1`],
  ['samples "many"', edit((s) => (stateOf(s, "outliers").samples = "many")), `steps.outliers["${STREAM}"].samples: expected an integer ≥ 0, got "many"`],
  ["samples missing", edit((s) => delete stateOf(s, "outliers").samples), `steps.outliers["${STREAM}"].samples: required`],
  ["an extra state field", edit((s) => (stateOf(s, "outliers").extra = true)), `steps.outliers["${STREAM}"]: unexpected field "extra"`],
  [
    "a window row of another length",
    edit((s) => (stateOf(s, "outliers").window[1] = [1, 0])),
    `steps.outliers["${STREAM}"].window[1]: expected 3 values, as window[0] has, got 2`,
  ],
  [
    "a window longer than window_size",
    edit((s) => stateOf(s, "outliers").window.push([1, 0, 0])),
    `steps.outliers["${STREAM}"].window: expected at most 4 embeddings (window_size), got 5`,
  ],
  [
    "a window holding more embeddings than were counted",
    edit((s) => (stateOf(s, "outliers").samples = 2)),
    `steps.outliers["${STREAM}"].window: expected at most samples (2) entries, got 4`,
  ],
  [
    "a string in a vector",
    edit((s) => (stateOf(s, "outliers").window[0][1] = "x")),
    `steps.outliers["${STREAM}"].window[0][1]: expected a finite number, got "x"`,
  ],
  [
    "NaN in a vector",
    edit((s) => (stateOf(s, "outliers").window[0][1] = Number.NaN)),
    `steps.outliers["${STREAM}"].window[0][1]: expected a finite number, got NaN`,
  ],
  [
    "Infinity in a vector",
    edit((s) => (stateOf(s, "outliers").window[2][0] = Infinity)),
    `steps.outliers["${STREAM}"].window[2][0]: expected a finite number, got Infinity`,
  ],
  [
    "a running mean missing",
    edit((s) => (stateOf(s, "changes").average = null)),
    `steps.changes["${STREAM}"].average: expected a list of numbers once samples is 12`,
  ],
  [
    "a deviation vector of another length",
    edit((s) => (stateOf(s, "sma").std = [0.1, 0.2])),
    `steps.sma["${STREAM}"].std: expected 3 values, as average has, got 2`,
  ],
  [
    "a negative deviation",
    edit((s) => (stateOf(s, "changes").similarityStd = -1)),
    `steps.changes["${STREAM}"].similarityStd: expected a finite number ≥ 0, got -1`,
  ],
  [
    "a buffer longer than its length",
    edit((s) => (stateOf(s, "recent").items as unknown[]).push(1)),
    `steps.recent["${STREAM}"].items: expected at most 3 values (length), got 4`,
  ],
  [
    "a tail block size that does not fit its probability",
    edit((s) => ((stateOf(s, "detector").tail as { blockSize: number }).blockSize = 5)),
    `steps.detector["${STREAM}"].tail.blockSize: expected 16 for probability 0.05, got 5`,
  ],
  [
    "tail scores out of order",
    edit((s) => (stateOf(s, "detector").tail as { current: { top: number[] } }).current.top.reverse()),
    `steps.detector["${STREAM}"].tail.current.top[1]: expected scores largest first`,
  ],
  [
    "a detector without its reference",
    edit((s) => (stateOf(s, "detector").reference = null)),
    `steps.detector["${STREAM}"].reference: expected a list of numbers once frames is above 0`,
  ],
  [
    "a limiter time a string",
    edit((s) => (stateOf(s, "limiter").lastExecutedAt = "soon")),
    `steps.limiter["${STREAM}"].lastExecutedAt: expected a finite number, got "soon"`,
  ],
  ["a hold time a string", edit((s) => (stateOf(s, "hold").started_at = "x")), `steps.hold["${STREAM}"].started_at: expected a finite number, got "x"`],
  [
    "an image with fewer pixels than it says",
    edit((s) => ((stateOf(s, "frames").items as { $sightline_image: { rgb_base64: string } }[])[0].$sightline_image.rgb_base64 = "AA==")),
    `steps.frames["${STREAM}"].items[0]["$sightline_image"].rgb_base64: expected 3 bytes (width × height × 3), got 1`,
  ],
  [
    "an image of width 0",
    edit((s) => ((stateOf(s, "frames").items as { $sightline_image: { width: number } }[])[0].$sightline_image.width = 0)),
    `steps.frames["${STREAM}"].items[0]["$sightline_image"].width: expected a number >= 1, got 0`,
  ],
  [
    "a date that is none",
    edit((s) => (s.shared[STREAM].when = { $sightline_date: "never" })),
    `shared["${STREAM}"]["when"]["$sightline_date"]: expected a date (ISO 8601), got "never"`,
  ],
];

describe("a corrupt snapshot is refused before any run, naming where", () => {
  it.each(CORRUPTIONS)("%s", async (_name, corrupt, expected) => {
    const snapshot = await validSnapshot();
    let refusal: unknown;
    try {
      engineFor(corrupt(snapshot));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SnapshotError);
    expect((refusal as SnapshotError).message).toContain(expected);
  });
});

describe('with one state per step (stateScope "step")', () => {
  const stepScoped = (snapshot?: unknown) => compile(definition, { snapshot: snapshot as EngineSnapshot | undefined, stateScope: "step", clock });

  it('a state under a stream\'s name is refused; under "*" it restores', async () => {
    const engine = stepScoped();
    await runFrames(engine, 0, 5);
    const snapshot = copy(engine.snapshot());
    expect(() => stepScoped(snapshot)).not.toThrow();
    snapshot.steps.outliers = { [STREAM]: snapshot.steps.outliers["*"] };
    expect(() => stepScoped(snapshot)).toThrow(`steps.outliers["${STREAM}"]: one state for all streams is kept under "*", not a stream`);
  });
});

describe("a valid snapshot", () => {
  it("holds the state of every stateful step (the corpus corrupts real state)", async () => {
    const snapshot = await validSnapshot();
    expect(Object.keys(snapshot.steps).sort()).toEqual(["changes", "detector", "frames", "hold", "limiter", "outliers", "recent", "sma"]);
    expect(stateOf(snapshot, "detector").tail).not.toBeNull();
    expect(stateOf(snapshot, "outliers").window).toHaveLength(4);
    expect(Object.keys(snapshot.shared[STREAM])).toEqual(["last"]);
  });

  it("restores exactly: the restored engine continues as the uninterrupted one", async () => {
    const uninterrupted = engineFor();
    const all = await runFrames(uninterrupted, 0, 24);
    const first = engineFor();
    await runFrames(first, 0, 12);
    const resumed = engineFor(copy(first.snapshot()));
    expect(await runFrames(resumed, 12, 24)).toEqual(all.slice(12));
    const { taken_at: _a, ...restored } = resumed.snapshot();
    const { taken_at: _b, ...continued } = uninterrupted.snapshot();
    expect(restored).toEqual(continued);
  });

  it("every snapshot the blocks take on a long stream with degenerate frames restores", async () => {
    const engine = engineFor();
    const seen = { alarms: 0, events: 0 };
    for (let i = 0; i < 400; i += 20) {
      await runFrames(engine, i, i + 20, (j) => j % 17 === 5);
      const snapshot = copy(engine.snapshot()) as Snapshot;
      expect(() => engineFor(snapshot)).not.toThrow();
      const detector = stateOf(snapshot, "detector");
      if (detector.lastAlarm !== null) seen.alarms++;
      if (detector.event !== null) seen.events++;
    }
    // the states checked include the detector's alarms, events and completed tail blocks
    expect(seen.alarms).toBeGreaterThan(0);
    expect(seen.events).toBeGreaterThan(0);
    expect((stateOf(copy(engine.snapshot()) as Snapshot, "detector").tail as { blocks: unknown[] }).blocks.length).toBeGreaterThan(1);
  });
});
