/**
 * Pillow's resampling, checked against values derived by hand from Resample.c's arithmetic:
 * weights from the a = -0.5 cubic kernel at the sample offsets, normalised, applied, rounded and
 * clipped to a byte after each pass.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BICUBIC, BILINEAR, fixedPointWeights, precomputeCoefficients, resizeRgbWindow, type RgbPixels } from "../../src/models/preprocessing/resample.js";

/** A grey image given as rows of values. */
function grey(rows: number[][]): RgbPixels {
  const height = rows.length;
  const width = rows[0].length;
  return { width, height, data: Uint8Array.from(rows.flat().flatMap((v) => [v, v, v])) };
}

function greyRows(pixels: Uint8Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < pixels.length; i += 3 * width) {
    rows.push(Array.from({ length: width }, (_, x) => pixels[i + 3 * x]));
  }
  return rows;
}

function resize(image: RgbPixels, width: number, height: number, filter = BICUBIC): Uint8Array {
  return resizeRgbWindow(image, width, height, filter, { left: 0, top: 0, width, height });
}

describe("bicubic kernel", () => {
  it("has Pillow's values at the sample points used below", () => {
    // ((a+2)t - (a+3))t² + 1 for t < 1, ((t-5)t + 8)t - 4)·a for 1 ≤ t < 2, a = -0.5
    expect(BICUBIC.weight(0)).toBe(1);
    expect(BICUBIC.weight(0.25)).toBe(0.8671875);
    expect(BICUBIC.weight(-0.75)).toBe(0.2265625);
    expect(BICUBIC.weight(1.25)).toBe(-0.0703125);
    expect(Math.abs(BICUBIC.weight(1))).toBe(0);
    expect(BICUBIC.weight(2)).toBe(0);
  });
});

describe("coefficients (Pillow precompute_coeffs)", () => {
  it("upsampling 2 → 4: output 1 centred at 0.75 reads inputs 0 and 1", () => {
    const { bounds, weights, taps } = precomputeCoefficients(2, 4, BICUBIC);
    expect(taps).toBe(5);
    // center 0.75: first = trunc(0.75 - 2 + 0.5) = 0, last = min(2, trunc(3.25)) = 2
    expect([bounds[2], bounds[3]]).toEqual([0, 2]);
    // f(-0.25) = 0.8671875 and f(0.75) = 0.2265625, normalised by their sum 1.09375
    expect(weights[taps]).toBeCloseTo(0.8671875 / 1.09375, 15);
    expect(weights[taps + 1]).toBeCloseTo(0.2265625 / 1.09375, 15);
  });

  it("downsampling 8 → 2 stretches the kernel by 4 (antialiasing)", () => {
    const { bounds, weights, taps } = precomputeCoefficients(8, 2, BICUBIC);
    expect(taps).toBe(17); // ceil(2 · 4) · 2 + 1
    expect([bounds[0], bounds[1]]).toEqual([0, 8]);
    // offsets (x - 2 + 0.5) / 4: -0.375 … 1.375; weights sum 3.7421875 before normalising
    const raw = [0.7275390625, 0.9638671875, 0.9638671875, 0.7275390625, 0.3896484375, 0.0908203125, -0.0478515625, -0.0732421875];
    raw.forEach((w, i) => expect(weights[i]).toBeCloseTo(w / 3.7421875, 15));
  });

  it("gives a window of the output the same coefficients as the whole output", () => {
    const whole = precomputeCoefficients(100, 37, BICUBIC);
    const window = precomputeCoefficients(100, 37, BICUBIC, 5, 10);
    expect(window.taps).toBe(whole.taps);
    expect(window.bounds).toEqual(whole.bounds.subarray(10, 30));
    expect(window.weights).toEqual(whole.weights.subarray(5 * whole.taps, 15 * whole.taps));
  });

  it("rounds fixed-point weights half away from zero, as normalize_coeffs_8bpc", () => {
    const unit = 1 / 4194304; // 2^-22, one step of the fixed point
    const weights = [0.5, -0.5, 1.4, -1.4, 1.6, -1.6].map((steps) => steps * unit);
    expect(Array.from(fixedPointWeights(Float64Array.from([...weights, 1])))).toEqual([1, -1, 1, -1, 2, -2, 4194304]);
  });
});

describe("resizeRgbWindow equals Pillow's Image.resize", () => {
  it("upsamples [0, 255] to [0, 53, 202, 255] (the overshoot is clipped)", () => {
    // out0 = 255 · (-0.0703125 / 0.796875) = -22.5 → 0; out1 = 255 · 0.2265625 / 1.09375 = 52.8 → 53
    expect(greyRows(resize(grey([[0, 255]]), 4, 1), 4)).toEqual([[0, 53, 202, 255]]);
  });

  it("downsamples a step edge of 8 to 2 pixels with the stretched kernel", () => {
    // out0 = 255 · (0.3896484375 + 0.0908203125 - 0.0478515625 - 0.0732421875) / 3.7421875 = 24.49 → 24
    expect(greyRows(resize(grey([[0, 0, 0, 0, 255, 255, 255, 255]]), 2, 1), 2)).toEqual([[24, 231]]);
  });

  it("rounds and clips the horizontal pass to bytes before the vertical pass", () => {
    // Row 0 becomes [0, 53, 202, 255] (its -22.5 clipped to 0), row 1 stays 255. Column 0 then
    // reads (0, 255): 53 in output row 1; had the -22.5 survived it would read 35.
    const out = greyRows(
      resize(
        grey([
          [0, 255],
          [255, 255],
        ]),
        4,
        4,
      ),
      4,
    );
    expect(out).toEqual([
      [0, 35, 197, 255],
      [53, 95, 213, 255],
      [202, 213, 244, 255],
      [255, 255, 255, 255],
    ]);
  });

  it("bilinear (resample=2) downsampling averages with the stretched triangle", () => {
    // 4 → 2, scale 2, support 2: center 1 reads x = 0..2 at offsets (x - 0.5)/2 → weights 0.75, 0.75, 0.25
    // → (0·0.75 + 100·0.75 + 200·0.25) / 1.75 = 71.4 → 71
    expect(greyRows(resize(grey([[0, 100, 200, 255]]), 2, 1, BILINEAR), 2)[0][0]).toBe(71);
  });

  it("keeps the image when the size does not change", () => {
    const image = grey([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(resize(image, 3, 2)).toEqual(image.data);
  });

  it("computes any window exactly as the same crop of the full resize", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.nat(),
        fc.nat(),
        (width, height, outWidth, outHeight, seed, a, b) => {
          const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (seed * 31 + i * 97) % 256);
          const image = { width, height, data };
          const full = resize(image, outWidth, outHeight);
          const left = a % outWidth;
          const top = b % outHeight;
          const window = { left, top, width: outWidth - left, height: outHeight - top };
          const part = resizeRgbWindow(image, outWidth, outHeight, BICUBIC, window);
          for (let y = 0; y < window.height; y++) {
            const start = ((top + y) * outWidth + left) * 3;
            expect(part.subarray(y * window.width * 3, (y + 1) * window.width * 3)).toEqual(full.subarray(start, start + window.width * 3));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives the same bytes in WebAssembly SIMD as in TypeScript, on images of any size and content", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.uint8Array({ minLength: 90 * 90 * 3, maxLength: 90 * 90 * 3 }),
        fc.constantFrom(BICUBIC, BILINEAR),
        (width, height, outWidth, outHeight, noise, filter) => {
          const image = { width, height, data: noise.subarray(0, width * height * 3) };
          const window = {
            left: Math.floor(outWidth / 4),
            top: Math.floor(outHeight / 3),
            width: outWidth - Math.floor(outWidth / 4),
            height: outHeight - Math.floor(outHeight / 3),
          };
          expect(resizeRgbWindow(image, outWidth, outHeight, filter, window)).toEqual(
            resizeRgbWindow(image, outWidth, outHeight, filter, window, { simd: false }),
          );
        },
      ),
      { numRuns: 300 },
    );
    // A frame-sized case: 640×480 → 299×224, CLIP's centre crop.
    const frame = { width: 640, height: 480, data: Uint8Array.from({ length: 640 * 480 * 3 }, (_, i) => (i * 7919) % 251) };
    const crop = { left: 37, top: 0, width: 224, height: 224 };
    expect(resizeRgbWindow(frame, 299, 224, BICUBIC, crop)).toEqual(resizeRgbWindow(frame, 299, 224, BICUBIC, crop, { simd: false }));
    // A photo-sized case, whose input rows reach the kernel in several strips (of 139 rows here).
    const photo = { width: 2500, height: 1800, data: Uint8Array.from({ length: 2500 * 1800 * 3 }, (_, i) => (i * 7919) % 251) };
    const centre = { left: 43, top: 0, width: 224, height: 224 };
    expect(resizeRgbWindow(photo, 311, 224, BICUBIC, centre)).toEqual(resizeRgbWindow(photo, 311, 224, BICUBIC, centre, { simd: false }));
  });

  it("refuses a window outside the output", () => {
    expect(() => resizeRgbWindow(grey([[1]]), 2, 2, BICUBIC, { left: 1, top: 0, width: 2, height: 1 })).toThrow(/outside the 2x2 output/);
  });
});
