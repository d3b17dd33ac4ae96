/**
 * Issue 20, finding 10 (in part): echoing a valid very wide image. JPEG holds at most 65535
 * pixels a side, so an image output wider or taller than that is serialised as PNG (its
 * base64 still an image every client decodes) instead of failing the request with 500.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64Image, ECHO_WORKFLOW, flatPng, peakGrowth, postJson, REQUEST_GROWTH_BOUND_MB, startMemoryServer, type MemoryServer } from "./memory-helpers.js";

let server: MemoryServer;

beforeAll(async () => {
  server = await startMemoryServer(["--max-aspect-ratio", "100000"]);
});

afterAll(async () => {
  await server?.stop();
});

describe("echoing images JPEG cannot hold", () => {
  it("answers a 100000x1 image as PNG", async () => {
    const wide = base64Image(await flatPng(100_000, 1));
    const { result, growthMb } = await peakGrowth(server, () =>
      postJson(server.url, "/workflows/run", { specification: ECHO_WORKFLOW, inputs: { image: wide } }),
    );
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    const image = (result.body.outputs as Array<{ image: { type: string; value: string } }>)[0].image;
    expect(image.type).toBe("base64");
    const metadata = await sharp(Buffer.from(image.value, "base64")).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["png", 100_000, 1]);
  });

  it("still answers an ordinary image as JPEG", async () => {
    const answer = await postJson(server.url, "/workflows/run", { specification: ECHO_WORKFLOW, inputs: { image: base64Image(await flatPng(64, 48)) } });
    expect(answer.status).toBe(200);
    const image = (answer.body.outputs as Array<{ image: { value: string } }>)[0].image;
    expect((await sharp(Buffer.from(image.value, "base64")).metadata()).format).toBe("jpeg");
  });
});
