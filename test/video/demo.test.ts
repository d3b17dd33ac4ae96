/**
 * The README's main job, `sightline demo`, as a new user runs it: a sample video made with
 * ffmpeg, the launch post's outlier-frames workflow, the tiny CLIP standing in where no model hub
 * is reachable (--offline here), and the grid image checked pixel by pixel.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { gridLayout, placeInCell } from "../../src/blocks/visualizations/grid.js";
import { runCli, tempDir, type CliResult } from "../helpers/cli.js";

interface Line {
  frame_number: number;
  outputs: { is_outlier: boolean | null; grid: string };
}

let out: string;
let result: CliResult;
let lines: Line[];

async function pixel(file: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at], data[at + 1], data[at + 2]];
}

const close = (actual: number[], expected: number[]) => actual.every((v, i) => Math.abs(v - expected[i]) <= 40);

beforeAll(async () => {
  out = join(tempDir(), "demo-output");
  result = await runCli(["demo", "--out", out, "--offline"], { timeoutMs: 300_000 });
  lines = readFileSync(join(out, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
}, 300_000);

describe("sightline demo", () => {
  it("runs end to end on the sample video, saying it uses the stand-in model", () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/tiny random-weight CLIP/);
    expect(result.stderr).toMatch(/600 frames/);
    expect(lines).toHaveLength(600);
    expect(lines.map((l) => l.frame_number)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
  });

  it("samples one frame a second: outlier decisions only on sampled frames", () => {
    const decided = lines.filter((l) => l.outputs.is_outlier !== null).map((l) => l.frame_number);
    expect(decided[0]).toBe(1);
    expect(decided.length).toBeGreaterThanOrEqual(19);
    expect(decided.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < decided.length; i++) expect(decided[i] - decided[i - 1]).toBeGreaterThanOrEqual(30);
  });

  it("writes a grid for every frame, the current frame top-left, and the grid video", async () => {
    const grid = lines[299].outputs.grid;
    expect(grid).toBe(join(out, "grid", "0_300.jpg"));
    const { width, height } = await sharp(grid).metadata();
    expect([width, height]).toEqual([1280, 720]);
    // Frame 300 carries the sample's blue box (centre 320,240); the current frame is the first cell.
    const outliersSoFar = Math.min(8, lines.slice(0, 300).filter((l) => l.outputs.is_outlier === true).length);
    const layout = gridLayout(1 + outliersSoFar, 1280, 720);
    const place = placeInCell(0, 640, 480, layout);
    const scale = place.width / 640;
    expect(close(await pixel(grid, Math.round(place.x + 320 * scale), Math.round(place.y + 240 * scale)), [0, 0, 255])).toBe(true);
    expect(existsSync(join(out, "grid.mp4"))).toBe(true);
  });

  it("keeps flagged frames in the grid after they happened", async () => {
    const flagged = lines.filter((l) => l.outputs.is_outlier === true);
    // The sample's first event (a red flash, frames 121–135) is sampled at frame 121.
    expect(flagged.map((l) => l.frame_number)).toContain(121);
    // Later, the second cell shows that red frame.
    const later = lines[180].outputs.grid;
    const layout = gridLayout(1 + Math.min(8, lines.slice(0, 181).filter((l) => l.outputs.is_outlier === true).length), 1280, 720);
    const place = placeInCell(1, 640, 480, layout);
    expect(close(await pixel(later, place.x + Math.floor(place.width / 2), place.y + Math.floor(place.height / 2)), [255, 0, 0])).toBe(true);
  });
});
