/**
 * What Roboflow's clients need from the server, request by request (the SDK itself is driven in
 * test/sdk/): GET bodies, `/info`, the distinct 401s, error bodies without empty inner fields,
 * the session id in the inputs, the CLIP routes on the tiny generated CLIP (real ONNX Runtime),
 * and the routes of models sightline does not run.
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Services } from "../../src/index.js";
import { createTinyClipModel } from "../../src/models/index.js";
import { UNAVAILABLE_MODEL_ROUTES } from "../../src/server/hosted-models.js";
import { scratchDir } from "../video/helpers.js";
import { call, pngImage, startServer, type Json, type RunningServer } from "./helpers.js";

const ECHO = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "x", selector: "$inputs.x" }],
};

const BUFFER = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "value" }],
  steps: [{ type: "roboflow_core/buffer@v1", name: "last_two", data: "$inputs.value", length: 2 }],
  outputs: [{ type: "JsonField", name: "last_two", selector: "$steps.last_two.output" }],
};

/** A GET with a JSON body, as Roboflow's Python SDK sends them (fetch refuses to). */
function getWithBody(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}${path}`,
      { method: "GET", headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers } },
      (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Json }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const scratch = scratchDir("roboflow-clients");
let services: Services;
let open: RunningServer;
let secured: RunningServer;

beforeAll(async () => {
  const folder = await createTinyClipModel(join(scratch(), "tiny-clip"));
  services = new Services({ models: { folders: { "ViT-B-16": folder, "ViT-B-32": folder }, offline: true } });
  open = await startServer({ services });
  secured = await startServer({ apiKey: "sekrit" });
});

afterAll(async () => {
  await open?.close();
  await secured?.close();
  await services?.close();
});

describe("API keys and GET bodies", () => {
  it("a GET's JSON body carries api_key (list, status, consume), alongside the header and the query", async () => {
    const list = await getWithBody(secured.url, "/inference_pipelines/list", JSON.stringify({ api_key: "sekrit" }));
    expect(list).toMatchObject({ status: 200, body: { status: "success", pipelines: [] } });
    // An unknown pipeline gets past the key check to the route's own 404.
    const status = await getWithBody(secured.url, "/inference_pipelines/nope/status", JSON.stringify({ api_key: "sekrit" }));
    expect(status).toMatchObject({ status: 404, body: { error_type: "ProcessesManagerNotFoundError" } });
    const consume = await getWithBody(secured.url, "/inference_pipelines/nope/consume", JSON.stringify({ api_key: "sekrit", excluded_fields: ["x"] }));
    expect(consume.status).toBe(404);
  });

  it("a missing key and a wrong one get different messages, on GET and POST alike", async () => {
    const missing = await getWithBody(secured.url, "/inference_pipelines/list", "{}");
    expect(missing).toMatchObject({ status: 401, body: { error_type: "Unauthorized", message: expect.stringMatching(/requires an API key/) } });
    const wrong = await getWithBody(secured.url, "/inference_pipelines/list", JSON.stringify({ api_key: "sekrt" }));
    expect(wrong).toMatchObject({ status: 401, body: { error_type: "Unauthorized", message: expect.stringMatching(/not this server's/) } });
    const header = await call(secured.url, "POST", "/workflows/run", {
      json: { specification: ECHO, inputs: { x: 1 } },
      headers: { authorization: "Bearer sekrt" },
    });
    expect((header.body as Json).message).toBe(wrong.body.message);
  });

  it("GET /info answers without a key: upstream's ServerVersionInfo", async () => {
    const info = await call(secured.url, "GET", "/info");
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ name: "sightline", version: expect.stringMatching(/^\d+\.\d+\.\d+/), uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("a GET with a JSON content type and no body is a GET; a malformed GET body is 400", async () => {
    expect((await getWithBody(open.url, "/inference_pipelines/list", "")).status).toBe(200);
    const malformed = await getWithBody(open.url, "/inference_pipelines/list", "{");
    expect(malformed).toMatchObject({ status: 400, body: { error_type: "MalformedRequestError" } });
  });
});

describe("error bodies", () => {
  it("leave out inner_error_type and inner_error_message when the error wraps none (see ModelLoadError below for one that does)", async () => {
    for (const answer of [
      await call(open.url, "POST", "/workflows/run", { json: { inputs: {} } }),
      await call(open.url, "POST", "/clip/embed_image", { json: { image: { type: "base64", value: "bm90IGFuIGltYWdl" } } }),
      await call(secured.url, "GET", "/sessions"),
    ]) {
      expect([422, 400, 401]).toContain(answer.status);
      expect(Object.keys(answer.body as Json)).toEqual(expect.not.arrayContaining(["inner_error_type", "inner_error_message"]));
    }
  });
});

describe("session id in the inputs", () => {
  it("names the session and leaves the inputs; the body's session_id wins", async () => {
    const run = async (inputs: Json, extra: Json = {}) => {
      const answer = await call(open.url, "POST", "/workflows/run", { json: { specification: BUFFER, inputs, ...extra } });
      expect(answer.status, answer.text).toBe(200);
      return (answer.body as { outputs: unknown[] }).outputs;
    };
    expect(await run({ value: 1, session_id: "in-inputs" })).toEqual([{ last_two: [1] }]);
    expect(await run({ value: 2, session_id: "in-inputs" })).toEqual([{ last_two: [2, 1] }]);
    expect(await run({ value: 3, session_id: "ignored" }, { session_id: "in-inputs" })).toEqual([{ last_two: [3, 2] }]);
    const sessions = (await call(open.url, "GET", "/sessions")).body as { sessions: Array<{ session_id: string }> };
    expect(sessions.sessions.map((session) => session.session_id)).toEqual(["in-inputs"]);
  });

  it("is the workflow's own input when it declares one named session_id", async () => {
    const declares = {
      ...ECHO,
      inputs: [{ type: "WorkflowParameter", name: "session_id" }],
      outputs: [{ type: "JsonField", name: "x", selector: "$inputs.session_id" }],
    };
    const answer = await call(open.url, "POST", "/workflows/run", { json: { specification: declares, inputs: { session_id: "label" } } });
    expect(answer.body).toEqual({ outputs: [{ x: "label" }] });
    const sessions = (await call(open.url, "GET", "/sessions")).body as { sessions: Array<{ session_id: string }> };
    expect(sessions.sessions.map((session) => session.session_id)).not.toContain("label");
  });

  it("one that is not a valid id is 422 naming inputs.session_id", async () => {
    const answer = await call(open.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 1, session_id: "no spaces" } } });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ error_type: "RequestValidationError", detail: [{ loc: ["body", "inputs", "session_id"] }] });
  });
});

describe("CLIP routes", () => {
  const embed = async (path: string, json: Json) => {
    const answer = await call(open.url, "POST", path, { json });
    return { status: answer.status, body: answer.body as Json };
  };

  it("embed images and texts, one or a batch, with upstream's response fields", async () => {
    const red = { type: "base64", value: (await pngImage(40, 30, [220, 20, 20])).toString("base64") };
    const blue = { type: "base64", value: (await pngImage(40, 30, [20, 20, 220])).toString("base64") };
    const one = await embed("/clip/embed_image", { image: red });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ frame_id: null, time: expect.any(Number), inference_id: expect.any(String) });
    const batch = await embed("/clip/embed_image", { image: [blue, red] });
    const [blueEmbedding, redEmbedding] = batch.body.embeddings as number[][];
    expect(redEmbedding).toEqual((one.body.embeddings as number[][])[0]);
    expect(blueEmbedding).not.toEqual(redEmbedding);
    const texts = await embed("/clip/embed_text", { text: ["a cat", "a dog"], clip_version_id: "ViT-B-32" });
    expect((texts.body.embeddings as number[][]).map((embedding) => embedding.length)).toEqual([16, 16]);
    const viaModelId = await embed("/clip/embed_text", { text: "a cat", model_id: "clip/ViT-B-32" });
    expect(viaModelId.body.embeddings).toEqual([(texts.body.embeddings as number[][])[0]]);
  });

  it("compare: a list gives a list, named prompts an object, and an object with type and value is one image", async () => {
    const red = { type: "base64", value: (await pngImage(40, 30, [220, 20, 20])).toString("base64") };
    const listed = await embed("/clip/compare", { subject: red, prompt: ["a cat", "a dog"] });
    const [cat, dog] = listed.body.similarity as number[];
    expect(listed.body).toMatchObject({ parent_id: null, frame_id: null });
    const named = await embed("/clip/compare", { subject: red, prompt: { cat: "a cat", dog: "a dog" } });
    expect(named.body.similarity).toEqual({ cat, dog });
    const reversed = await embed("/clip/compare", { subject: "a cat", subject_type: "text", prompt: red, prompt_type: "image" });
    expect((reversed.body.similarity as number[])[0]).toBeCloseTo(cat, 12);
    const itself = await embed("/clip/compare", { subject: red, prompt: [red], prompt_type: "image" });
    expect((itself.body.similarity as number[])[0]).toBeCloseTo(1, 6);
  });

  it("refuse versions outside upstream's list (never a server path), and say which image cannot be read and why", async () => {
    const path = await embed("/clip/embed_text", { text: "a cat", clip_version_id: "/etc" });
    expect(path).toMatchObject({ status: 422, body: { detail: [{ loc: ["body", "clip_version_id"] }] } });
    const modelId = await embed("/clip/embed_text", { text: "a cat", model_id: "yolov8n-640" });
    expect(modelId).toMatchObject({ status: 422, body: { detail: [{ loc: ["body", "model_id"] }] } });
    const red = { type: "base64", value: (await pngImage(8, 8)).toString("base64") };
    const local = await embed("/clip/embed_image", { image: [red, { type: "file", value: "/etc/passwd" }] });
    expect(local).toMatchObject({ status: 400, body: { error_type: "RuntimeInputError", message: expect.stringMatching(/^image\[1\]: .*base64/) } });
    const garbage = await embed("/clip/embed_image", { image: { type: "base64", value: "bm90IGFuIGltYWdl" } });
    expect(garbage).toMatchObject({ status: 400, body: { error_type: "RuntimeInputError", message: expect.stringMatching(/^image: could not decode image/) } });
  });

  it("a model the server cannot load is 500 ModelLoadError whose inner error says what to do", async () => {
    const empty = new Services({ models: { offline: true, cacheDir: join(scratch(), "empty-cache") } });
    const bare = await startServer({ services: empty });
    try {
      const answer = await call(bare.url, "POST", "/clip/embed_text", { json: { text: "a cat" } });
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({
        error_type: "ModelLoadError",
        message: "CLIP ViT-B-16 is not available on this server.",
        context: "model_loading",
        inner_error_type: "ModelOfflineError",
      });
    } finally {
      await bare.close();
      await empty.close();
    }
  });
});

describe("models sightline does not run", () => {
  it.each(UNAVAILABLE_MODEL_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    "%s → 501 saying what to use instead",
    async (_name, route) => {
      const answer = await call(open.url, route.method, route.path, route.method === "POST" ? { json: {} } : {});
      expect(answer.status).toBe(501);
      expect(answer.body).toMatchObject({
        error_type: "ModelNotAvailableError",
        context: "model_retrieval",
        message: expect.stringMatching(/\/clip\/embed_image/),
      });
    },
  );
});
