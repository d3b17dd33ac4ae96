/**
 * Issue 20, finding 5: many tiny images in one request. Beyond `--max-images-per-request` (64)
 * the request is refused before any image is decoded; and where an operator allows thousands,
 * each image costs little: CLIP preprocesses a batch at a time instead of holding a 224² float
 * tensor for every image of the request at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  base64Image,
  CLIP_WORKFLOW,
  flatPng,
  peakGrowth,
  postJson,
  REQUEST_GROWTH_BOUND_MB,
  startMemoryServer,
  WIDTH_WORKFLOW,
  type MemoryServer,
} from "./memory-helpers.js";

const MANY = 3000;
/**
 * Where the limit is raised: 500 tiny images took ~300 MB before (0.6 MB each); now about 170 MB
 * on Node 24 (115 MB on Node 20), most of it the run's fixed cost rather than the images'.
 */
const ALLOWED = 500;

let defaults: MemoryServer;
let raised: MemoryServer;
let tiny: { type: "base64"; value: string };

beforeAll(async () => {
  [defaults, raised] = await Promise.all([startMemoryServer(), startMemoryServer(["--max-images-per-request", String(ALLOWED)])]);
  tiny = base64Image(await flatPng(2, 2));
});

afterAll(async () => {
  await Promise.all([defaults?.stop(), raised?.stop()]);
});

describe("many images in one request", () => {
  it("refuses 3000 images on the workflow route with 413 before decoding any, naming the limit and its flag", async () => {
    const { result, growthMb } = await peakGrowth(defaults, () =>
      postJson(defaults.url, "/workflows/run", { specification: WIDTH_WORKFLOW, inputs: { image: Array.from({ length: MANY }, () => tiny) } }),
    );
    expect(growthMb).toBeLessThan(64);
    expect(result.status).toBe(413);
    expect(result.body.error_type).toBe("PayloadTooLargeError");
    expect(result.body.message).toMatch(/3000 images.*input "image".*64.*--max-images-per-request/);
  });

  it("refuses 65 images on the CLIP route with 413", async () => {
    const answer = await postJson(defaults.url, "/clip/embed_image", { image: Array.from({ length: 65 }, () => tiny), clip_version_id: "ViT-B-32" });
    expect(answer.status).toBe(413);
    expect(answer.body.message).toMatch(/65 images.*64.*--max-images-per-request/);
  });

  it("embeds 64 images, the limit, on both routes", async () => {
    const images = Array.from({ length: 64 }, () => tiny);
    expect((await postJson(defaults.url, "/workflows/run", { specification: CLIP_WORKFLOW, inputs: { image: images } })).status).toBe(200);
    expect((await postJson(defaults.url, "/clip/embed_image", { image: images, clip_version_id: "ViT-B-32" })).status).toBe(200);
  });

  it("embeds 500 tiny images within the bound where the limit allows them", async () => {
    const { result, growthMb } = await peakGrowth(raised, () =>
      postJson(raised.url, "/workflows/run", { specification: CLIP_WORKFLOW, inputs: { image: Array.from({ length: ALLOWED }, () => tiny) } }),
    );
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status, JSON.stringify(result.body).slice(0, 400)).toBe(200);
    expect(result.body.outputs).toHaveLength(ALLOWED);
  });
});
