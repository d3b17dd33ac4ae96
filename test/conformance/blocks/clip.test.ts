/**
 * Upstream's unit tests of the CLIP blocks (roboflow/inference 3bb973b5,
 * tests/workflows/unit_tests/core_steps/models/foundation/test_clip.py and test_clip_comparison.py,
 * dependent_resources/test_clip.py and test_clip_comparison.py), case by case. Upstream runs the
 * blocks on a mocked model manager; here they run in a workflow on the generated tiny CLIP, and
 * the cases assert what a mock can tell — keys, lengths, one model call, which model is loaded.
 *
 * Left out: test_run_remotely_with_text / _with_image (sightline has no remote step execution),
 * and the `discover_dependent_resources()` halves of the dependent_resources cases (sightline
 * declares no dependent resources; the model a step loads is checked instead).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../../../src/block-api/index.js";
import { WorkflowImage } from "../../../src/images/index.js";
import { modelRuntime } from "../../../src/models/index.js";
import { errorOf, rejectionOf } from "../../helpers/errors.js";
import { parseStep, runWorkflow, tinyClipServices, TINY_CLIP_EMBEDDING_LENGTH } from "../engine-harness.js";

let services: Services;
beforeAll(async () => {
  // RN50 too: upstream's cases run it; sightline runs an RN variant from a mapped folder only
  services = await tinyClipServices(["ViT-B-32", "RN50"]);
});
afterAll(() => services.close());

/** Upstream's `mock_workflow_image_data`: a 1000×1000 random image. */
function randomImage(): WorkflowImage {
  const data = new Uint8Array(1000 * 1000 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return new WorkflowImage({ width: 1000, height: 1000, data, parentId: "some" });
}

/** One step of `type` on `$inputs.image`, its outputs all exposed. */
function oneStep(step: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [{ name: "step", ...step }],
    outputs: [{ type: "JsonField", name: "result", selector: "$steps.step.*" }],
  };
}

// models/foundation/test_clip.py
describe("roboflow_core/clip@v1", () => {
  it("test_manifest_parsing_valid", () => {
    expect(parseStep({ type: "roboflow_core/clip@v1", name: "my_clip_step", data: "$inputs.image", version: "RN50" })).toEqual({
      data: "$inputs.image",
      version: "RN50",
    });
  });

  const invalid: [string, Record<string, unknown>][] = [
    ["test_manifest_parsing_invalid_missing_type", { name: "my_clip_step", data: "$inputs.image", version: "RN50" }],
    ["test_manifest_parsing_invalid_data_type", { type: "roboflow_core/clip@v1", name: "my_clip_step", data: 123, version: "RN50" }],
  ];
  it.each(invalid)("%s", (_, manifest) => {
    expect(errorOf(() => parseStep(manifest)).errorType).toBe("WorkflowSyntaxError");
  });

  const runs: [string, Record<string, unknown>, "textRuns" | "visionRuns"][] = [
    ["test_run_locally_with_text", { data: "Hello world" }, "textRuns"],
    ["test_run_locally_with_image", { data: "$inputs.image" }, "visionRuns"],
  ];
  it.each(runs)("%s: one embedding from one model call", async (_, properties, tower) => {
    const runtime = services.get(modelRuntime);
    const before = runtime.stats[tower];
    const [{ result }] = await runWorkflow(oneStep({ type: "roboflow_core/clip@v1", version: "RN50", ...properties }), { image: randomImage() }, { services });
    const { embedding } = result as { embedding: unknown };
    expect(Object.keys(result as object)).toEqual(["embedding"]);
    expect(embedding).toHaveLength(TINY_CLIP_EMBEDDING_LENGTH);
    expect(runtime.stats[tower] - before).toBe(1);
  });
});

// models/foundation/test_clip_comparison.py
describe("roboflow_core/clip_comparison@v1", () => {
  // test_manifest_parsing_when_data_is_valid: type alias × images field alias × texts field alias
  const aliases = ["roboflow_core/clip_comparison@v1", "ClipComparison"].flatMap((type) =>
    ["images", "image"].flatMap((images) => ["texts", "text"].map((texts) => [type, images, texts] as const)),
  );
  it.each(aliases)("test_manifest_parsing_when_data_is_valid (%s, %s, %s)", (type, images, texts) => {
    expect(parseStep({ type, name: "some", [images]: "$inputs.some", [texts]: "$inputs.classes" })).toEqual({
      images: "$inputs.some",
      texts: "$inputs.classes",
    });
  });

  const invalid: [string, Record<string, unknown>][] = [
    ["test_manifest_parsing_when_image_is_invalid", { images: "invalid", texts: "$inputs.classes" }],
    ["test_manifest_parsing_when_text_is_invalid", { images: "$inputs.some", texts: "invalid" }],
  ];
  it.each(invalid)("%s", (_, properties) => {
    expect(errorOf(() => parseStep({ type: "ClipComparison", name: "some", ...properties })).errorType).toBe("WorkflowSyntaxError");
  });
});

// dependent_resources/test_clip.py and test_clip_comparison.py: the version a step parses to, and
// the model its run loads (a runtime knowing only that version, offline: any other fails).
describe("the CLIP model each block loads", () => {
  it("test_clip_v1_default_version_synthesizes_model_id: ViT-B-32", async () => {
    expect(parseStep({ type: "roboflow_core/clip@v1", name: "embedder", data: "$inputs.image" }).version).toBe("ViT-B-32");
    await loads({ type: "roboflow_core/clip@v1", data: "$inputs.image" }, "ViT-B-32");
  });

  it("test_clip_v1_explicit_version_synthesizes_model_id: ViT-B-16", async () => {
    await loads({ type: "roboflow_core/clip@v1", data: "$inputs.image", version: "ViT-B-16" }, "ViT-B-16");
  });

  it("test_clip_v1_selector_fed_version_is_returned_verbatim: the version is the selector's value", async () => {
    expect(parseStep({ type: "roboflow_core/clip@v1", name: "embedder", data: "$inputs.image", version: "$inputs.variant" }).version).toBe("$inputs.variant");
    const definition = oneStep({ type: "roboflow_core/clip@v1", data: "$inputs.image", version: "$inputs.variant" });
    definition.inputs.push({ type: "WorkflowParameter", name: "variant" });
    await loads(definition, "ViT-B-16", { variant: "ViT-B-16" });
  });

  it("test_clip_comparison_v1_declares_server_default_clip_variant: CLIP_VERSION_ID, ViT-B-16", async () => {
    await loads({ type: "roboflow_core/clip_comparison@v1", images: "$inputs.image", texts: ["a", "b"] }, "ViT-B-16");
  });

  it("test_clip_comparison_v2_default_version_synthesizes_model_id: ViT-B-16", async () => {
    expect(parseStep({ type: "roboflow_core/clip_comparison@v2", name: "comparison", images: "$inputs.image", classes: ["a", "b"] }).version).toBe("ViT-B-16");
    await loads({ type: "roboflow_core/clip_comparison@v2", images: "$inputs.image", classes: ["a", "b"] }, "ViT-B-16");
  });

  it("test_clip_comparison_v2_explicit_version_synthesizes_model_id: ViT-B-32", async () => {
    await loads({ type: "roboflow_core/clip_comparison@v2", images: "$inputs.image", classes: ["a", "b"], version: "ViT-B-32" }, "ViT-B-32");
  });

  it("test_clip_comparison_v2_selector_fed_version_is_returned_verbatim", () => {
    const manifest = { type: "roboflow_core/clip_comparison@v2", name: "comparison", images: "$inputs.image", classes: ["a", "b"], version: "$inputs.variant" };
    expect(parseStep(manifest).version).toBe("$inputs.variant");
  });

  /** The step runs on a runtime that has `version` only, and fails on one that has every other version instead. */
  async function loads(step: Record<string, unknown> | ReturnType<typeof oneStep>, version: string, inputs: Record<string, unknown> = {}) {
    const definition = "steps" in step ? step : oneStep(step);
    const image = new WorkflowImage({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3), parentId: "image" });
    const only = await tinyClipServices([version]);
    const others = await tinyClipServices(["ViT-B-32", "ViT-B-16", "RN50"].filter((v) => v !== version));
    try {
      await expect(runWorkflow(definition, { image, ...inputs }, { services: only })).resolves.toHaveLength(1);
      expect((await rejectionOf(runWorkflow(definition, { image, ...inputs }, { services: others }))).message).toContain(version);
    } finally {
      await Promise.all([only.close(), others.close()]);
    }
  }
});
