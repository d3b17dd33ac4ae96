/**
 * Upstream: tests/workflows/unit_tests/core_steps/common/query_language/operations/test_image_operations.py
 * (see NOTICE.md).
 */
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError, OperationError } from "../../../src/errors/index.js";
import { WorkflowImage } from "../../../src/images/index.js";
import { executeOperations } from "./upstream.js";

/** Upstream's `_create_workflow_image()`: `np.zeros((192, 168, 3))`, 168 wide and 192 high. */
function createWorkflowImage(): WorkflowImage {
  return new WorkflowImage({ width: 168, height: 192, data: new Uint8Array(168 * 192 * 3), parentId: "some_image" });
}

/**
 * Upstream's `np.zeros((192, 168, 5))`: pixels that are not an image. sightline's images are RGB by
 * construction; a frame's pixels arrive through a pixel source, which can deliver such a buffer.
 */
function createCorruptedImage(): WorkflowImage {
  return new WorkflowImage({ width: 168, height: 192, data: () => new Uint8Array(168 * 192 * 5), parentId: "some_image" });
}

/** `cv2.imdecode(...)` then `np.allclose(image.numpy_image, recovered_image)`. */
function expectDecodesTo(bytes: Uint8Array, image: WorkflowImage): void {
  const decoded = jpeg.decode(bytes, { useTArray: true });
  expect([decoded.width, decoded.height]).toEqual([image.width, image.height]);
  const rgb = decoded.data.filter((_, index) => index % 4 !== 3);
  expect(rgb).toEqual(image.data);
}

const EXTRACT_IMAGE_PROPERTY = [
  { property_name: "size", expected_value: 192 * 168 },
  { property_name: "height", expected_value: 192 },
  { property_name: "width", expected_value: 168 },
];

describe("test_image_operations.py", () => {
  it("test_extract_image_property_operation_when_not_an_image_given", () => {
    expect(() => executeOperations("some", [{ type: "ExtractImageProperty", property_name: "size" }])).toThrow(InvalidInputTypeError);
  });

  it.each(EXTRACT_IMAGE_PROPERTY)(
    "test_extract_image_property_operation_when_invalid_property_given[$property_name-$expected_value]",
    ({ property_name, expected_value }) => {
      expect(executeOperations(createWorkflowImage(), [{ type: "ExtractImageProperty", property_name }])).toBe(expected_value);
    },
  );

  it("test_encode_image_to_jpeg_when_invalid_input_provided", () => {
    expect(() => executeOperations("invalid", [{ type: "ConvertImageToJPEG", compression_level: 75 }])).toThrow(InvalidInputTypeError);
  });

  it("test_encode_image_to_jpeg_when_valid_input_provided", () => {
    const image = createWorkflowImage();
    expectDecodesTo(executeOperations(image, [{ type: "ConvertImageToJPEG", compression_level: 75 }]) as Uint8Array, image);
  });

  it("test_encode_image_to_jpeg_when_corrupted_np_array_provided", () => {
    expect(() => executeOperations(createCorruptedImage(), [{ type: "ConvertImageToJPEG", compression_level: 75 }])).toThrow(OperationError);
  });

  it("test_encode_image_to_base64_when_invalid_input_provided", () => {
    expect(() => executeOperations("invalid", [{ type: "ConvertImageToBase64" }])).toThrow(InvalidInputTypeError);
  });

  it("test_encode_image_to_base64_when_valid_input_provided", () => {
    const image = createWorkflowImage();
    const result = executeOperations(image, [{ type: "ConvertImageToBase64" }]) as string;
    expectDecodesTo(new Uint8Array(Buffer.from(result, "base64")), image);
  });

  it("test_encode_image_to_base64_when_corrupted_np_array_provided", () => {
    expect(() => executeOperations(createCorruptedImage(), [{ type: "ConvertImageToBase64" }])).toThrow(OperationError);
  });
});
