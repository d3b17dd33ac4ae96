/** Shared fixtures of the model tests. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RgbPixels } from "../../src/models/index.js";
import { createTinyClipModel } from "../../src/models/testing/tiny-clip.js";

/** A genuine Hugging Face export of a tiny random-weight CLIP (see its NOTICE.md). */
export const HF_TINY_CLIP = resolve(import.meta.dirname, "../fixtures/tiny-clip");

export async function temporaryDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sightline-${prefix}-`));
}

export async function tinyClipFolder(): Promise<string> {
  return createTinyClipModel(await temporaryDir("tiny-clip"));
}

/**
 * A photo-like test image: smooth gradients, a few discs and a little deterministic noise, so
 * resizing has edges and texture to get right.
 */
export function syntheticPhoto(width: number, height: number, seed: number): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  let state = seed >>> 0;
  const noise = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state >>> 24) / 255 - 0.5;
  };
  const discs = Array.from({ length: 4 }, (_, i) => ({
    x: (((seed * 37 + i * 101) % 97) / 97) * width,
    y: (((seed * 53 + i * 67) % 89) / 89) * height,
    r: (0.08 + 0.05 * i) * Math.min(width, height),
    colour: [(seed * 40 + i * 90) % 256, (seed * 70 + i * 50) % 256, (seed * 20 + i * 130) % 256],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = [(255 * x) / width, (255 * y) / height, 128 + 100 * Math.sin((x + y + seed) / 17)];
      for (const disc of discs) if ((x - disc.x) ** 2 + (y - disc.y) ** 2 < disc.r ** 2) rgb = disc.colour;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = Math.max(0, Math.min(255, Math.round(rgb[c] + 12 * noise())));
    }
  }
  return { width, height, data };
}
