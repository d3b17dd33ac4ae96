/** The block catalogue's query-language description (docs/reference/workflows.md#operations). */
import { describe, expect, it } from "vitest";
import { describeBlocks, getDefaultRegistry } from "../../src/index.js";

describe("universal_query_language_description", () => {
  const operations = new Map(
    describeBlocks(getDefaultRegistry()).universal_query_language_description.operations_description.map((o) => [o.operation_type, o]),
  );

  it("lists upstream's property_name_options from the operations' schemas", () => {
    expect(operations.get("ExtractImageProperty")?.property_name_options).toEqual(["size", "height", "width", "aspect_ratio"]);
    expect(operations.get("ExtractFrameMetadata")?.property_name_options).toEqual(["frame_number", "frame_timestamp", "seconds_since_start"]);
    expect(operations.get("ClassificationPropertyExtract")?.property_name_options).toEqual([
      "top_class",
      "top_class_confidence",
      "top_class_confidence_single",
      "all_classes",
      "all_confidences",
    ]);
  });

  it("gives null for an operation without a property_name", () => {
    expect(operations.get("StringToUpperCase")?.property_name_options).toBeNull();
    expect(Object.keys(operations.get("StringToUpperCase")!)).toContain("property_name_options");
  });
});
