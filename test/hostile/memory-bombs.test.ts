/**
 * Issue 20, finding 2: decompression bombs. A 32 KB 1-bit PNG of 16383² and a 70-byte SVG of
 * 16383² are refused from their headers (`--max-image-pixels`) before anything is decoded, on the
 * workflow routes and the CLIP routes alike, even for a workflow that reads only the size; an
 * image of a camera's size still runs.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  base64Image,
  CLIP_WORKFLOW,
  oneBitPngBomb,
  peakGrowth,
  postJson,
  REQUEST_GROWTH_BOUND_MB,
  startMemoryServer,
  WIDTH_WORKFLOW,
  type MemoryServer,
} from "./memory-helpers.js";

/** Refused from its header: the request costs the server no more than its body. */
const REFUSED_GROWTH_BOUND_MB = 64;

let server: MemoryServer;
let bomb: Buffer;

beforeAll(async () => {
  server = await startMemoryServer();
  bomb = oneBitPngBomb();
});

afterAll(async () => {
  await server?.stop();
});

describe("decompression bombs", () => {
  it("refuses a 32 KB 16383x16383 PNG for a workflow that reads only its size, naming the input index, the size, the limit and its flag", async () => {
    expect(bomb.length).toBeLessThan(40_000);
    const image = base64Image(bomb);
    const { result, growthMb } = await peakGrowth(server, () =>
      postJson(server.url, "/workflows/run", { specification: WIDTH_WORKFLOW, inputs: { image: [image, image] } }),
    );
    expect(growthMb).toBeLessThan(REFUSED_GROWTH_BOUND_MB);
    expect(result.status).toBe(400);
    expect(result.body.error_type).toBe("RuntimeInputError");
    expect(result.body.message).toMatch(/Input "image\.\[[01]\]".*16383x16383.*268402689 pixels.*40000000.*--max-image-pixels/);
  });

  it("refuses four bombs at once without the memory of one", async () => {
    const request = () => postJson(server.url, "/workflows/run", { specification: WIDTH_WORKFLOW, inputs: { image: base64Image(bomb) } });
    const { result, growthMb } = await peakGrowth(server, () => Promise.all([request(), request(), request(), request()]));
    expect(growthMb).toBeLessThan(REFUSED_GROWTH_BOUND_MB);
    expect(result.map((answer) => answer.status)).toEqual([400, 400, 400, 400]);
  });

  it("counts an SVG at the size it would be rasterised to", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16383" height="16383"/>');
    const { result, growthMb } = await peakGrowth(server, () =>
      postJson(server.url, "/workflows/run", { specification: WIDTH_WORKFLOW, inputs: { image: base64Image(svg) } }),
    );
    expect(growthMb).toBeLessThan(REFUSED_GROWTH_BOUND_MB);
    expect(result.status).toBe(400);
    expect(result.body.message).toMatch(/Input "image".*16383x16383.*--max-image-pixels/);
  });

  it("refuses a bomb on the CLIP routes, naming the field and index", async () => {
    const small = base64Image(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: "#fff" } })
        .png()
        .toBuffer(),
    );
    const { result, growthMb } = await peakGrowth(server, () =>
      postJson(server.url, "/clip/embed_image", { image: [small, base64Image(bomb)], clip_version_id: "ViT-B-32" }),
    );
    expect(growthMb).toBeLessThan(REFUSED_GROWTH_BOUND_MB);
    expect(result.status).toBe(400);
    expect(result.body.message).toMatch(/image\[1\].*16383x16383.*--max-image-pixels/);
  });

  it("embeds a 40-megapixel photo-sized image (the default limit) within the bound", async () => {
    const photo = await sharp({ create: { width: 8000, height: 5000, channels: 3, background: "#808080" } })
      .jpeg()
      .toBuffer();
    const { result, growthMb } = await peakGrowth(server, () =>
      postJson(server.url, "/workflows/run", { specification: CLIP_WORKFLOW, inputs: { image: base64Image(photo) } }),
    );
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
  });
});
