/**
 * CLIPImageProcessor's steps, against values computed with numpy the way transformers does
 * (rescale in float64 → float32, normalise in float32).
 */
import { describe, expect, it } from "vitest";
import { ImageProcessor, parseImageProcessorConfig } from "../../src/models/index.js";
import { resizedSize } from "../../src/models/preprocessing/image-processor.js";
import { cropOrigin } from "../../src/models/preprocessing/image-processor.js";

const CLIP_NORMALISATION = { image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] };

function processor(config: Record<string, unknown>): ImageProcessor {
  return new ImageProcessor(parseImageProcessorConfig({ ...CLIP_NORMALISATION, ...config }, "test config"));
}

describe("resize and crop geometry", () => {
  it("scales the short side to shortest_edge and truncates the long one", () => {
    expect(resizedSize(640, 480, { shortestEdge: 224 })).toEqual({ width: 298, height: 224 }); // 224·640/480 = 298.67
    expect(resizedSize(480, 640, { shortestEdge: 224 })).toEqual({ width: 224, height: 298 });
    expect(resizedSize(300, 300, { shortestEdge: 224 })).toEqual({ width: 224, height: 224 });
    expect(resizedSize(640, 480, { height: 10, width: 20 })).toEqual({ width: 20, height: 10 });
  });

  it("centres the crop with floor division, as transformers' center_crop", () => {
    expect(cropOrigin(298, 224)).toBe(37);
    expect(cropOrigin(227, 224)).toBe(1); // torchvision would round 1.5 up to 2
    expect(cropOrigin(2, 4)).toBe(-1); // crop larger than the image: padded
  });
});

describe("preprocess", () => {
  it("crops, rescales and normalises to channels-first float32 exactly as numpy", () => {
    // 3×2 image; shortest edge 2 keeps it, the 2×2 crop takes columns 0–1 ((3 - 2) // 2 = 0).
    const data = Uint8Array.from([0, 128, 255, 10, 20, 30, 99, 99, 99, 255, 0, 128, 1, 2, 3, 7, 7, 7]);
    const p = processor({ size: { shortest_edge: 2 }, crop_size: { height: 2, width: 2 } });
    const out = new Float32Array(p.pixelsPerImage + 2);
    p.preprocess({ width: 3, height: 2, data }, out, 1);
    // numpy: ((img.astype(float64) / 255).astype(float32) - mean) / std, transposed to CHW
    const expected = [
      -1.7922625541687012, -1.6462782621383667, 1.9303361177444458, -1.777664065361023, 0.16889731585979462, -1.451941728591919, -1.7520971298217773,
      -1.7220815420150757, 2.1458969116210938, -1.0536178350448608, 0.33994877338409424, -1.4375596046447754,
    ];
    expect(Array.from(out.subarray(1, 13))).toEqual(expected);
    expect([out[0], out[13]]).toEqual([0, 0]); // nothing written outside the slot
  });

  it("pads with zero pixels when the crop is larger than the resized image", () => {
    const p = processor({ size: { shortest_edge: 2 }, crop_size: { height: 4, width: 4 } });
    const out = new Float32Array(p.pixelsPerImage);
    p.preprocess({ width: 2, height: 2, data: new Uint8Array(12).fill(255) }, out, 0);
    const zero = -1.7922625541687012; // red channel of a 0 pixel
    const white = 1.9303361177444458;
    // The image sits at rows/columns 1–2 (offset ceil((4 - 2) / 2) = 1).
    expect(Array.from(out.subarray(0, 16))).toEqual([zero, zero, zero, zero, zero, white, white, zero, zero, white, white, zero, zero, zero, zero, zero]);
  });

  it("resizes with Pillow's bicubic before cropping", () => {
    // 1×2 grey [0, 255] upsampled to 2×4 has rows [0, 53, 202, 255] per column (see resample tests);
    // without rescale and normalise the floats are the bytes.
    const p = new ImageProcessor(
      parseImageProcessorConfig({ size: { height: 4, width: 2 }, do_center_crop: false, do_rescale: false, do_normalize: false }, "test"),
    );
    const out = new Float32Array(p.pixelsPerImage);
    p.preprocess({ width: 1, height: 2, data: Uint8Array.from([0, 0, 0, 255, 255, 255]) }, out, 0);
    expect(Array.from(out.subarray(0, 8))).toEqual([0, 0, 53, 53, 202, 202, 255, 255]);
  });

  it("rejects pixel data that does not match the size", () => {
    const p = processor({});
    expect(() => p.preprocess({ width: 4, height: 4, data: new Uint8Array(10) }, new Float32Array(p.pixelsPerImage), 0)).toThrow(/4x4 with 10 bytes/);
  });
});

describe("preprocessor_config.json", () => {
  it("applies CLIPImageProcessor's defaults and the legacy integer sizes", () => {
    const config = parseImageProcessorConfig({ size: 64, crop_size: 48 }, "x");
    expect(config).toMatchObject({ resize: { shortestEdge: 64 }, crop: { height: 48, width: 48 }, resample: 3, rescaleFactor: 1 / 255 });
    expect(config.mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
  });

  it("says which key is wrong", () => {
    expect(() => parseImageProcessorConfig({ resample: 1 }, "model/preprocessor_config.json")).toThrow(
      'model/preprocessor_config.json: "resample" must be 2 (bilinear) or 3 (bicubic), got 1',
    );
    expect(() => parseImageProcessorConfig({ size: { longest_edge: 3 } }, "p")).toThrow(/"size" must be/);
    expect(() => parseImageProcessorConfig({ do_center_crop: false }, "p")).toThrow(/would not share one size/);
  });
});
