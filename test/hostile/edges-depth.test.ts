/**
 * Deeply nested JSON (issue 20, finding 10): 10,000 levels used to overflow the stack in the
 * compiler and the serialiser (500 "Maximum call stack size exceeded", a stack trace from the
 * CLI). Every way in refuses nesting beyond 100 levels, counted without recursion, with a message
 * naming the limit (docs/reference/http.md#limits, docs/reference/workflows.md#nesting-depth).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/definition/json.js";
import { compile, WorkflowDefinitionError } from "../../src/index.js";
import { runCli } from "../helpers/cli.js";
import { scratchDir } from "../video/helpers.js";
import { call, startServer, type Json, type RunningServer } from "../server/helpers.js";

/** `levels` nested lists as JSON text: `[[[…]]]`. */
const nestedText = (levels: number) => "[".repeat(levels) + "]".repeat(levels);
const nested = (levels: number): unknown => JSON.parse(nestedText(levels));

const PARAMETER = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "x", selector: "$inputs.x" }],
};

/** A definition whose parameter's default value nests `levels` deep, as text (the definition itself adds 3 levels). */
const deepDefinitionText = (levels: number) =>
  `{"version":"1.0","inputs":[{"type":"WorkflowParameter","name":"x","default_value":${nestedText(levels)}}],"steps":[],"outputs":[]}`;

const scratch = scratchDir("edges-depth");
let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

describe("the server", () => {
  it("answers a 10,000-level body with 400 MalformedRequestError naming the limit, on every route", async () => {
    expect(MAX_JSON_DEPTH).toBe(100);
    for (const [path, text] of [
      ["/workflows/validate", deepDefinitionText(10_000)],
      ["/workflows/run", `{"specification":${JSON.stringify(PARAMETER)},"inputs":{"x":${nestedText(10_000)}}}`],
      ["/clip/embed_text", `{"text":${nestedText(10_000)}}`],
      ["/workflows/blocks/describe", `{"dynamic_blocks_definitions":${nestedText(10_000)}}`],
    ]) {
      const answer = await call(server.url, "POST", path, { raw: text, headers: { "content-type": "application/json" } });
      expect(answer.status, `${path}: ${answer.text.slice(0, 200)}`).toBe(400);
      expect(answer.body).toMatchObject({ error_type: "MalformedRequestError", message: expect.stringMatching(/deeper than the limit of 100 levels/) });
    }
  });

  it("runs a value nested 90 levels deep", async () => {
    const answer = await call(server.url, "POST", "/workflows/run", { json: { specification: PARAMETER, inputs: { x: nested(90) } } });
    expect(answer.status, answer.text.slice(0, 300)).toBe(200);
    expect(JSON.stringify((answer.body as { outputs: Json[] }).outputs[0].x)).toBe(nestedText(90));
  });
});

describe("the library and the CLI", () => {
  it("compile() refuses a deep definition with WorkflowDefinitionError, and run() a deep input with RuntimeInputError", async () => {
    expect(() => compile(JSON.parse(deepDefinitionText(10_000)))).toThrow(WorkflowDefinitionError);
    expect(() => compile(JSON.parse(deepDefinitionText(10_000)))).toThrow(/deeper than the limit of 100 levels/);
    const engine = compile(PARAMETER);
    await expect(engine.run({ x: nested(10_000) })).rejects.toMatchObject({
      errorType: "RuntimeInputError",
      message: expect.stringMatching(/"x".*100 levels/),
    });
    await expect(engine.run({ x: nested(100) })).resolves.toEqual([{ x: nested(100) }]);
  });

  it("sightline validate and run: a clear error and exit 1, no stack trace", async () => {
    const definition = join(scratch(), "deep.json");
    await writeFile(definition, deepDefinitionText(10_000));
    const validated = await runCli(["validate", definition]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(/WorkflowDefinitionError: .*deeper than the limit of 100 levels/);
    expect(validated.stderr).not.toMatch(/unexpected error|RangeError|\n\s+at /);

    const parameter = join(scratch(), "parameter.json");
    const inputs = join(scratch(), "inputs.jsonl");
    await writeFile(parameter, JSON.stringify(PARAMETER));
    await writeFile(inputs, `{"x":${nestedText(10_000)}}\n{"x":1}\n`);
    const ran = await runCli(["run", parameter, "--inputs", inputs]);
    expect(ran.code).toBe(1);
    expect(ran.lines).toEqual([{ error: expect.objectContaining({ error_type: "RuntimeInputError" }) }, { outputs: [{ x: 1 }] }]);
    expect(ran.stderr).not.toMatch(/unexpected error|RangeError|\n\s+at /);
  });
});
