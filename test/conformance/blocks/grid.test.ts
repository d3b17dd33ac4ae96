/**
 * Upstream's unit tests of the grid visualisation
 * (roboflow/inference 3bb973b5, tests/workflows/unit_tests/core_steps/visualizations/test_grid.py),
 * case by case.
 */
import { describe, expect, it } from "vitest";
import { gridVisualizationBlock } from "../../../src/blocks/visualizations/grid.js";
import { WorkflowImage } from "../../../src/images/index.js";
import { StepHarness } from "../../helpers/step-harness.js";
import { parseStep } from "../engine-harness.js";

/** `WorkflowImageData(parent_metadata=ImageParentMetadata(parent_id="some"), numpy_image=…)` of one colour. */
function solid(size: number, rgb: readonly [number, number, number]): WorkflowImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, i * 3);
  return new WorkflowImage({ width: size, height: size, data, parentId: "some" });
}

/** Whether the w×h region at (x, y) is all one colour. */
function regionIs(image: WorkflowImage, x: number, y: number, w: number, h: number, rgb: readonly number[]): boolean {
  for (let row = y; row < y + h; row++) {
    for (let column = x; column < x + w; column++) {
      const at = (row * image.width + column) * 3;
      if (image.data[at] !== rgb[0] || image.data[at + 1] !== rgb[1] || image.data[at + 2] !== rgb[2]) return false;
    }
  }
  return true;
}

const render = async (images: unknown[], width: number, height: number): Promise<WorkflowImage> => {
  const step = new StepHarness(gridVisualizationBlock);
  const result = (await step.run({ images: ["$steps.buffer.output"], width, height }, { images })) as { image: WorkflowImage };
  return result.image;
};

describe("roboflow_core/grid_visualization@v1", () => {
  it("test_grid_manifest_accepts_inline_list_of_image_selectors", () => {
    const manifest = { type: "roboflow_core/grid_visualization@v1", name: "grid", images: ["$inputs.image", "$steps.depth_estimation.image"] };
    expect(parseStep(manifest).images).toEqual(["$inputs.image", "$steps.depth_estimation.image"]);
  });

  it("test_grid_manifest_coerces_legacy_single_selector_to_list", () => {
    const manifest = { type: "roboflow_core/grid_visualization@v1", name: "grid", images: "$steps.buffer.output" };
    expect(parseStep(manifest).images).toEqual(["$steps.buffer.output"]);
  });

  it("test_grid_visualization_block_single: one image fills the canvas unchanged", async () => {
    const image = await render([solid(1000, [0, 0, 0])], 1000, 1000);
    expect([image.height, image.width, image.data.length / (image.width * image.height)]).toEqual([1000, 1000, 3]);
    expect(regionIs(image, 0, 0, 1000, 1000, [0, 0, 0])).toBe(true);
  });

  it("test_grid_visualization_block_flattens_mixed_image_and_list_inputs", async () => {
    const image = await render([solid(1000, [0, 0, 0]), [solid(1000, [0, 0, 0]), solid(1000, [0, 0, 0])]], 400, 400);
    expect([image.height, image.width]).toEqual([400, 400]);
  });

  it("test_grid_visualization_block_2x2: each quadrant its image", async () => {
    const colours = [
      [0, 0, 0],
      [255, 255, 255],
      [255, 0, 0],
      [0, 255, 0],
    ] as const;
    const image = await render(
      colours.map((rgb) => solid(1000, rgb)),
      400,
      400,
    );
    expect([image.height, image.width]).toEqual([400, 400]);
    expect(regionIs(image, 0, 0, 200, 200, colours[0])).toBe(true);
    expect(regionIs(image, 200, 0, 200, 200, colours[1])).toBe(true);
    expect(regionIs(image, 0, 200, 200, 200, colours[2])).toBe(true);
    expect(regionIs(image, 200, 200, 200, 200, colours[3])).toBe(true);
  });
});
