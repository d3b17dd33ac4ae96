/**
 * `roboflow_core/grid_visualization@v1`: images tiled into a ceil(√N)×ceil(√N) grid on a black
 * canvas, each scaled to fit its cell with its aspect ratio kept and centred
 * (docs/reference/blocks.md#grid-visualization). With a Buffer (newest first) upstream, the newest
 * frame lands top-left.
 */
import sharp from "sharp";
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { WorkflowImage } from "../../images/index.js";

export interface GridLayout {
  /** Cells per row and per column. */
  grid: number;
  cellWidth: number;
  cellHeight: number;
}

export function gridLayout(count: number, width: number, height: number): GridLayout {
  const grid = Math.ceil(Math.sqrt(count));
  return { grid, cellWidth: Math.floor(width / grid), cellHeight: Math.floor(height / grid) };
}

export interface Placement {
  /** Size of the scaled image. */
  width: number;
  height: number;
  /** Top-left corner on the canvas (may need cropping at the right/bottom edge). */
  x: number;
  y: number;
}

/** Where image `index` (w×h) goes: scaled by min(cw/w, ch/h), truncated like Python's int(), centred. */
export function placeInCell(index: number, imageWidth: number, imageHeight: number, layout: GridLayout): Placement {
  const row = Math.floor(index / layout.grid);
  const column = index % layout.grid;
  const scale = Math.min(layout.cellWidth / imageWidth, layout.cellHeight / imageHeight);
  const width = Math.trunc(imageWidth * scale);
  const height = Math.trunc(imageHeight * scale);
  return {
    width,
    height,
    x: Math.max(0, column * layout.cellWidth + Math.floor((layout.cellWidth - width) / 2)),
    y: Math.max(0, row * layout.cellHeight + Math.floor((layout.cellHeight - height) / 2)),
  };
}

/** Resized pixels of one image, memoised by image and size: a buffer re-shows the same frames every tick. */
const thumbnails = new WeakMap<WorkflowImage, Map<string, Promise<Uint8Array>>>();

function thumbnail(image: WorkflowImage, width: number, height: number): Promise<Uint8Array> {
  let bySize = thumbnails.get(image);
  if (!bySize) {
    bySize = new Map();
    thumbnails.set(image, bySize);
  }
  const key = `${width}x${height}`;
  let pixels = bySize.get(key);
  if (!pixels) {
    pixels =
      width === image.width && height === image.height
        ? Promise.resolve(image.data)
        : sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
            .resize(width, height, { fit: "fill", kernel: "linear" })
            .raw()
            .toBuffer()
            .then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    if (bySize.size > 8) bySize.clear();
    bySize.set(key, pixels);
  }
  return pixels;
}

function paste(canvas: Uint8Array, canvasWidth: number, canvasHeight: number, pixels: Uint8Array, placement: Placement): void {
  const rows = Math.min(placement.height, canvasHeight - placement.y);
  const columns = Math.min(placement.width, canvasWidth - placement.x);
  if (rows <= 0 || columns <= 0) return;
  for (let r = 0; r < rows; r++) {
    const from = r * placement.width * 3;
    canvas.set(pixels.subarray(from, from + columns * 3), ((placement.y + r) * canvasWidth + placement.x) * 3);
  }
}

export async function renderGrid(images: readonly (WorkflowImage | null)[], width: number, height: number): Promise<WorkflowImage> {
  const first = images.find((image): image is WorkflowImage => image instanceof WorkflowImage);
  if (!first) return WorkflowImage.black(width, height);
  const layout = gridLayout(images.length, width, height);
  const canvas = new Uint8Array(width * height * 3);
  await Promise.all(
    images.map(async (image, index) => {
      if (!(image instanceof WorkflowImage)) return;
      const placement = placeInCell(index, image.width, image.height, layout);
      if (placement.width <= 0 || placement.height <= 0) return;
      paste(canvas, width, height, await thumbnail(image, placement.width, placement.height), placement);
    }),
  );
  return first.withPixels(width, height, canvas);
}

/** Lists are expanded, so a buffer of frames and single images can be mixed. */
export function flattenImages(items: readonly unknown[]): (WorkflowImage | null)[] {
  const flat: (WorkflowImage | null)[] = [];
  for (const item of items) {
    if (Array.isArray(item)) for (const inner of item) flat.push(inner instanceof WorkflowImage ? inner : null);
    else flat.push(item instanceof WorkflowImage ? item : null);
  }
  return flat;
}

/**
 * The last render per step and stream, so identical inputs return the same image (upstream's
 * cache) — held by its first input image, so it goes when the frames do, whichever engine made it.
 */
const lastRender = new WeakMap<WorkflowImage, { key: string; images: (WorkflowImage | null)[]; width: number; height: number; output: WorkflowImage }>();

function sameInputs(a: readonly (WorkflowImage | null)[], b: readonly (WorkflowImage | null)[]): boolean {
  return a.length === b.length && a.every((image, i) => image === b[i]);
}

export const gridVisualizationBlock = defineBlock({
  manifest: {
    type: "roboflow_core/grid_visualization@v1",
    name: "Grid Visualization",
    family: "visualizations",
    description: "Shows images (e.g. a buffer of frames) in a grid on one canvas.",
    properties: z.object({
      images: z
        .preprocess((value) => (typeof value === "string" ? [value] : value), z.array(selector(["image", "list_of_values"])).min(1))
        .describe("Images or lists of images, in grid order (row-major)"),
      width: literalOrSelector(z.number().int().positive(), ["integer"]).default(2560).describe("Canvas width, pixels"),
      height: literalOrSelector(z.number().int().positive(), ["integer"]).default(1440).describe("Canvas height, pixels"),
    }),
    outputs: [{ name: "image", kinds: ["image"] }],
  },
  async run({ images, width, height }, ctx) {
    if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0 || width * height > 64e6) {
      throw new Error(`grid size ${width}×${height} is not a positive size of at most 64 megapixels`);
    }
    const flat = flattenImages(images);
    const key = `${ctx.step}\0${ctx.stream}`;
    const holder = flat.find((image) => image !== null);
    const previous = holder && lastRender.get(holder);
    if (previous && previous.key === key && previous.width === width && previous.height === height && sameInputs(previous.images, flat)) {
      return { image: previous.output };
    }
    const output = await renderGrid(flat, width, height);
    if (holder) lastRender.set(holder, { key, images: flat, width, height, output });
    return { image: output };
  },
});
