/**
 * The run view's and the Events page's pure parts, on the real block catalogue (described as
 * the server describes it): boolean outputs as flag choices, a detector score's threshold and
 * warm-up, what a pipeline's sources say about its state, the Events filters and the strip of
 * frames around an event.
 */
import { describe, expect, it } from "vitest";
import { describeBlocks } from "../../src/describe/index.js";
import { createRegistry } from "../../src/index.js";
import { catalogueFrom } from "../../src/ui/editor/catalogue.js";
import type { WorkflowDefinition } from "../../src/ui/editor/definition.js";
import { defaultPlaceholder } from "../../src/ui/editor/schema.js";
import { aroundStrip, filtersFromForm } from "../../src/ui/events/event-filters.js";
import { pipelineHealth } from "../../src/ui/run/health.js";
import { flagCandidates, scoreGuides, warmupSpan } from "../../src/ui/run/workflow-outputs.js";
import type { EventJson, PipelineReport } from "../../src/ui/wire.js";

const catalogue = catalogueFrom(describeBlocks(createRegistry()));

const definition: WorkflowDefinition = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.clip.embedding", threshold_percentile: 0.1 },
    { type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$steps.clip.embedding", warmup: 7 },
    { type: "sightline/detect_outliers@v1", name: "detector", embedding: "$steps.clip.embedding" },
  ],
  outputs: [
    { type: "JsonField", name: "outliers", selector: "$steps.outliers.*" },
    { type: "JsonField", name: "change_percentile", selector: "$steps.changes.percentile" },
    { type: "JsonField", name: "changed", selector: "$steps.changes.is_outlier" },
    { type: "JsonField", name: "detector", selector: "$steps.detector.*" },
    { type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" },
    { type: "JsonField", name: "picture", selector: "$inputs.image" },
  ],
};

describe("flag choices", () => {
  it("are the boolean outputs only, with the name flag_outputs matches", () => {
    expect(flagCandidates(definition, catalogue).map(({ name, flagName }) => [name, flagName])).toEqual([
      ["outliers.is_outlier", "is_outlier"],
      ["outliers.warming_up", "warming_up"],
      ["changed", "changed"],
      ["detector.is_outlier", "is_outlier"],
      ["detector.warming_up", "warming_up"],
      ["detector.in_event", "in_event"],
    ]);
  });
});

describe("score guides", () => {
  const guides = scoreGuides(definition, catalogue);

  it("give each detector's threshold from the step or the block's default, and its warm-up", () => {
    expect(Object.keys(guides).sort()).toEqual(["change_percentile", "detector.score", "outliers.percentile"]);
    // identify_outliers flags beyond threshold_percentile in each tail; warmup is the block's default (3).
    expect(guides["outliers.percentile"]).toEqual({ thresholds: [0.1, 0.9], thresholdSeries: null, warmingUpSeries: "outliers.warming_up", warmupFrames: 3 });
    // identify_changes: half of its default 0.2 in each tail; its warming_up is not output.
    expect(guides.change_percentile).toEqual({ thresholds: [0.1, 0.9], thresholdSeries: null, warmingUpSeries: null, warmupFrames: 7 });
    // The calibrated detector's threshold moves: it is its own output.
    expect(guides["detector.score"]).toEqual({
      thresholds: [],
      thresholdSeries: "detector.threshold",
      warmingUpSeries: "detector.warming_up",
      warmupFrames: 30,
    });
  });

  it("leave out a threshold given by a selector", () => {
    const bySelector = {
      ...definition,
      steps: definition.steps.map((step) => (step.name === "outliers" ? { ...step, threshold_percentile: "$inputs.p" } : step)),
    };
    expect(scoreGuides(bySelector, catalogue)["outliers.percentile"].thresholds).toEqual([]);
  });

  it("span the warm-up by warming_up where output, else by the first points", () => {
    const points = [1, 2, 3, 4, 5].map((frame) => ({ frame: frame + 10, value: 0.5, flagged: false, index: frame }));
    const warming = { "outliers.warming_up": [11, 12, 13, 14].map((frame) => ({ frame, value: frame < 13 })) };
    expect(warmupSpan(guides["outliers.percentile"], points, warming)).toEqual({ from: 11, to: 12 });
    expect(warmupSpan(guides.change_percentile, points, {})).toEqual({ from: 11, to: 15 });
    expect(warmupSpan({ ...guides.change_percentile, warmupFrames: 0 }, points, {})).toBeNull();
  });
});

describe("field defaults", () => {
  const property = (block: string, name: string) => catalogue.byType.get(block)!.properties.find((candidate) => candidate.name === name)!;

  it("show the default in effect; a null default as not set, its description saying what applies", () => {
    expect(defaultPlaceholder(property("sightline/detect_outliers@v1", "warmup"))).toBe("default: 30");
    expect(defaultPlaceholder(property("roboflow_core/identify_outliers@v1", "threshold_percentile"))).toBe("default: 0.05");
    const rate = property("sightline/detect_outliers@v1", "false_alarm_rate");
    expect(defaultPlaceholder(rate)).toBe("default: not set");
    expect(rate.description).toContain("Not set: 0.001");
    expect(property("sightline/detect_outliers@v1", "fps").description).toContain("Not set: the fps of image's video metadata");
    expect(defaultPlaceholder(property("roboflow_core/identify_outliers@v1", "embedding"))).toBe("");
  });
});

function report(state: PipelineReport["state"], sources: [string, string][], events: PipelineReport["source_events"] = []): PipelineReport {
  return {
    state,
    sources: sources.map(([source, sourceState]) => ({ source, state: sourceState })),
    source_events: events,
    failure: null,
  } as unknown as PipelineReport;
}

describe("pipeline health", () => {
  const reconnecting = {
    type: "reconnecting",
    source: "cam",
    reference: "rtsp://cam",
    attempt: 3,
    delayMs: 2000,
    reason: "connection refused",
    at: "",
  } as const;

  it("is the pipeline's state while a source delivers", () => {
    expect(pipelineHealth(report("running", [["cam", "running"]]))).toEqual({ label: "running", tone: "ok", detail: null });
    expect(
      pipelineHealth(
        report("running", [
          ["cam", "running"],
          ["yard", "reconnecting"],
        ]),
      ),
    ).toMatchObject({
      label: "running",
      tone: "warning",
      detail: "yard is reconnecting.",
    });
  });

  it("is reconnecting or failed when no source delivers, saying why", () => {
    expect(pipelineHealth(report("running", [["cam", "reconnecting"]], [reconnecting]))).toEqual({
      label: "reconnecting",
      tone: "warning",
      detail: "cam is reconnecting (attempt 3: connection refused).",
    });
    const failed = { type: "failed", source: "cam", reference: "x.mp4", message: "no such file", at: "" } as const;
    expect(pipelineHealth(report("running", [["cam", "failed"]], [failed]))).toEqual({ label: "failed", tone: "error", detail: "cam failed: no such file." });
    expect(pipelineHealth(report("finished", [["cam", "ended"]]))).toMatchObject({ label: "finished", tone: "ok" });
  });
});

describe("Events page", () => {
  it("sends only the filters given, times as ISO, and refuses a reversed range", () => {
    const since = "2026-11-27T08:00";
    expect(filtersFromForm({ pipeline_id: " p1 ", source: "", since, until: "" })).toEqual({
      filters: { pipeline_id: "p1", since: new Date(since).toISOString() },
    });
    expect(filtersFromForm({ pipeline_id: "", source: "", since, until: "2026-11-27T07:00" })).toHaveProperty("problem");
  });

  it("shows the flagged frame amid the frames kept around it, in frame order", () => {
    const event = { frame_number: 10, image_url: "/events/e/image", around: [] } as unknown as EventJson;
    expect(aroundStrip(event)).toEqual([{ offset: 0, frame_number: 10, image_url: "/events/e/image" }]);
    const around = [
      { offset: 1, frame_number: 11, frame_timestamp: "", image: { width: 4, height: 3 }, image_url: "/events/e/around/11" },
      { offset: -1, frame_number: 9, frame_timestamp: "", image: { width: 4, height: 3 }, image_url: "/events/e/around/9" },
    ];
    expect(aroundStrip({ ...event, around }).map((frame) => [frame.offset, frame.frame_number])).toEqual([
      [-1, 9],
      [0, 10],
      [1, 11],
    ]);
  });
});
