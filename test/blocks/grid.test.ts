/** roboflow_core/grid_visualization@v1: layout, aspect-preserving fit, centring, cache, empty input (docs/reference/blocks.md#grid-visualization). */
import { describe, expect, it } from "vitest";
import { flattenImages, gridLayout, placeInCell, renderGrid } from "../../src/blocks/visualizations/grid.js";
import { compile, WorkflowImage } from "../../src/index.js";

function solid(width: number, height: number, rgb: [number, number, number], parentId = "img"): WorkflowImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return new WorkflowImage({ width, height, data, parentId, videoMetadata: null });
}

function pixel(image: WorkflowImage, x: number, y: number): number[] {
  const at = (y * image.width + x) * 3;
  return [...image.data.slice(at, at + 3)];
}

describe("layout maths", () => {
  it("uses a ceil(sqrt(N)) square grid with integer cell sizes", () => {
    expect(gridLayout(1, 100, 50)).toEqual({ grid: 1, cellWidth: 100, cellHeight: 50 });
    expect(gridLayout(5, 100, 50)).toEqual({ grid: 3, cellWidth: 33, cellHeight: 16 });
  });

  it("fits keeping the aspect ratio, truncates like int(), and centres in the row-major cell", () => {
    const layout = gridLayout(4, 200, 100); // 2×2 cells of 100×50
    expect(placeInCell(0, 40, 40, layout)).toEqual({ width: 50, height: 50, x: 25, y: 0 });
    expect(placeInCell(3, 300, 100, layout)).toEqual({ width: 100, height: 33, x: 100, y: 58 });
    expect(placeInCell(1, 10, 5, layout)).toEqual({ width: 100, height: 50, x: 100, y: 0 }); // upscales
  });

  it("expands lists and keeps nulls as empty cells", () => {
    const a = solid(1, 1, [1, 1, 1]);
    expect(flattenImages([a, [a, null], null])).toEqual([a, a, null, null]);
  });
});

describe("rendering", () => {
  it("places each image in its cell on black, newest first top-left", async () => {
    const red = solid(40, 20, [255, 0, 0], "red");
    const green = solid(20, 40, [0, 255, 0], "green");
    const blue = solid(20, 20, [0, 0, 255], "blue");
    const grid = await renderGrid([red, green, blue], 200, 100); // 2×2 grid, 100×50 cells
    expect([grid.width, grid.height]).toEqual([200, 100]);
    expect(pixel(grid, 50, 25)).toEqual([255, 0, 0]); // red fills 100×50 of cell 0
    expect(pixel(grid, 150, 25)).toEqual([0, 255, 0]); // green is 25×50 centred in cell 1 (x 137..161)
    expect(pixel(grid, 110, 25)).toEqual([0, 0, 0]); // beside it: black
    expect(pixel(grid, 50, 75)).toEqual([0, 0, 255]); // blue 50×50 centred in cell 2 (x 25..74)
    expect(pixel(grid, 10, 75)).toEqual([0, 0, 0]);
    expect(pixel(grid, 150, 75)).toEqual([0, 0, 0]); // cell 3 empty
    expect(grid.parentId).toBe("red"); // metadata of the first image
  });

  it("gives a black canvas for empty input", async () => {
    const grid = await renderGrid([null], 8, 4);
    expect(grid.data.every((v) => v === 0)).toBe(true);
    expect(grid.parentId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("in a workflow", () => {
  const definition = {
    version: "1.0",
    inputs: [
      { type: "WorkflowImage", name: "image" },
      { type: "WorkflowParameter", name: "others" },
    ],
    steps: [{ type: "roboflow_core/grid_visualization@v1", name: "grid", images: "$inputs.image", width: 64, height: 32 }],
    outputs: [{ type: "JsonField", name: "grid", selector: "$steps.grid.image" }],
  };

  it("accepts the legacy bare-selector form and returns the same image for identical inputs", async () => {
    const engine = compile(definition);
    const frame = solid(16, 8, [10, 20, 30]);
    const [first] = await engine.run({ image: frame });
    const [second] = await engine.run({ image: frame });
    expect(second.grid).toBe(first.grid);
    const [third] = await engine.run({ image: solid(16, 8, [10, 20, 30]) });
    expect(third.grid).not.toBe(first.grid);
    expect(pixel(third.grid as WorkflowImage, 32, 16)).toEqual([10, 20, 30]);
  });

  it("rejects an empty images list at compile time", () => {
    expect(() => compile({ ...definition, steps: [{ ...definition.steps[0], images: [] }] })).toThrow(/images/);
  });
});
