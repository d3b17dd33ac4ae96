/**
 * A CLIP workflow over HTTP on the project's own tiny CLIP (real ONNX Runtime): every request,
 * session and engine uses the server's one `Services`, so the model is loaded once and shared.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Services } from "../../src/index.js";
import { modelRuntime } from "../../src/models/runtime.js";
import { createTinyClipModel } from "../../src/models/index.js";
import { scratchDir } from "../video/helpers.js";
import { call, pngImage, startServer, type Json, type RunningServer } from "./helpers.js";

const EMBED = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image", version: "ViT-B-32" }],
  outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
};

const scratch = scratchDir("server-models");
let services: Services;
let server: RunningServer;

beforeAll(async () => {
  const folder = await createTinyClipModel(join(scratch(), "tiny-clip"));
  services = new Services({ models: { folders: { "ViT-B-32": folder }, offline: true } });
  server = await startServer({ services });
});

afterAll(async () => {
  await server?.close();
  await services?.close();
});

describe("models behind the server", () => {
  it("stateless requests and a session share one loaded model and give the same embedding", async () => {
    const image = { type: "base64", value: (await pngImage(48, 40, [200, 30, 90])).toString("base64") };
    const embeddings: number[][] = [];
    for (const extra of [{}, {}, { session_id: "clip" }]) {
      const answer = await call(server.url, "POST", "/workflows/run", { json: { specification: EMBED, inputs: { image }, ...extra } });
      expect(answer.status, answer.text).toBe(200);
      embeddings.push(((answer.body as Json).outputs as Array<{ embedding: number[] }>)[0].embedding);
    }
    expect(embeddings[0]).toHaveLength(16);
    expect(embeddings[1]).toEqual(embeddings[0]);
    expect(embeddings[2]).toEqual(embeddings[0]);
    const runtime = services.get(modelRuntime);
    expect(runtime.stats.visionImages).toBe(3);
  });
});
