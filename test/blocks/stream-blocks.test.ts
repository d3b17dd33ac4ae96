/** The stream blocks called directly with a hand-built step context (`StepHarness`). */
import { describe, expect, it } from "vitest";
import { BlockRegistry, isFlowControl, type Block } from "../../src/block-api/index.js";
import { describeBlock } from "../../src/block-api/describe.js";
import { bufferBlock } from "../../src/blocks/fusion/buffer.js";
import { cacheGetBlock } from "../../src/blocks/cache/cache-get.js";
import { cacheSetBlock } from "../../src/blocks/cache/cache-set.js";
import { cosineSimilarityBlock } from "../../src/blocks/math/cosine-similarity.js";
import { detectChangesBlock } from "../../src/blocks/sampling/detect-changes.js";
import { detectOutliersBlock } from "../../src/blocks/sampling/detect-outliers.js";
import { rateLimiterBlock } from "../../src/blocks/flow-control/rate-limiter.js";
import { identifyChangesBlock } from "../../src/blocks/sampling/identify-changes.js";
import { identifyOutliersBlock } from "../../src/blocks/sampling/identify-outliers.js";
import { StepExecutionError } from "../../src/errors/index.js";
import { WorkflowImage, type VideoMetadata } from "../../src/images/index.js";
import { StepHarness as SharedStepHarness } from "../helpers/step-harness.js";

/** The cache blocks' namespaces, shared by every harness of this file as by one engine. */
const namespaces = new Map<string, Record<string, unknown>>();

class StepHarness extends SharedStepHarness {
  constructor(block: Block, step?: string, stream?: string) {
    super(block, step, stream, namespaces);
  }
}

function image(parentId: string, metadata: Partial<VideoMetadata> | null = null): WorkflowImage {
  return new WorkflowImage({
    width: 1,
    height: 1,
    data: new Uint8Array(3),
    parentId,
    videoMetadata: metadata && {
      video_identifier: "camera",
      frame_number: 1,
      frame_timestamp: new Date(0),
      fps: 30,
      measured_fps: null,
      comes_from_video_file: true,
      ...metadata,
    },
  });
}

describe("roboflow_core/identify_changes@v1", () => {
  it("with upstream's defaults (EMA, α 0.1, τ 0.2, warm-up 3) flags the jump after a steady stretch: z = −√10", () => {
    const step = new StepHarness(identifyChangesBlock);
    const results = [
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 1],
    ].map(
      (embedding) =>
        step.run({ embedding: "$steps.clip.embedding" }, { embedding }) as { is_outlier: boolean; z_score: number; warming_up: boolean; average: number[] },
    );
    expect(results.map((r) => r.warming_up)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.is_outlier)).toEqual([false, false, false, false, true]);
    expect(results[4].z_score).toBeCloseTo(-Math.sqrt(10), 12);
    expect(Object.keys(results[4]).sort()).toEqual(["average", "is_outlier", "percentile", "std", "warming_up", "z_score"]);
  });

  it("turns a degenerate frame into a StepExecutionError naming step, stream and frame; the state survives", () => {
    const step = new StepHarness(identifyChangesBlock, "changes", "camera-2");
    step.run({ embedding: "$steps.clip.embedding" }, { embedding: [1, 0] });
    const before = JSON.stringify(step.state);
    step.frameNumber = 17;
    let thrown: unknown;
    try {
      step.run({ embedding: "$steps.clip.embedding" }, { embedding: [0, 0] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StepExecutionError);
    const error = thrown as StepExecutionError;
    expect(error.message).toContain("$steps.changes");
    expect(error.message).toContain('stream "camera-2"');
    expect(error.message).toContain("frame 17");
    expect(error.message).toContain("zero vector");
    expect(error.blockId).toBe("changes");
    expect(error.blockType).toBe("roboflow_core/identify_changes@v1");
    expect(JSON.stringify(step.state)).toBe(before);
  });
});

describe("roboflow_core/identify_outliers@v1", () => {
  it("flags every post-warm-up frame of a static scene, as upstream", () => {
    const step = new StepHarness(identifyOutliersBlock);
    const flags = Array.from(
      { length: 5 },
      () => (step.run({ embedding: "$steps.clip.embedding" }, { embedding: [0.6, 0.8] }) as { is_outlier: boolean }).is_outlier,
    );
    expect(flags).toEqual([false, false, true, true, true]);
  });

  it("reports NaN in an embedding with the step and frame", () => {
    const step = new StepHarness(identifyOutliersBlock, "outliers");
    step.frameNumber = 3;
    expect(() => step.run({ embedding: "$steps.clip.embedding" }, { embedding: [1, NaN] })).toThrow(/\$steps\.outliers.*frame 3.*embedding\[1\] is NaN/);
  });
});

describe("roboflow_core/buffer@v1", () => {
  it("keeps the last values newest first and pads when asked", () => {
    const step = new StepHarness(bufferBlock);
    const outputs = [1, 2, 3].map((data) => (step.run({ data: "$steps.model.predictions", length: 2, pad: true }, { data }) as { output: unknown[] }).output);
    expect(outputs).toEqual([
      [1, null],
      [2, 1],
      [3, 2],
    ]);
    expect(bufferBlock.manifest.aliases).toEqual(["Buffer"]);
  });
});

describe("roboflow_core/rate_limiter@v1", () => {
  const properties = { depends_on: "$inputs.image", next_steps: ["$steps.upload"], cooldown_seconds: 1 };
  const withImage = { ...properties, video_reference_image: "$inputs.image" };
  const passed = (result: unknown): boolean => {
    expect(isFlowControl(result)).toBe(true);
    return (result as { next: string[] | null }).next !== null;
  };

  it("throttles on the wall clock", () => {
    const step = new StepHarness(rateLimiterBlock);
    const results: boolean[] = [];
    for (const t of [0, 400, 1000, 1999, 2000]) {
      step.clock = 1_700_000_000_000 + t;
      results.push(passed(step.run(properties)));
    }
    expect(results).toEqual([true, false, true, false, true]);
  });

  it("selects next_steps when it passes", () => {
    const step = new StepHarness(rateLimiterBlock);
    expect(step.run(properties)).toEqual({ flowControl: true, next: ["$steps.upload"] });
  });

  it("with video_reference_image throttles on video time, however fast frames arrive", () => {
    const step = new StepHarness(rateLimiterBlock);
    const results = [1, 15, 31, 45, 61].map((frame_number) =>
      passed(step.run(withImage, { video_reference_image: image("camera", { frame_number, fps: 30 }) })),
    );
    expect(results).toEqual([true, false, true, false, true]);
  });

  it("still images have synthetic metadata at video time 0: only the first passes", () => {
    const step = new StepHarness(rateLimiterBlock);
    step.clock = 0;
    const first = passed(step.run(withImage, { video_reference_image: image("image") }));
    step.clock = 10_000;
    const second = passed(step.run(withImage, { video_reference_image: image("image") }));
    expect([first, second]).toEqual([true, false]);
  });

  it("falls back to the wall clock without fps", () => {
    const step = new StepHarness(rateLimiterBlock);
    step.clock = 0;
    passed(step.run(withImage, { video_reference_image: image("camera", { fps: null }) }));
    step.clock = 1500;
    expect(passed(step.run(withImage, { video_reference_image: image("camera", { fps: null }) }))).toBe(true);
  });

  it("is declared as flow control with no outputs", () => {
    expect(rateLimiterBlock.manifest.flowControl).toBe(true);
    expect(rateLimiterBlock.manifest.outputs).toEqual([]);
  });
});

describe("roboflow_core/cache_get@v1 and cache_set@v1", () => {
  it("get before set is false; set then get returns the value; namespaces do not bleed", () => {
    const get = new StepHarness(cacheGetBlock);
    const set = new StepHarness(cacheSetBlock);
    const a = image("a", { video_identifier: "video-a" });
    const b = image("b", { video_identifier: "video-b" });
    expect(get.run({ image: "$inputs.image", key: "foo" }, { image: a })).toEqual({ output: false });
    expect(set.run({ image: "$inputs.image", key: "foo", value: "$inputs.v" }, { image: a, value: "bar" })).toEqual({ output: "bar" });
    expect(get.run({ image: "$inputs.image", key: "foo" }, { image: a })).toEqual({ output: "bar" });
    expect(get.run({ image: "$inputs.image", key: "foo" }, { image: b })).toEqual({ output: false });
  });

  it("a still image's namespace is its parent id (upstream's synthetic video identifier)", () => {
    const set = new StepHarness(cacheSetBlock);
    set.run({ image: "$inputs.image", key: "k", value: "$inputs.v" }, { image: image("still"), value: 1 });
    expect(namespaces.get("still")).toEqual({ k: 1 });
  });

  it("a stored false or null is returned as stored", () => {
    const get = new StepHarness(cacheGetBlock);
    const set = new StepHarness(cacheSetBlock);
    const a = image("a", { video_identifier: "video-c" });
    set.run({ image: "$inputs.image", key: "n", value: "$inputs.v" }, { image: a, value: null });
    expect(get.run({ image: "$inputs.image", key: "n" }, { image: a })).toEqual({ output: null });
  });
});

describe("roboflow_core/cosine_similarity@v1", () => {
  const step = new StepHarness(cosineSimilarityBlock);
  const cosine = (embedding_1: unknown, embedding_2: unknown): unknown =>
    step.run({ embedding_1: "$steps.a.embedding", embedding_2: "$steps.b.embedding" }, { embedding_1, embedding_2 });

  it("computes the unclipped cosine similarity", () => {
    expect(cosine([1, 0], [3, 4])).toEqual({ similarity: 0.6 });
    expect(cosine([1, 2], [-2, -4])).toEqual({ similarity: -1 });
  });

  it("refuses different lengths with upstream's message, word for word", () => {
    expect(() => cosine(new Array(1024).fill(1), new Array(640).fill(1))).toThrow(
      "roboflow_core/cosine_similarity@v1 block feed with different shape of embeddings. `embedding_1`: (N, 1024), `embedding_2`: (N, 640)",
    );
  });

  it("refuses zero vectors and non-finite values instead of returning NaN", () => {
    expect(() => cosine([0, 0], [1, 0])).toThrow(/embedding_1 is the zero vector/);
    expect(() => cosine([1, 0], [Infinity, 0])).toThrow(/embedding_2\[0\] is Infinity/);
    expect(() => cosine([], [])).toThrow(/empty/);
  });
});

describe("sightline/detect_outliers@v1 and sightline/detect_changes@v1", () => {
  const still = [0.6, 0.8, 0];
  const other = [0, 0.6, 0.8];
  const definition = { embedding: "$steps.clip.embedding" };

  it("declare their outputs and defaults", () => {
    expect(detectOutliersBlock.manifest.outputs.map((o) => o.name)).toEqual(["is_outlier", "score", "threshold", "warming_up", "in_event"]);
    const outliers = detectOutliersBlock.manifest.properties.parse(definition);
    expect(outliers).toMatchObject({
      false_alarm_rate: null,
      minutes_per_false_alarm: null,
      fps: null,
      image: null,
      warmup: 30,
      cooldown_frames: 30,
      reference_frames: 300,
      new_scene_after_frames: 150,
      min_threshold: 1e-6,
    });
    const changes = detectChangesBlock.manifest.properties.parse(definition);
    expect(changes).toMatchObject({ cooldown_frames: 15, reference_frames: 10, new_scene_after_frames: 10 });
  });

  it("warm up for about 1/rate frames, then flag a jump in a static scene once", () => {
    for (const block of [detectOutliersBlock, detectChangesBlock]) {
      const step = new StepHarness(block);
      const outputs = [...Array.from({ length: 200 }, () => still), other, other, other].map(
        (embedding) => step.run({ ...definition, false_alarm_rate: 0.01 }, { embedding }) as Record<string, unknown>,
      );
      expect(outputs[20].warming_up).toBe(true);
      expect(outputs[199].warming_up).toBe(false);
      expect(outputs.map((o) => o.is_outlier).indexOf(true)).toBe(200);
      expect(outputs.filter((o) => o.is_outlier)).toHaveLength(1);
      expect(outputs[201].in_event).toBe(true);
    }
  });

  it("turn minutes per false alarm into a rate with the fps property or the image's video metadata", () => {
    const run = (properties: Record<string, unknown>, resolved: Record<string, unknown>): number => {
      const step = new StepHarness(detectOutliersBlock);
      let frames = 0;
      while ((step.run({ ...definition, ...properties }, { embedding: still, ...resolved }) as { warming_up: boolean }).warming_up) frames++;
      return frames;
    };
    // one per minute at 5 fps = 1/300 per frame → warm-up ≈ 30 + 300 frames
    const withProperty = run({ minutes_per_false_alarm: 1, fps: 5 }, {});
    const withImage = run({ minutes_per_false_alarm: 1, image: "$inputs.image" }, { image: image("camera", { fps: 5 }) });
    expect(withProperty).toBe(withImage);
    expect(withProperty).toBeGreaterThan(300);
    expect(withProperty).toBeLessThan(340);
  });

  it("report a target they cannot use as a StepExecutionError with step and frame", () => {
    const step = new StepHarness(detectOutliersBlock, "detector");
    step.frameNumber = 9;
    expect(() => step.run({ ...definition, minutes_per_false_alarm: 5 }, { embedding: still })).toThrow(
      /\$steps\.detector.*frame 9.*needs the stream's frame rate/,
    );
    // a still image has no video metadata of its own: its synthetic 30 fps is not a stream's rate
    expect(() => step.run({ ...definition, minutes_per_false_alarm: 5, image: "$inputs.image" }, { embedding: still, image: image("still") })).toThrow(
      StepExecutionError,
    );
    expect(() => step.run({ ...definition, false_alarm_rate: 0.01 }, { embedding: [0, 0, 0] })).toThrow(/zero vector/);
  });
});

describe("the stream blocks' manifests", () => {
  const blocks = [
    identifyChangesBlock,
    identifyOutliersBlock,
    bufferBlock,
    rateLimiterBlock,
    cacheGetBlock,
    cacheSetBlock,
    cosineSimilarityBlock,
    detectOutliersBlock,
    detectChangesBlock,
  ];

  it("register under distinct ids and describe themselves with selector markers", () => {
    const registry = new BlockRegistry().register(...blocks);
    expect(registry.types().sort()).toEqual(
      [
        "Buffer",
        "roboflow_core/buffer@v1",
        "roboflow_core/cache_get@v1",
        "roboflow_core/cache_set@v1",
        "roboflow_core/cosine_similarity@v1",
        "roboflow_core/identify_changes@v1",
        "roboflow_core/identify_outliers@v1",
        "roboflow_core/rate_limiter@v1",
        "sightline/detect_changes@v1",
        "sightline/detect_outliers@v1",
      ].sort(),
    );
    for (const block of blocks) {
      const description = describeBlock(block);
      expect(description.manifest_type_identifier).toBe(block.manifest.type);
      expect(description.stateful).toBe(![cacheGetBlock, cacheSetBlock, cosineSimilarityBlock].includes(block));
    }
    const properties = describeBlock(identifyChangesBlock).block_schema.properties as Record<string, Record<string, unknown>>;
    expect(JSON.stringify(properties.embedding)).toContain('"reference":true');
    expect(describeBlock(rateLimiterBlock).flow_control).toBe(true);
  });
});
