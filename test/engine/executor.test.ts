import { describe, expect, it, beforeEach } from "vitest";
import { compile, WorkflowImage, type CompileOptions } from "../../src/index.js";
import { output, testRegistry, trace, workflow } from "../helpers/test-blocks.js";
import { rejectionOf } from "../helpers/errors.js";

const param = (name: string, extra: Record<string, unknown> = {}) => ({ type: "WorkflowParameter", name, ...extra });
const batch = (name: string) => ({ type: "WorkflowBatchInput", name });
const build = (definition: unknown, options: CompileOptions = {}) => compile(definition, { registry: testRegistry, ...options });

function frame(stream: string, frameNumber: number): WorkflowImage {
  return new WorkflowImage({
    width: 1,
    height: 1,
    data: new Uint8Array(3),
    parentId: `frame-${stream}-${frameNumber}`,
    videoMetadata: {
      video_identifier: stream,
      frame_number: frameNumber,
      frame_timestamp: new Date(0),
      fps: 30,
      measured_fps: null,
      comes_from_video_file: true,
    },
  });
}

beforeEach(() => {
  trace.length = 0;
});

// docs/reference/workflows.md#run-results
describe("output construction", () => {
  it("yields exactly one result when no output is batch-oriented, whatever the batch size", async () => {
    const engine = build(
      workflow({
        inputs: [batch("xs"), param("p")],
        steps: [{ type: "test/add@v1", name: "s", a: "$inputs.p", b: 1 }],
        outputs: [output("sum", "$steps.s.sum")],
      }),
    );
    expect(await engine.run({ xs: [1, 2, 3], p: 1 })).toEqual([{ sum: 2 }]);
  });

  it("aligns batch outputs with the batch and broadcasts scalar outputs", async () => {
    const engine = build(
      workflow({
        inputs: [batch("xs"), param("p")],
        steps: [
          { type: "test/add@v1", name: "scalar", a: "$inputs.p", b: 10 },
          { type: "test/add@v1", name: "each", a: "$inputs.xs", b: "$steps.scalar.sum" },
        ],
        outputs: [output("each", "$steps.each.sum"), output("scalar", "$steps.scalar.sum"), output("p", "$inputs.p"), output("all", "$steps.each.*")],
      }),
    );
    expect(await engine.run({ xs: [1, 2], p: 0 })).toEqual([
      { each: 11, scalar: 10, p: 0, all: { sum: 11 } },
      { each: 12, scalar: 10, p: 0, all: { sum: 12 } },
    ]);
  });

  it("broadcasts a length-1 (or non-list) batch input and rejects other length mismatches", async () => {
    const engine = build(
      workflow({
        inputs: [batch("xs"), batch("ys")],
        steps: [{ type: "test/add@v1", name: "s", a: "$inputs.xs", b: "$inputs.ys" }],
        outputs: [output("sum", "$steps.s.sum")],
      }),
    );
    expect(await engine.run({ xs: [1, 2, 3], ys: [10] })).toEqual([{ sum: 11 }, { sum: 12 }, { sum: 13 }]);
    expect(await engine.run({ xs: [1, 2], ys: 5 })).toEqual([{ sum: 6 }, { sum: 7 }]);
    const error = await rejectionOf(engine.run({ xs: [1, 2, 3], ys: [1, 2] }));
    expect(error.errorType).toBe("RuntimeInputError");
    const missing = await rejectionOf(engine.run({ xs: [1] }));
    expect(missing.errorType).toBe("RuntimeInputError");
    expect(missing.message).toContain('"ys"');
  });

  it("uses parameter defaults, and a given null overrides the default", async () => {
    const engine = build(workflow({ inputs: [param("p", { default_value: 4 })], outputs: [output("p", "$inputs.p")] }));
    expect(await engine.run({})).toEqual([{ p: 4 }]);
    expect(await engine.run({ p: null })).toEqual([{ p: null }]);
    expect(await engine.run({ p: 1, extra: "ignored" })).toEqual([{ p: 1 }]);
  });
});

// docs/reference/workflows.md#skipped-steps
describe("skipping and flow control", () => {
  const gated = workflow({
    inputs: [param("open")],
    steps: [
      { type: "test/gate@v1", name: "g", open: "$inputs.open", next_steps: ["$steps.first", "$steps.second"] },
      { type: "test/add@v1", name: "first", a: 1, b: 1 },
      { type: "test/add@v1", name: "second", a: 2, b: 2 },
      { type: "test/add@v1", name: "after", a: "$steps.first.sum", b: 1 },
      { type: "FirstNonEmptyOrDefault", name: "fallback", data: ["$steps.after.sum"], default: "none" },
    ],
    outputs: [
      output("first", "$steps.first.sum"),
      output("second", "$steps.second.sum"),
      output("after", "$steps.after.sum"),
      output("fallback", "$steps.fallback.output"),
      output("star", "$steps.first.*"),
    ],
  });

  it("runs both targets of one next_steps list together", async () => {
    expect(await build(gated).run({ open: true })).toEqual([{ first: 2, second: 4, after: 3, fallback: 3, star: { sum: 2 } }]);
  });

  it("skips the branch, cascades the skip, and lets empty-accepting blocks run", async () => {
    expect(await build(gated).run({ open: false })).toEqual([{ first: null, second: null, after: null, fallback: "none", star: { sum: null } }]);
  });

  it("decides per element when the condition is batch data", async () => {
    const engine = build(
      workflow({
        inputs: [batch("open")],
        steps: [
          { type: "test/gate@v1", name: "g", open: "$inputs.open", next_steps: ["$steps.s"] },
          { type: "test/add@v1", name: "s", a: 1, b: 2 },
          { type: "test/add@v1", name: "t", a: "$steps.s.sum", b: 1 },
        ],
        outputs: [output("s", "$steps.s.sum"), output("t", "$steps.t.sum")],
      }),
    );
    expect(await engine.run({ open: [true, false, 1] })).toEqual([
      { s: 3, t: 4 },
      { s: null, t: null },
      { s: 3, t: 4 },
    ]);
  });

  it("skips a gated step whose flow-control step was itself skipped", async () => {
    const engine = build(
      workflow({
        inputs: [param("open"), param("yes", { default_value: true })],
        steps: [
          { type: "test/gate@v1", name: "outer", open: "$inputs.open", next_steps: ["$steps.inner"] },
          { type: "test/gate@v1", name: "inner", open: "$inputs.yes", next_steps: ["$steps.s"] },
          { type: "test/add@v1", name: "s", a: 1, b: 1 },
        ],
        outputs: [output("s", "$steps.s.sum")],
      }),
    );
    expect(await engine.run({ open: false })).toEqual([{ s: null }]);
    expect(await engine.run({ open: true })).toEqual([{ s: 2 }]);
  });
});

// docs/reference/workflows.md#layers-and-concurrency
describe("execution order and concurrency", () => {
  it("runs independent async steps of one layer concurrently", async () => {
    const engine = build(
      workflow({
        inputs: [param("p")],
        steps: [
          { type: "test/async_echo@v1", name: "a", value: "$inputs.p", label: "a" },
          { type: "test/async_echo@v1", name: "b", value: "$inputs.p", label: "b" },
          { type: "test/async_echo@v1", name: "c", value: "$steps.a.value", label: "c" },
        ],
        outputs: [output("c", "$steps.c.value")],
      }),
    );
    expect(await engine.run({ p: 7 })).toEqual([{ c: 7 }]);
    expect(trace).toEqual(["start a", "start b", "end a", "end b", "start c", "end c"]);
  });

  it("runs a SIMD step per element in index order", async () => {
    const engine = build(
      workflow({
        inputs: [batch("xs")],
        steps: [{ type: "test/async_echo@v1", name: "e", value: "$inputs.xs", label: "e" }],
        outputs: [output("v", "$steps.e.value")],
      }),
    );
    expect(await engine.run({ xs: ["x", "y"] })).toEqual([{ v: "x" }, { v: "y" }]);
    expect(trace).toEqual(["start e", "end e", "start e", "end e"]);
  });

  it("hands a whole batch to runBatch once, and a scalar as a batch of one", async () => {
    const engine = build(
      workflow({
        inputs: [batch("xs"), param("p")],
        steps: [
          { type: "test/batch_double@v1", name: "d", value: "$inputs.xs" },
          { type: "test/batch_double@v1", name: "s", value: "$inputs.p" },
        ],
        outputs: [output("d", "$steps.d.doubled"), output("s", "$steps.s.doubled")],
      }),
    );
    expect(await engine.run({ xs: [1, 2, 3], p: 5 })).toEqual([
      { d: 2, s: 10 },
      { d: 4, s: 10 },
      { d: 6, s: 10 },
    ]);
    expect(trace.sort()).toEqual(["batch of 1", "batch of 3"]);
  });
});

describe("state", () => {
  const counting = workflow({
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [{ type: "test/counter@v1", name: "c", tick: "$inputs.image" }],
    outputs: [output("count", "$steps.c.count"), output("stream", "$steps.c.stream")],
  });

  it("persists across runs of one engine and starts fresh in a new engine", async () => {
    const engine = build(counting);
    await engine.run({ image: frame("cam", 1) });
    expect(await engine.run({ image: frame("cam", 2) })).toEqual([{ count: 2, stream: "cam" }]);
    expect(await build(counting).run({ image: frame("cam", 3) })).toEqual([{ count: 1, stream: "cam" }]);
  });

  it("keeps one state per stream; interleaved streams equal separate runs", async () => {
    const engine = build(counting);
    expect(await engine.run({ image: [frame("a", 1), frame("b", 1)] })).toEqual([
      { count: 1, stream: "a" },
      { count: 1, stream: "b" },
    ]);
    expect(await engine.run({ image: [frame("a", 2), frame("b", 2)] })).toEqual([
      { count: 2, stream: "a" },
      { count: 2, stream: "b" },
    ]);
    expect(await engine.run({ image: frame("a", 3) })).toEqual([{ count: 3, stream: "a" }]);
  });

  it("shares one state per step with stateScope: step (upstream behaviour)", async () => {
    const engine = build(counting, { stateScope: "step" });
    expect((await engine.run({ image: [frame("a", 1), frame("b", 1)] })).map((r) => r.count)).toEqual([1, 2]);
  });

  it("evicts streams idle longer than the timeout and bounds the number of streams", async () => {
    let now = 0;
    const engine = build(counting, { clock: () => now, streamIdleTimeoutMs: 10_000, maxStreams: 2 });
    await engine.run({ image: frame("a", 1) });
    await engine.run({ image: frame("b", 1) });
    await engine.run({ image: frame("c", 1) });
    expect(engine.activeStreams().sort()).toEqual(["b", "c"]);
    now = 60_000;
    await engine.run({ image: frame("c", 2) });
    expect(engine.activeStreams()).toEqual(["c"]);
    expect(await engine.run({ image: frame("b", 2) })).toEqual([{ count: 1, stream: "b" }]);
  });

  it("snapshots to JSON and restores into a new engine", async () => {
    const first = build(counting);
    await first.run({ image: [frame("a", 1), frame("b", 1)] });
    await first.run({ image: frame("a", 2) });
    const snapshot = JSON.parse(JSON.stringify(first.snapshot()));
    const second = build(counting, { snapshot });
    expect(await second.run({ image: [frame("a", 3), frame("b", 2)] })).toEqual([
      { count: 3, stream: "a" },
      { count: 2, stream: "b" },
    ]);
  });

  it("refuses a snapshot of another definition", () => {
    const snapshot = build(counting).snapshot();
    const other = workflow({ inputs: [{ type: "WorkflowImage", name: "image" }], steps: [{ type: "test/counter@v1", name: "d", tick: "$inputs.image" }] });
    expect(() => build(other, { snapshot })).toThrow(/another workflow definition/);
  });
});

// docs/reference/errors.md#run-errors
describe("errors", () => {
  it("wraps a block exception in StepExecutionError naming step, block and frame", async () => {
    const engine = build(
      workflow({
        inputs: [{ type: "WorkflowImage", name: "image" }, param("bad")],
        steps: [{ type: "test/fail@v1", name: "f", value: "$inputs.bad", bad: 1 }],
        outputs: [output("v", "$steps.f.value")],
      }),
    );
    const error = await rejectionOf(engine.run({ image: frame("cam", 3), bad: 1 }));
    expect(error.errorType).toBe("StepExecutionError");
    expect(error.httpStatus).toBe(500);
    expect(error.message).toContain("$steps.f");
    expect(error.message).toContain("bad value 1");
    // a JavaScript Error is named as Python's ValueError (docs/reference/errors.md#inner-error-names)
    expect(error.toBody()).toMatchObject({
      inner_error_type: "ValueError",
      inner_error_message: "bad value 1",
      blocks_errors: [{ block_id: "f", block_type: "test/fail@v1" }],
    });
  });

  // docs/reference/errors.md#inner-error-names
  it("names inner errors as upstream's Python exceptions", async () => {
    const lookup = workflow({
      inputs: [batch("key")],
      steps: [{ type: "PropertyDefinition", name: "p", data: "$inputs.key", operations: [{ type: "LookupTable", lookup_table: { a: 1 } }] }],
      outputs: [output("v", "$steps.p.output")],
    });
    expect((await rejectionOf(build(lookup).run({ key: "b" }))).toBody()).toMatchObject({ error_type: "InvalidInputTypeError", inner_error_type: "KeyError" });
    const template = workflow({
      inputs: [param("text")],
      steps: [{ type: "roboflow_core/string_template@v1", name: "t", template: "$inputs.text", data: {} }],
      outputs: [output("v", "$steps.t.output")],
    });
    expect((await rejectionOf(build(template).run({ text: 42 }))).toBody()).toMatchObject({
      error_type: "RuntimeInputError",
      inner_error_type: "ValidationError",
    });
    const cosine = workflow({
      inputs: [batch("a"), batch("b")],
      steps: [{ type: "roboflow_core/cosine_similarity@v1", name: "c", embedding_1: "$inputs.a", embedding_2: "$inputs.b" }],
      outputs: [output("v", "$steps.c.similarity")],
    });
    expect((await rejectionOf(build(cosine).run({ a: [[1, 0]], b: [[1, 0, 0]] }))).toBody()).toMatchObject({
      error_type: "StepExecutionError",
      inner_error_type: "RuntimeError",
    });
  });

  it("says which stream and frame a per-element failure is about", async () => {
    const engine = build(
      workflow({
        inputs: [{ type: "WorkflowImage", name: "image" }, batch("v")],
        steps: [{ type: "test/fail@v1", name: "f", value: "$inputs.v", bad: 2 }],
        outputs: [output("v", "$steps.f.value")],
      }),
    );
    const error = await rejectionOf(engine.run({ image: [frame("a", 7), frame("b", 9)], v: [1, 2] }));
    expect(error.message).toContain("(stream b, frame 9)");
  });

  it("isolates element failures when asked: the other elements still produce results", async () => {
    const engine = build(
      workflow({
        inputs: [{ type: "WorkflowImage", name: "image" }, batch("v")],
        steps: [{ type: "test/fail@v1", name: "f", value: "$inputs.v", bad: 2 }],
        outputs: [output("v", "$steps.f.value")],
      }),
      { isolateElementErrors: true },
    );
    const outcome = await engine.runDetailed({ image: [frame("a", 1), frame("b", 1)], v: [1, 2] });
    expect(outcome.results).toEqual([{ v: 1 }, { v: null }]);
    expect(outcome.errors.map((e) => [e.index, e.step, e.error.errorType])).toEqual([[1, "f", "StepExecutionError"]]);
  });

  it("rejects a block that breaks its output contract", async () => {
    const engine = build(
      workflow({
        inputs: [param("p")],
        steps: [{ type: "test/wrong_outputs@v1", name: "w", value: "$inputs.p" }],
        outputs: [output("v", "$steps.w.expected")],
      }),
    );
    const error = await rejectionOf(engine.run({ p: 1 }));
    expect(error.errorType).toBe("StepExecutionError");
    expect(error.message).toContain("declares [expected]");
  });
});

describe("snapshots of workflow values", () => {
  it("carry images (pixels, lineage, metadata) and dates held in block state, exactly", async () => {
    const definition = workflow({
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [{ type: "roboflow_core/buffer@v1", name: "recent", data: "$inputs.image", length: 3 }],
      outputs: [output("recent", "$steps.recent.output")],
    });
    const first = build(definition);
    const a = frame("cam", 1);
    a.data.set([1, 2, 3]);
    await first.run({ image: a });
    const text = JSON.stringify(first.snapshot());
    const second = build(definition, { snapshot: JSON.parse(text) });
    const [{ recent }] = await second.run({ image: frame("cam", 2) });
    const [newest, restored] = recent as WorkflowImage[];
    expect(newest.videoMetadata.frame_number).toBe(2);
    expect(restored).toBeInstanceOf(WorkflowImage);
    expect([...restored.data]).toEqual([1, 2, 3]);
    expect(restored.parentId).toBe(a.parentId);
    expect(restored.videoMetadata).toEqual(a.videoMetadata);
    expect(restored.videoMetadata.frame_timestamp).toBeInstanceOf(Date);
  });
});
