/**
 * Upstream's workflow routes over real HTTP (docs/reference/http.md#workflow-routes,
 * docs/reference/errors.md#status-table): bodies, status codes and error bodies, compat INDEX rows
 * 23–25, auth, body limit, concurrency limit, timeout, block errors and local paths.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, heldRuns, HOLD_WORKFLOW, pngImage, releaseHeld, serveFiles, startServer, type Json, type RunningServer } from "./helpers.js";
import { waitFor } from "../video/helpers.js";

const EXAMPLES = resolve(import.meta.dirname, "../fixtures/roboflow-examples");
const example = (name: string) => JSON.parse(readFileSync(resolve(EXAMPLES, `test_workflow_endpoints__${name}.json`), "utf8")) as Json;

/** Row 23's definition with the detector (which needs a mapped model) swapped for a model-free step. */
const ROW_23_MODEL_FREE = {
  version: "1.0",
  inputs: [
    { type: "WorkflowImage", name: "image" },
    { type: "WorkflowParameter", name: "model_id" },
    { type: "WorkflowParameter", name: "confidence", default_value: 0.3 },
  ],
  steps: [
    { type: "PropertyDefinition", name: "size", data: "$inputs.image", operations: [{ type: "ExtractImageProperty", property_name: "size" }] },
    {
      type: "roboflow_core/string_template@v1",
      name: "label",
      template: "{model} @ {confidence}",
      data: { model: "$inputs.model_id", confidence: "$inputs.confidence" },
    },
  ],
  outputs: [
    { type: "JsonField", name: "result", selector: "$steps.size.output" },
    { type: "JsonField", name: "label", selector: "$steps.label.output" },
  ],
};

const CUSTOM_BLOCK = JSON.parse(readFileSync(resolve(import.meta.dirname, "../fixtures/dynamic-blocks/batch-max.json"), "utf8")) as Json & {
  dynamic_blocks_definitions: unknown[];
};

const ECHO = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "x", selector: "$inputs.x" }],
};

let server: RunningServer;
let images: { url: string; close: () => Promise<void> };
let png: Buffer;

beforeAll(async () => {
  server = await startServer();
  png = await pngImage(40, 30);
  images = await serveFiles({ "/a.png": { body: png, type: "image/png" }, "/b.png": { body: await pngImage(20, 10), type: "image/png" } });
});

afterAll(async () => {
  await server?.close();
  await images?.close();
});

describe("POST /workflows/run", () => {
  it("row 23's request shape (two URL images, api_key, parameters) → 200 with one output per image", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", {
      json: {
        specification: ROW_23_MODEL_FREE,
        api_key: "any-key",
        inputs: {
          image: [
            { type: "url", value: `${images.url}/a.png` },
            { type: "url", value: `${images.url}/b.png` },
          ],
          model_id: "yolov8n-640",
        },
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      outputs: [
        { result: 1200, label: "yolov8n-640 @ 0.3" },
        { result: 200, label: "yolov8n-640 @ 0.3" },
      ],
    });
  });

  it("the legacy route /infer/workflows answers the same", async () => {
    const answer = await call(server.url, "POST", "/infer/workflows", { json: { specification: ECHO, inputs: { x: [1, 2] } } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ outputs: [{ x: [1, 2] }] });
  });

  it("keeps nulls inside outputs, applies excluded_fields, and accepts upstream's optional flags", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", {
      json: {
        specification: { ...ECHO, outputs: [...ECHO.outputs, { type: "JsonField", name: "y", selector: "$inputs.x" }] },
        inputs: { x: null },
        excluded_fields: ["y"],
        enable_profiling: false,
        debug: false,
        workflow_id: "w",
        disable_sinks: true,
        is_preview: false,
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ outputs: [{ x: null }] });
  });

  it("images come back as base64 JPEG", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", {
      json: {
        specification: {
          version: "1.0",
          inputs: [{ type: "WorkflowImage", name: "image" }],
          steps: [],
          outputs: [{ type: "JsonField", name: "image", selector: "$inputs.image" }],
        },
        inputs: { image: { type: "base64", value: png.toString("base64") } },
      },
    });
    expect(answer.status).toBe(200);
    const image = ((answer.body as Json).outputs as Json[])[0].image as Json;
    expect(image.type).toBe("base64");
    expect(Buffer.from(image.value as string, "base64").subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it("never reads server-side files: a file image or a bare path → 400 RuntimeInputError", async () => {
    const spec = {
      version: "1.0",
      inputs: [{ type: "WorkflowImage", name: "image" }],
      steps: [],
      outputs: [{ type: "JsonField", name: "image", selector: "$inputs.image" }],
    };
    for (const image of [{ type: "file", value: "/etc/hosts" }, "/etc/hosts"]) {
      const answer = await call(server.url, "POST", "/workflows/run", { json: { specification: spec, inputs: { image } } });
      expect(answer.status).toBe(400);
      const body = answer.body as Json;
      expect(body.error_type).toBe("RuntimeInputError");
      expect(body.message).toMatch(/base64|url/i);
    }
  });

  it("a block that throws → 500 StepExecutionError naming the step; the server keeps serving", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", {
      json: { specification: example("test_workflow_run"), inputs: { image: { type: "base64", value: png.toString("base64") }, model_id: "yolov8n-640" } },
    });
    expect(answer.status).toBe(500);
    const body = answer.body as Json;
    expect(body.error_type).toBe("StepExecutionError");
    expect(body.blocks_errors).toEqual([expect.objectContaining({ block_id: "detection", block_type: "roboflow_core/roboflow_object_detection_model@v1" })]);
    expect(body.inner_error_message).toMatch(/"yolov8n-640" is not mapped to a local model folder/);
    expect((await call(server.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 1 } } })).status).toBe(200);
    const metrics = (await call(server.url, "GET", "/metrics")).text;
    expect(metrics).toContain(
      'sightline_step_errors_total{block_type="roboflow_core/roboflow_object_detection_model@v1",error_type="StepExecutionError",origin="http"} 1',
    );
    expect(metrics).toMatch(/sightline_http_requests_total\{method="POST",route="\/workflows\/run",status="500"\} 1/);
  });

  it("runs custom JavaScript blocks in the sandbox; a server without custom blocks refuses them (400)", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", { json: { specification: CUSTOM_BLOCK, inputs: { confidences: [[0.1, 0.5], [0.3]] } } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ outputs: [{ max_confidence: 0.5 }, { max_confidence: 0.3 }] });
    const closed = await startServer({ dynamicBlocks: null });
    try {
      const refused = await call(closed.url, "POST", "/workflows/run", { json: { specification: CUSTOM_BLOCK, inputs: { confidences: [[0.1]] } } });
      expect(refused.status).toBe(400);
      expect((refused.body as Json).error_type).toBe("DynamicBlockError");
    } finally {
      await closed.close();
    }
  });

  it("compile errors are 400 with upstream's body", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", {
      json: { specification: example("test_compilation_endpoint_when_compilation_fails"), inputs: {} },
    });
    expect(answer.status).toBe(400);
    expect((answer.body as Json).error_type).toBe("InvalidReferenceTargetError");
  });

  it("a missing input → 400 RuntimeInputError; a body without specification → 422 with FastAPI's detail", async () => {
    const missing = await call(server.url, "POST", "/workflows/run", { json: { specification: ROW_23_MODEL_FREE, inputs: {} } });
    expect(missing.status).toBe(400);
    expect((missing.body as Json).error_type).toBe("RuntimeInputError");
    const invalid = await call(server.url, "POST", "/workflows/run", { json: { inputs: {} } });
    expect(invalid.status).toBe(422);
    const body = invalid.body as Json;
    expect(body.error_type).toBe("RequestValidationError");
    expect(body.message).toMatch(/specification/);
    expect(body.detail).toEqual([expect.objectContaining({ loc: ["body", "specification"] })]);
  });

  it("malformed JSON → 400 saying so; an empty body → 400; a non-JSON content type → 415", async () => {
    const bad = await call(server.url, "POST", "/workflows/run", { raw: '{"specification": ', headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error_type: "MalformedRequestError", message: expect.stringMatching(/not valid JSON/) });
    const empty = await call(server.url, "POST", "/workflows/run", { raw: "", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(400);
    expect((empty.body as Json).error_type).toBe("MalformedRequestError");
    const form = await call(server.url, "POST", "/workflows/run", { raw: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect((form.body as Json).error_type).toBe("UnsupportedMediaTypeError");
  });

  it("refuses __proto__ keys", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", {
      raw: '{"specification": {}, "inputs": {"__proto__": {"x": 1}}}',
      headers: { "content-type": "application/json" },
    });
    expect(answer.status).toBe(400);
    expect((answer.body as Json).message).toMatch(/__proto__/);
  });
});

describe("POST /workflows/validate", () => {
  it("row 24: undeclared input → 400 InvalidReferenceTargetError with upstream's context", async () => {
    const answer = await call(server.url, "POST", "/workflows/validate", { json: example("test_compilation_endpoint_when_compilation_fails") });
    expect(answer.status).toBe(400);
    const body = answer.body as Json;
    expect(typeof body.message).toBe("string");
    expect(body.error_type).toBe("InvalidReferenceTargetError");
    expect(body.context).toBe("workflow_compilation | execution_graph_construction");
    expect(Array.isArray(body.blocks_errors)).toBe(true);
  });

  it("row 25: version 0.1.0 → 400", async () => {
    const answer = await call(server.url, "POST", "/workflows/validate", {
      json: example("test_compilation_endpoint_when_compilation_fails_due_to_invalid_requested_execution_engine_version"),
    });
    expect(answer.status).toBe(400);
    expect((answer.body as Json).error_type).toBe("NotSupportedExecutionEngineError");
  });

  it("a valid definition → {status: ok}", async () => {
    const answer = await call(server.url, "POST", "/workflows/validate", { json: example("test_workflow_run") });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ok" });
  });
});

describe("describe routes", () => {
  it("GET /workflows/execution_engine/versions", async () => {
    expect((await call(server.url, "GET", "/workflows/execution_engine/versions")).body).toEqual({ versions: ["1.15.0"] });
  });

  it("GET /workflows/definition/schema → {schema} with $defs of the blocks", async () => {
    const answer = await call(server.url, "GET", "/workflows/definition/schema");
    expect(answer.status).toBe(200);
    const schema = (answer.body as Json).schema as Json;
    expect(schema.required).toEqual(["version", "inputs", "steps", "outputs"]);
    expect(Object.keys(schema.$defs as Json)).toContain("roboflow_core_expression_v1");
  });

  it("GET and POST /workflows/blocks/describe; EE 0.1.0 → no blocks; JavaScript dynamic blocks listed, Python ones → 400", async () => {
    const get = await call(server.url, "GET", "/workflows/blocks/describe");
    const blocks = (get.body as Json).blocks as Json[];
    expect(blocks.map((block) => block.manifest_type_identifier)).toContain("roboflow_core/expression@v1");
    expect(get.body).toHaveProperty("kinds_connections");
    const post = await call(server.url, "POST", "/workflows/blocks/describe", { json: {} });
    expect(((post.body as Json).blocks as Json[]).length).toBe(blocks.length);
    const current = await call(server.url, "POST", "/workflows/blocks/describe", { json: { execution_engine_version: "1.15.0" } });
    expect(((current.body as Json).blocks as Json[]).length).toBe(blocks.length);
    const old = await call(server.url, "POST", "/workflows/blocks/describe", { json: { execution_engine_version: "0.1.0" } });
    expect(old.status).toBe(200);
    expect((old.body as Json).blocks).toEqual([]);
    const dynamic = await call(server.url, "POST", "/workflows/blocks/describe", {
      json: {
        dynamic_blocks_definitions: [
          {
            type: "DynamicBlockDefinition",
            manifest: { type: "ManifestDescription", block_type: "Mine", inputs: {}, outputs: {} },
            code: { type: "PythonCode", run_function_code: "def run(self):\n    return {}" },
          },
        ],
      },
    });
    expect(dynamic.status).toBe(400);
    expect((dynamic.body as Json).error_type).toBe("DynamicBlockError");
    const javascript = await call(server.url, "POST", "/workflows/blocks/describe", {
      json: { dynamic_blocks_definitions: CUSTOM_BLOCK.dynamic_blocks_definitions },
    });
    expect(javascript.status).toBe(200);
    const described = ((javascript.body as Json).blocks as Json[]).map((block) => block.manifest_type_identifier);
    expect(described).toContain("MaxConfidence");
    expect(described.length).toBe(blocks.length + 1);
  });

  it("POST /workflows/describe_interface: kinds of inputs and outputs, a whole step field by field; 400 without an API key", async () => {
    const specification = {
      version: "1.0",
      inputs: [
        { type: "WorkflowImage", name: "image" },
        { type: "WorkflowParameter", name: "threshold", kind: ["float"] },
      ],
      steps: [{ type: "PropertyDefinition", name: "size", data: "$inputs.image", operations: [{ type: "ExtractImageProperty", property_name: "size" }] }],
      outputs: [
        { type: "JsonField", name: "size", selector: "$steps.size.output" },
        { type: "JsonField", name: "all", selector: "$steps.size.*" },
      ],
    };
    const withoutKey = await call(server.url, "POST", "/workflows/describe_interface", { json: { specification } });
    expect(withoutKey.status).toBe(400);
    expect((withoutKey.body as Json).error_type).toBe("MissingApiKeyError");
    const answer = await call(server.url, "POST", "/workflows/describe_interface", { json: { specification, api_key: "k" } });
    expect(answer.status).toBe(200);
    const body = answer.body as Json;
    expect(body.inputs).toEqual({ image: ["image"], threshold: ["float"] });
    expect(body.outputs).toEqual({ size: ["*"], all: { output: ["*"] } });
    expect(body.typing_hints).toMatchObject({ image: "dict", float: "float", "*": "Any" });
    expect((body.kinds_schemas as Json).image).toMatchObject({ type: "object" });
    const bearer = await call(server.url, "POST", "/workflows/describe_interface", { json: { specification }, headers: { authorization: "Bearer k" } });
    expect(bearer.status).toBe(200);
  });

  it("POST /{workspace}/workflows/{id} → 501: definitions are never fetched from Roboflow", async () => {
    for (const path of ["/my-ws/workflows/my-flow", "/infer/workflows/my-ws/my-flow", "/my-ws/workflows/my-flow/describe_interface"]) {
      const answer = await call(server.url, "POST", path, { json: { api_key: "k", inputs: {} } });
      expect(answer.status).toBe(501);
      expect(answer.body).toMatchObject({
        error_type: "WorkflowDefinitionNotAvailableError",
        message: expect.stringMatching(/does not fetch.*my-ws\/my-flow/),
      });
    }
  });

  it("an unknown route → 404 JSON", async () => {
    const answer = await call(server.url, "GET", "/no/such/route");
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error_type: "NotFoundError", message: expect.stringContaining("/no/such/route") });
  });
});

describe("API key", () => {
  let secured: RunningServer;
  beforeAll(async () => {
    secured = await startServer({ apiKey: "sekrit" });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it("401 without the key or with a wrong one; 200 with a Bearer header, a body key, or ?api_key= on validate", async () => {
    const body = { specification: ECHO, inputs: { x: 1 } };
    const none = await call(secured.url, "POST", "/workflows/run", { json: body });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error_type: "Unauthorized", message: expect.stringMatching(/API key/) });
    expect((await call(secured.url, "POST", "/workflows/run", { json: { ...body, api_key: "wrong" } })).status).toBe(401);
    expect((await call(secured.url, "POST", "/workflows/run", { json: body, headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await call(secured.url, "POST", "/workflows/run", { json: body, headers: { authorization: "Bearer sekrit" } })).status).toBe(200);
    expect((await call(secured.url, "POST", "/workflows/run", { json: { ...body, api_key: "sekrit" } })).status).toBe(200);
    expect((await call(secured.url, "POST", "/workflows/validate", { json: ECHO })).status).toBe(401);
    expect((await call(secured.url, "POST", "/workflows/validate?api_key=sekrit", { json: ECHO })).status).toBe(200);
    expect((await call(secured.url, "GET", "/metrics")).status).toBe(401);
  });
});

describe("limits", () => {
  it("a body over --max-body-mb → 413 JSON", async () => {
    const small = await startServer({ maxBodyBytes: 1024 });
    try {
      const answer = await call(small.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: "y".repeat(4096) } } });
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({ error_type: "PayloadTooLargeError", message: expect.stringMatching(/1024 bytes/) });
    } finally {
      await small.close();
    }
  });

  it("with every slot busy and the queue full → 429; the held run still completes", async () => {
    const busy = await startServer({ maxConcurrency: 1, maxQueue: 0 });
    try {
      const before = heldRuns.entered;
      const first = call(busy.url, "POST", "/workflows/run", { json: { specification: HOLD_WORKFLOW, inputs: { value: 7 } } });
      await waitFor("the first run to start", () => heldRuns.entered > before);
      const second = await call(busy.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 1 } } });
      expect(second.status).toBe(429);
      expect(second.body).toMatchObject({ error_type: "TooManyRequestsError" });
      expect(second.headers.get("retry-after")).toBe("1");
      releaseHeld();
      const done = await first;
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ outputs: [{ value: 7 }] });
      expect((await call(busy.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 2 } } })).status).toBe(200);
    } finally {
      releaseHeld();
      await busy.close();
    }
  });

  it("queued requests wait their turn instead of failing", async () => {
    const queued = await startServer({ maxConcurrency: 1, maxQueue: 4 });
    try {
      const before = heldRuns.entered;
      const first = call(queued.url, "POST", "/workflows/run", { json: { specification: HOLD_WORKFLOW, inputs: { value: 1 } } });
      await waitFor("the first run to start", () => heldRuns.entered > before);
      const second = call(queued.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 2 } } });
      releaseHeld();
      expect((await first).status).toBe(200);
      expect((await second).body).toEqual({ outputs: [{ x: 2 }] });
    } finally {
      releaseHeld();
      await queued.close();
    }
  });

  it("a run over the request timeout is aborted → 504 RequestTimeoutError, and frees its slot", async () => {
    const strict = await startServer({ requestTimeoutMs: 300, maxConcurrency: 1, maxQueue: 0 });
    try {
      const answer = await call(strict.url, "POST", "/workflows/run", { json: { specification: HOLD_WORKFLOW, inputs: { value: 1 } } });
      expect(answer.status).toBe(504);
      expect(answer.body).toMatchObject({ error_type: "RequestTimeoutError" });
      // The held block saw the abort, so the single slot is free again.
      expect((await call(strict.url, "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 1 } } })).status).toBe(200);
    } finally {
      releaseHeld();
      await strict.close();
    }
  });
});
