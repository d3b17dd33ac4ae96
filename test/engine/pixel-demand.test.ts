/** engine.pixelDemand: which frames some step will read the pixels of, known before they are decoded. */
import { describe, expect, it } from "vitest";
import { compile, WorkflowImage, type PixelDemand } from "../../src/index.js";
import { statement, videoTimeSampler } from "../helpers/workflows.js";

/** Frame `n` (1-based) of stream `stream` at 10 fps (`fps` null: unknown); reading its pixels counts in `reads`. */
function frame(n: number, reads: number[], stream = "cam", fps: number | null = 10): WorkflowImage {
  return new WorkflowImage({
    width: 8,
    height: 6,
    data: () => {
      reads.push(n);
      return new Uint8Array(8 * 6 * 3).fill(n);
    },
    parentId: `frame-${n}`,
    videoMetadata: {
      video_identifier: stream,
      frame_number: n,
      frame_timestamp: new Date(n * 100),
      fps,
      measured_fps: null,
      comes_from_video_file: true,
    },
  });
}

const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The frame numbers among `from`…`to` (of `stream`) that a forecast started now says will be read. */
function demanded(demand: PixelDemand, from: number, to: number, stream?: string): number[] {
  const forecast = demand();
  return numbers(from, to).filter((n) => forecast({ image: frame(n, [], stream) }));
}

/** A step that reads pixels: the image as JPEG. */
const pixelReader = {
  type: "roboflow_core/property_definition@v1",
  name: "reader",
  data: "$inputs.image",
  operations: [{ type: "ConvertImageToJPEG" }],
};

const sampled = (
  steps: object[] = [videoTimeSampler("reader"), pixelReader],
  outputs: object[] = [{ type: "JsonField", name: "jpeg", selector: "$steps.reader.output" }],
) => ({
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps,
  outputs,
});

describe("engine.pixelDemand", () => {
  it("forecasts the frames a rate limiter on video time lets through to a pixel-reading step, as the real runs read them", async () => {
    const engine = compile(sampled());
    const demand = engine.pixelDemand("image")!;
    expect(demand).not.toBeNull();
    expect(demanded(demand, 1, 25)).toEqual([1, 11, 21]);
    const reads: number[] = [];
    for (const n of numbers(1, 25)) await engine.run({ image: frame(n, reads) });
    expect(reads).toEqual([1, 11, 21]);
  });

  it("starts from the engine's state at the call, per stream, and leaves that state alone", async () => {
    const engine = compile(sampled());
    for (const n of numbers(1, 5)) await engine.run({ image: frame(n, []) });
    const before = JSON.stringify(engine.snapshot().steps);
    expect(Object.keys(engine.snapshot().steps.sample)).toEqual(["cam"]);
    const demand = engine.pixelDemand("image")!;
    expect(demanded(demand, 6, 22)).toEqual([11, 21]);
    expect(demanded(demand, 6, 22)).toEqual([11, 21]); // a new forecast starts again from the engine's state
    // another stream has its own rate limiter state: its first frame passes
    expect(demanded(demand, 6, 8, "other")).toEqual([6]);
    expect(JSON.stringify(engine.snapshot().steps)).toBe(before);
  });

  it("demands every frame from the first one whose gate reads the clock (no fps: the rate limiter falls back to wall time)", () => {
    const demand = compile(sampled()).pixelDemand("image")!;
    const forecast = demand();
    const withFps = (n: number) => forecast({ image: frame(n, []) });
    const withoutFps = (n: number) => forecast({ image: frame(n, [], "cam", null) });
    expect([withFps(1), withFps(2), withFps(3)]).toEqual([true, false, false]);
    expect([withoutFps(4), withFps(5), withFps(6)]).toEqual([true, true, true]);
  });

  it("demands no frame when only metadata readers see the image", () => {
    const engine = compile(
      sampled(
        [
          videoTimeSampler("later"),
          {
            type: "roboflow_core/expression@v1",
            name: "later",
            data: {},
            switch: { type: "CasesDefinition", cases: [], default: { type: "StaticCaseResult", value: 1 } },
          },
        ],
        [{ type: "JsonField", name: "x", selector: "$steps.later.output" }],
      ),
    );
    expect(demanded(engine.pixelDemand("image")!, 1, 3)).toEqual([]);
  });

  it("is unknown (null) when a step or an output may read any frame's pixels, or the gate cannot be run ahead per stream", () => {
    // a pixel reader without a gate
    expect(compile(sampled([pixelReader])).pixelDemand("image")).toBeNull();
    // the image itself is an output
    expect(compile(sampled(undefined, [{ type: "JsonField", name: "frame", selector: "$inputs.image" }])).pixelDemand("image")).toBeNull();
    // one rate limiter state for every stream
    expect(compile(sampled(), { stateScope: "step" }).pixelDemand("image")).toBeNull();
    // a gate that is not deterministic
    const continueIf = {
      type: "roboflow_core/continue_if@v1",
      name: "gate",
      condition_statement: statement("x", "(Number) >", 0),
      evaluation_parameters: { x: "$inputs.image" },
      next_steps: ["$steps.reader"],
    };
    expect(compile(sampled([continueIf, pixelReader])).pixelDemand("image")).toBeNull();
    // not an image input
    expect(compile(sampled()).pixelDemand("nothing")).toBeNull();
  });
});
