/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_video_frame_operations.py
 * (see NOTICE.md).
 */
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError } from "../../../src/errors/index.js";
import { WorkflowImage } from "../../../src/images/index.js";
import { executeOperations } from "./upstream.js";

/** Upstream's `_create_video_frame(timestamp, fps=30.0, frame_number=60)`. */
function createVideoFrame({ timestamp = new Date(), fps = 30.0, frameNumber = 60 }: { timestamp?: Date; fps?: number; frameNumber?: number }): WorkflowImage {
  return new WorkflowImage({
    width: 168,
    height: 192,
    data: new Uint8Array(168 * 192 * 3),
    parentId: "some_image",
    videoMetadata: {
      video_identifier: "rtsp://some/stream",
      frame_number: frameNumber,
      frame_timestamp: timestamp,
      fps,
      measured_fps: null,
      comes_from_video_file: null,
    },
  });
}

describe("test_video_frame_operations.py", () => {
  it("test_extract_video_frame_when_invalid_input_provided", () => {
    expect(() => executeOperations("invalid", [{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }])).toThrow(InvalidInputTypeError);
  });

  it("test_extract_video_frame_timestamp", () => {
    const timestamp = new Date();
    expect(executeOperations(createVideoFrame({ timestamp }), [{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }])).toBe(timestamp);
  });

  it("test_extract_and_serialize_video_frame_timestamp", () => {
    // Deliberate difference (docs/reference/workflows.md#deliberate-differences-from-upstream, "Values"):
    // upstream's `datetime.now()` is naive with microseconds, so its isoformat() has neither offset
    // nor trailing zeros; a sightline frame timestamp is an instant (UTC) in milliseconds.
    const timestamp = new Date("2024-05-06T07:08:09.123Z");
    const operations = [{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }, { type: "TimestampToISOFormat" }];
    expect(executeOperations(createVideoFrame({ timestamp }), operations)).toBe("2024-05-06T07:08:09.123000+00:00");
  });

  it("test_extract_video_frame_number", () => {
    expect(executeOperations(createVideoFrame({ frameNumber: 39 }), [{ type: "ExtractFrameMetadata", property_name: "frame_number" }])).toBe(39);
  });

  it("test_extract_video_frame_seconds_from_start", () => {
    const result = executeOperations(createVideoFrame({ frameNumber: 61, fps: 30.0 }), [
      { type: "ExtractFrameMetadata", property_name: "seconds_since_start" },
    ]);
    expect(Math.abs((result as number) - 2.0)).toBeLessThan(1e-5);
  });
});
