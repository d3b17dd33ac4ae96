/**
 * Hugging Face's image processor as CLIPImageProcessor and its kin define it, driven by the
 * model's `preprocessor_config.json`: resize (shortest edge or a fixed size, Pillow resampling),
 * centre crop, rescale, normalise, channels first. Values are computed in float32 step by step
 * as numpy does, so a pixel maps to the same float the Python processor produces.
 *
 * Keys the file leaves out take CLIPImageProcessor's defaults; a family whose processor class
 * defaults otherwise (SigLIP's fixed size, say) lays its own defaults under the file's keys.
 */
import { ModelError } from "../errors.js";
import type { ImagePreprocessor } from "../family.js";
import { isJsonObject } from "../../definition/json.js";
import { BICUBIC, BILINEAR, resizeRgbWindow, type Filter, type RgbPixels } from "./resample.js";

const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
/** Pillow's resample codes that we implement. */
const FILTERS: Readonly<Record<number, Filter>> = { 2: BILINEAR, 3: BICUBIC };

export type ResizeTarget = { readonly shortestEdge: number } | { readonly height: number; readonly width: number };

export interface ImageProcessorConfig {
  readonly resize: ResizeTarget | null;
  readonly resample: number;
  readonly crop: { readonly height: number; readonly width: number } | null;
  readonly rescaleFactor: number | null;
  readonly mean: readonly [number, number, number] | null;
  readonly std: readonly [number, number, number] | null;
}

/** Reads `preprocessor_config.json` with CLIPImageProcessor's defaults for absent keys. */
export function parseImageProcessorConfig(json: unknown, where: string): ImageProcessorConfig {
  if (!isJsonObject(json)) throw new ModelError(`${where}: expected a JSON object`);
  const fail = (key: string, expected: string): never => {
    throw new ModelError(`${where}: "${key}" must be ${expected}, got ${JSON.stringify(json[key])}`);
  };
  const flag = (key: string): boolean => {
    const value = json[key] ?? true;
    return typeof value === "boolean" ? value : fail(key, "a boolean");
  };
  const positive = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value > 0;
  const size = json.size ?? { shortest_edge: 224 };
  let resize: ResizeTarget | null = null;
  if (flag("do_resize")) {
    // An integer `size` is the legacy spelling of shortest_edge (get_size_dict, default_to_square=False).
    if (positive(size)) resize = { shortestEdge: size };
    else if (isJsonObject(size) && positive(size.shortest_edge)) resize = { shortestEdge: size.shortest_edge };
    else if (isJsonObject(size) && positive(size.height) && positive(size.width)) resize = { height: size.height, width: size.width };
    else fail("size", '{"shortest_edge": n} or {"height": h, "width": w}');
  }
  const resample = json.resample ?? 3;
  if (typeof resample !== "number" || !FILTERS[resample]) fail("resample", "2 (bilinear) or 3 (bicubic)");
  const cropSize = json.crop_size ?? 224;
  let crop: ImageProcessorConfig["crop"] = null;
  if (flag("do_center_crop")) {
    if (positive(cropSize)) crop = { height: cropSize, width: cropSize };
    else if (isJsonObject(cropSize) && positive(cropSize.height) && positive(cropSize.width)) crop = { height: cropSize.height, width: cropSize.width };
    else fail("crop_size", '{"height": h, "width": w}');
  }
  const rescaleFactor = json.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== "number") fail("rescale_factor", "a number");
  const triple = (key: string, fallback: readonly [number, number, number]): readonly [number, number, number] => {
    const value = json[key] ?? fallback;
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === "number")) return value as [number, number, number];
    if (typeof value === "number") return [value, value, value];
    return fail(key, "three numbers");
  };
  const normalise = flag("do_normalize");
  const std = normalise ? triple("image_std", OPENAI_CLIP_STD) : null;
  if (std?.some((s) => s === 0)) fail("image_std", "non-zero");
  if (crop === null && (resize === null || "shortestEdge" in resize)) {
    throw new ModelError(`${where}: without a centre crop the images would not share one size; sightline needs do_center_crop or a fixed size`);
  }
  return {
    resize,
    resample: resample as number,
    crop,
    rescaleFactor: flag("do_rescale") ? (rescaleFactor as number) : null,
    mean: normalise ? triple("image_mean", OPENAI_CLIP_MEAN) : null,
    std,
  };
}

/**
 * Output size of the resize step (transformers' get_resize_output_image_size with
 * default_to_square=False): the short side becomes `shortestEdge`, the long side is scaled and
 * truncated.
 */
export function resizedSize(width: number, height: number, target: ResizeTarget | null): { width: number; height: number } {
  if (target === null) return { width, height };
  if (!("shortestEdge" in target)) return { width: target.width, height: target.height };
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const scaledLong = Math.trunc((target.shortestEdge * long) / short);
  return width <= height ? { width: target.shortestEdge, height: scaledLong } : { width: scaledLong, height: target.shortestEdge };
}

/**
 * Where the crop's (0, 0) falls in the resized image: `(size - crop) // 2` per axis (transformers'
 * center_crop). Negative when the crop is larger; the part outside the image is zero.
 */
export function cropOrigin(size: number, crop: number): number {
  return Math.floor((size - crop) / 2);
}

export class ImageProcessor implements ImagePreprocessor {
  /** Channels × height × width of one preprocessed image. */
  readonly height: number;
  readonly width: number;
  /** 256 float32 values per channel: what each byte value becomes after rescale and normalise. */
  private readonly lookup: Float32Array;
  private readonly filter: Filter;

  constructor(readonly config: ImageProcessorConfig) {
    const output = config.crop ?? (config.resize as { height: number; width: number });
    this.height = output.height;
    this.width = output.width;
    this.lookup = normalisationTable(config);
    this.filter = FILTERS[config.resample];
  }

  get pixelsPerImage(): number {
    return 3 * this.height * this.width;
  }

  /** Writes one image, channels first, at `offset` of `out`. */
  preprocess(image: RgbPixels, out: Float32Array, offset: number): void {
    const plan = this.plan(image);
    const pixels = resizeRgbWindow(image, plan.resized.width, plan.resized.height, this.filter, plan.window);
    this.normalise(pixels, plan, out, offset);
  }

  private plan(image: RgbPixels): Plan {
    if (image.width <= 0 || image.height <= 0 || image.data.length !== image.width * image.height * 3) {
      throw new ModelError(`expected an RGB image, got ${image.width}x${image.height} with ${image.data.length} bytes`);
    }
    const resized = resizedSize(image.width, image.height, this.config.resize);
    const crop = this.config.crop ?? resized;
    const top = cropOrigin(resized.height, crop.height);
    const left = cropOrigin(resized.width, crop.width);
    const y0 = Math.max(0, top);
    const x0 = Math.max(0, left);
    const window = {
      top: y0,
      left: x0,
      height: Math.min(resized.height, top + crop.height) - y0,
      width: Math.min(resized.width, left + crop.width) - x0,
    };
    // Where the window lands in the crop (non-zero only when the crop pads).
    return { resized, window, rowOffset: y0 - top, columnOffset: x0 - left };
  }

  private normalise(pixels: Uint8Array, plan: Plan, out: Float32Array, offset: number): void {
    const { window } = plan;
    const plane = this.height * this.width;
    const lookup = this.lookup;
    if (window.width !== this.width || window.height !== this.height) {
      // Padding: zero pixels, normalised like any other.
      for (let c = 0; c < 3; c++) out.fill(lookup[c * 256], offset + c * plane, offset + (c + 1) * plane);
    }
    for (let y = 0; y < window.height; y++) {
      let p = y * window.width * 3;
      let o = offset + (y + plan.rowOffset) * this.width + plan.columnOffset;
      for (let x = 0; x < window.width; x++, o++) {
        out[o] = lookup[pixels[p++]];
        out[o + plane] = lookup[256 + pixels[p++]];
        out[o + 2 * plane] = lookup[512 + pixels[p++]];
      }
    }
  }
}

interface Plan {
  resized: { width: number; height: number };
  window: { top: number; left: number; width: number; height: number };
  rowOffset: number;
  columnOffset: number;
}

/** numpy: `(x.astype(float64) * factor).astype(float32)`, then `(x - mean) / std` in float32. */
function normalisationTable(config: ImageProcessorConfig): Float32Array {
  const table = new Float32Array(3 * 256);
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      let x = config.rescaleFactor === null ? v : f(v * config.rescaleFactor);
      if (config.mean && config.std) x = f(f(x - f(config.mean[c])) / f(config.std[c]));
      table[c * 256 + v] = x;
    }
  }
  return table;
}
