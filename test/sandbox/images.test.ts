import { describe, expect, it } from "vitest";
import { WorkflowImage, type VideoMetadata } from "../../src/images/index.js";
import { SandboxDataError } from "../../src/sandbox/index.js";
import { CALL, rejection, sandboxFactory } from "./helpers.js";

const sandbox = sandboxFactory();

const FRAME_METADATA: VideoMetadata = {
  video_identifier: "camera-1",
  frame_number: 42,
  frame_timestamp: new Date("2024-03-01T12:00:00.500Z"),
  fps: 30,
  measured_fps: 29.5,
  comes_from_video_file: true,
};

/** A w×h image whose bytes count up (mod 256), so every position is distinguishable. */
function rampImage(width: number, height: number, parentId = "image", videoMetadata: VideoMetadata | null = null): WorkflowImage {
  const data = new Uint8Array(width * height * 3);
  for (let index = 0; index < data.length; index++) data[index] = (index * 7) % 256;
  return new WorkflowImage({ width, height, data, parentId, rootParentId: `${parentId}-root`, videoMetadata });
}

const INVERT = `
  function run({ image }) {
    const { data } = image;
    for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
    return { image };
  }
`;

describe("images", () => {
  it("reach the code as plain data it can read, including video metadata", async () => {
    const probe = await sandbox(`
      function run({ image }) {
        const { width, height, data, parent_id, video_metadata } = image;
        return {
          width, height, parent_id,
          isBytes: data instanceof Uint8Array,
          length: data.length,
          firstPixel: [data[0], data[1], data[2]],
          lastByte: data[data.length - 1],
          keys: Object.keys(image),
          metadata: { ...video_metadata, frame_timestamp: video_metadata.frame_timestamp.toISOString() },
        };
      }
    `);
    const image = rampImage(4, 3, "frame", FRAME_METADATA);
    const { output } = await probe.run({ image }, CALL);
    expect(output).toEqual({
      width: 4,
      height: 3,
      parent_id: "frame",
      isBytes: true,
      length: 36,
      firstPixel: [0, 7, 14],
      lastByte: (35 * 7) % 256,
      keys: ["width", "height", "data", "parent_id", "video_metadata"],
      metadata: {
        video_identifier: "camera-1",
        frame_number: 42,
        frame_timestamp: "2024-03-01T12:00:00.500Z",
        fps: 30,
        measured_fps: 29.5,
        comes_from_video_file: true,
      },
    });
  });

  it("round-trip: pixels inverted in JavaScript come back as a WorkflowImage with the input's lineage", async () => {
    const invert = await sandbox(INVERT);
    const image = rampImage(5, 2, "frame", FRAME_METADATA);
    const original = image.data.slice();
    const { output } = await invert.run({ image }, CALL);
    const result = (output as { image: WorkflowImage }).image;
    expect(result).toBeInstanceOf(WorkflowImage);
    expect(result).not.toBe(image);
    expect([result.width, result.height]).toEqual([5, 2]);
    expect(Array.from(result.data)).toEqual(Array.from(original, (byte) => 255 - byte));
    expect(result.parentId).toBe("frame");
    expect(result.rootParentId).toBe("frame-root");
    expect(result.videoMetadata).toEqual(FRAME_METADATA);
    // The host's pixels were copied in, never shared.
    expect(image.data).toEqual(original);
  });

  it("an image returned unchanged is the very same WorkflowImage (lineage and caches kept)", async () => {
    const prepend = await sandbox(`
      function run({ image, history }) {
        return { frames: [image, ...history], first: history[0] };
      }
    `);
    const image = rampImage(3, 3, "current");
    const older = [rampImage(3, 3, "older-1"), rampImage(2, 2, "older-2")];
    const { output } = await prepend.run({ image, history: older }, CALL);
    const result = output as { frames: WorkflowImage[]; first: WorkflowImage };
    expect(result.frames).toHaveLength(3);
    expect(result.frames[0]).toBe(image);
    expect(result.frames[1]).toBe(older[0]);
    expect(result.frames[2]).toBe(older[1]);
    expect(result.first).toBe(older[0]);
  });

  it("a new image without a parent_id gets a fresh parent id; a string parent_id is kept", async () => {
    const make = await sandbox(`
      function run({ parent }) {
        const data = new Uint8ClampedArray(2 * 2 * 3).fill(128);
        return { image: parent === undefined ? { width: 2, height: 2, data } : { width: 2, height: 2, data, parent_id: parent } };
      }
    `);
    const fresh = ((await make.run({}, CALL)).output as { image: WorkflowImage }).image;
    expect(fresh).toBeInstanceOf(WorkflowImage);
    expect(fresh.parentId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Array.from(fresh.data)).toEqual(Array(12).fill(128));
    expect(fresh.ownVideoMetadata).toBeNull();
    const named = ((await make.run({ parent: "synthetic" }, CALL)).output as { image: WorkflowImage }).image;
    expect(named.parentId).toBe("synthetic");
  });

  it("a resized copy keeping parent_id keeps the input's lineage with new dimensions", async () => {
    const crop = await sandbox(`
      function run({ image }) {
        const width = 2, height = 1, data = new Uint8Array(width * height * 3);
        for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[x * 3 + c] = image.data[x * 3 + c];
        return { crop: { ...image, width, height, data } };
      }
    `);
    const image = rampImage(4, 4, "frame", FRAME_METADATA);
    const result = ((await crop.run({ image }, CALL)).output as { crop: WorkflowImage }).crop;
    expect([result.width, result.height, result.parentId]).toEqual([2, 1, "frame"]);
    expect(Array.from(result.data)).toEqual(Array.from(image.data.subarray(0, 6)));
    expect(result.videoMetadata).toEqual(FRAME_METADATA);
  });

  it.each([
    ["data of the wrong length", "{ width: 2, height: 2, data: new Uint8Array(5) }", "output.image.data has 5 bytes; a 2x2 RGB image needs 12"],
    ["a non-integer width", "{ width: 1.5, height: 2, data: new Uint8Array(9) }", "output.image.width must be a positive integer"],
    ["a numeric parent_id", "{ width: 1, height: 1, data: new Uint8Array(3), parent_id: 7 }", "output.image.parent_id must be a string, null or absent"],
  ])("refuses an image-shaped output with %s", async (_what, literal, message) => {
    const probe = await sandbox(`function run() { return { image: ${literal} }; }`);
    const error = await rejection(probe.run({}, CALL));
    expect(error).toBeInstanceOf(SandboxDataError);
    expect(error.message).toContain(message);
  });

  it("round-trips a 640×480 frame exactly, repeatedly", async () => {
    const invert = await sandbox(INVERT, { limits: { timeMs: 30_000 } });
    const image = rampImage(640, 480, "frame", FRAME_METADATA);
    const expected = Buffer.from(image.data.map((byte) => 255 - byte));
    for (let call = 0; call < 3; call++) {
      const result = ((await invert.run({ image }, CALL)).output as { image: WorkflowImage }).image;
      expect([result.width, result.height]).toEqual([640, 480]);
      expect(Buffer.from(result.data).equals(expected)).toBe(true);
    }
  });

  it("passes a 640×480 frame through unchanged without copying it into a new image", async () => {
    const echo = await sandbox(`function run({ image }) { return { image, size: image.data.length }; }`);
    const image = rampImage(640, 480);
    const { output } = await echo.run({ image }, CALL);
    expect(output).toEqual({ image, size: 640 * 480 * 3 });
    expect((output as { image: WorkflowImage }).image).toBe(image);
  });
});
