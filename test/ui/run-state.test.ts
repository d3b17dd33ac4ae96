/** The run view's pure parts: folding pipeline events into what is shown, and the chart's axis ticks. */
import { describe, expect, it } from "vitest";
import { axisScale, niceNumber } from "../../src/ui/run/chart-scale.js";
import { compactValue, imageOutputs, INITIAL_RUN_STATE, LIMITS, numericOutputs, runReducer, type RunState } from "../../src/ui/run/run-state.js";
import type { FrameEvent } from "../../src/ui/wire.js";

const image = (value: string) => ({ type: "base64", value, video_metadata: { frame_number: 1 } });

function frame(frameNumber: number, outputs: Record<string, unknown> = {}, flagged = false, extra: Partial<FrameEvent> = {}): FrameEvent {
  return {
    source: "cam",
    source_index: 0,
    frame_number: frameNumber,
    frame_timestamp: `2025-01-01T00:00:${String(frameNumber % 60).padStart(2, "0")}.000Z`,
    outputs,
    flagged,
    ...(flagged ? { thumbnail: `data:image/jpeg;base64,T${frameNumber}` } : {}),
    ...extra,
  };
}

const fold = (frames: FrameEvent[], state: RunState = INITIAL_RUN_STATE) => runReducer(state, { type: "frames", frames });

describe("run state", () => {
  it("keeps the latest frames, the flagged ones in a gallery (newest first), numeric series and the latest images", () => {
    const state = fold([
      frame(1, { percentile: 0.5, is_outlier: false, grid: image("A") }),
      frame(2, { percentile: 0.01, is_outlier: true, grid: image("B") }, true),
      frame(3, { percentile: 0.4, is_outlier: false, details: { score: 2, label: "x" } }),
      frame(4, { percentile: 0.02, is_outlier: true }, true),
    ]);
    expect(state.recent.map((entry) => entry.frame_number)).toEqual([4, 3, 2, 1]);
    expect(state.gallery).toEqual([
      { key: "0:4", source: "cam", frameNumber: 4, timestamp: "2025-01-01T00:00:04.000Z", thumbnail: "data:image/jpeg;base64,T4" },
      { key: "0:2", source: "cam", frameNumber: 2, timestamp: "2025-01-01T00:00:02.000Z", thumbnail: "data:image/jpeg;base64,T2" },
    ]);
    expect(state.series).toEqual({
      percentile: [
        { frame: 1, value: 0.5, flagged: false, index: 1 },
        { frame: 2, value: 0.01, flagged: true, index: 2 },
        { frame: 3, value: 0.4, flagged: false, index: 3 },
        { frame: 4, value: 0.02, flagged: true, index: 4 },
      ],
      "details.score": [{ frame: 3, value: 2, flagged: false, index: 1 }],
    });
    expect(state.switches.is_outlier.map((point) => point.value)).toEqual([false, true, false, true]);
    expect(state.images).toEqual({ grid: { name: "grid", frameNumber: 2, dataUrl: "data:image/jpeg;base64,B" } });
    expect(state.framesSeen).toBe(4);
  });

  it("adds frames recovered by consume once, without thumbnails, and older images do not replace newer ones", () => {
    const live = fold([frame(1), frame(2, { grid: image("NEW") }, true)]);
    const { thumbnail: _none, ...consumed } = frame(2, { grid: image("NEW") }, true);
    const after = fold([frame(1, { grid: image("OLD") }), consumed, frame(3, {}, true, { thumbnail: undefined })], live);
    expect(after.framesSeen).toBe(3);
    expect(after.gallery.map((entry) => [entry.frameNumber, entry.thumbnail])).toEqual([
      [3, null],
      [2, "data:image/jpeg;base64,T2"],
    ]);
    expect(after.images.grid.dataUrl).toBe("data:image/jpeg;base64,NEW");
  });

  it("bounds what it keeps", () => {
    const frames = Array.from({ length: LIMITS.seriesPoints + 50 }, (_, index) => frame(index + 1, { score: index }, true));
    const state = fold(frames);
    expect(state.recent).toHaveLength(LIMITS.recentFrames);
    expect(state.gallery).toHaveLength(LIMITS.gallery);
    expect(state.gallery[0].frameNumber).toBe(frames.length);
    expect(state.series.score).toHaveLength(LIMITS.seriesPoints);
    expect(state.series.score[0]).toMatchObject({ frame: 51, index: 51 });
    expect(state.seen.length).toBeLessThanOrEqual(LIMITS.seenKeys);
  });

  it("records status, end and reset", () => {
    const ended = runReducer(fold([frame(1)]), { type: "end" });
    expect(ended.ended).toBe(true);
    expect(runReducer(ended, { type: "reset" })).toBe(INITIAL_RUN_STATE);
  });

  it("picks numeric and image outputs, one level deep, and renders values compactly", () => {
    const outputs = { a: 1.5, b: Number.NaN, c: "text", d: { e: 3, f: image("I") }, g: [image("J"), 4], h: true };
    expect(numericOutputs(outputs)).toEqual([
      ["a", 1.5],
      ["d.e", 3],
    ]);
    expect(imageOutputs(outputs).map(([name, value]) => [name, value.value])).toEqual([
      ["d.f", "I"],
      ["g[0]", "J"],
    ]);
    expect([0.123456, 12, null, true, "a".repeat(30), image("x"), [1, 2], [1], { a: 1 }].map(compactValue)).toEqual([
      "0.1235",
      "12",
      "—",
      "true",
      `${"a".repeat(23)}…`,
      "[image]",
      "[2 items]",
      "[1 item]",
      "{…}",
    ]);
  });
});

describe("chart axis", () => {
  it("rounds to 1, 2, 5 × 10ⁿ", () => {
    expect([0.7, 0.65, 1.2, 1.6, 2.9, 3.1, 7.5, 42].map((value) => niceNumber(value, true))).toEqual([1, 0.5, 1, 2, 2, 5, 10, 50]);
    expect([0.7, 1, 1.2, 2.5, 5, 6].map((value) => niceNumber(value, false))).toEqual([1, 1, 2, 5, 5, 10]);
  });

  it("covers the data with round ticks", () => {
    expect(axisScale(0, 1)).toEqual({ min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(axisScale(0.013, 0.94)).toEqual({ min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(axisScale(-2.3, 3.1)).toEqual({ min: -4, max: 4, step: 2, ticks: [-4, -2, 0, 2, 4] });
    expect(axisScale(1, 90, 8)).toEqual({ min: 0, max: 90, step: 10, ticks: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90] });
    expect(axisScale(5, 5)).toEqual({ min: 4.4, max: 5.6, step: 0.2, ticks: [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6] });
    expect(axisScale(0, 0)).toEqual({ min: -1, max: 1, step: 0.5, ticks: [-1, -0.5, 0, 0.5, 1] });
    expect(axisScale(3, 1)).toEqual(axisScale(1, 3));
  });
});
