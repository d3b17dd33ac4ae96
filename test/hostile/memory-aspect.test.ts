/**
 * Issue 20, finding 1: a few-KB image of extreme aspect ratio must not blow up CLIP
 * preprocessing. At the default limits it is refused from its header (`--max-aspect-ratio`);
 * where an operator allows it, preprocessing resizes only what the centre crop keeps, so memory
 * stays bounded however long the image's long side.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64Image, CLIP_WORKFLOW, flatPng, peakGrowth, postJson, REQUEST_GROWTH_BOUND_MB, startMemoryServer, type MemoryServer } from "./memory-helpers.js";

let defaults: MemoryServer;
let raised: MemoryServer;

beforeAll(async () => {
  [defaults, raised] = await Promise.all([startMemoryServer(), startMemoryServer(["--max-aspect-ratio", "10000000"])]);
});

afterAll(async () => {
  await Promise.all([defaults?.stop(), raised?.stop()]);
});

async function embed(server: MemoryServer, png: Buffer) {
  return peakGrowth(server, () => postJson(server.url, "/workflows/run", { specification: CLIP_WORKFLOW, inputs: { image: base64Image(png) } }));
}

describe("extreme aspect ratios", () => {
  it("refuses a 1x100000 PNG from its header at the default limit, naming the input, the size, the limit and its flag", async () => {
    const { result, growthMb } = await embed(defaults, await flatPng(1, 100_000));
    expect(growthMb).toBeLessThan(64);
    expect(result.status).toBe(400);
    expect(result.body.error_type).toBe("RuntimeInputError");
    expect(result.body.message).toMatch(/Input "image".*1x100000.*100000:1.*100:1.*--max-aspect-ratio/);
  });

  it("embeds a 100x10000 image (the default limit exactly) within the bound", async () => {
    const { result, growthMb } = await embed(defaults, await flatPng(100, 10_000));
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
  });

  it.each([100_000, 1_000_000])("embeds a 1x%i PNG in bounded memory when the limit is raised", async (height) => {
    const { result, growthMb } = await embed(raised, await flatPng(1, height));
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect((result.body.outputs as Array<{ embedding: number[] }>)[0].embedding).toHaveLength(32);
  });
});
