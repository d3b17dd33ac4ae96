/** Custom JavaScript blocks in workflows: upstream's custom-block tests, translated, plus the sandbox holding. */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDynamicBlock, sandboxPool } from "../../src/blocks/custom/dynamic-block.js";
import { compile, Services, WorkflowImage } from "../../src/index.js";
import { runCli, writeTemp } from "../helpers/cli.js";
import { errorOf, rejectionOf } from "../helpers/errors.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/dynamic-blocks");

function customBlock(
  runCode: string,
  extra: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; manifest?: Record<string, unknown>; code?: Record<string, unknown> } = {},
) {
  return {
    version: "1.0",
    inputs: [
      { type: "WorkflowParameter", name: "value" },
      { type: "WorkflowImage", name: "image" },
    ],
    dynamic_blocks_definitions: [
      {
        type: "DynamicBlockDefinition",
        manifest: {
          type: "ManifestDescription",
          block_type: "Custom",
          inputs: extra.inputs ?? { value: { type: "DynamicInputDefinition", selector_types: ["input_parameter"] } },
          outputs: extra.outputs ?? { result: { type: "DynamicOutputDefinition", kind: [] } },
          ...extra.manifest,
        },
        code: { type: "JavaScriptCode", run_function_code: runCode, ...extra.code },
      },
    ],
    steps: [{ type: "Custom", name: "custom", value: "$inputs.value", ...(extra.inputs && "image" in extra.inputs ? { image: "$inputs.image" } : {}) }],
    outputs: [{ type: "JsonField", name: "result", selector: "$steps.custom.result" }],
  };
}

const image = (value: number) =>
  new WorkflowImage({ width: 2, height: 1, data: new Uint8Array([value, value, value, value, value, value]), parentId: "image" });

describe("upstream's custom block tests, in JavaScript", () => {
  it("row 20: the workflow context is exposed", async () => {
    const result = await runCli(["run", `${FIXTURES}/context-probe.json`, "--inputs", writeTemp("in.json", { value: 37 })]);
    expect(result.code).toBe(0);
    const [line] = result.lines as { outputs: Record<string, unknown>[] }[];
    expect(line.outputs).toHaveLength(1);
    expect(line.outputs[0]).toMatchObject({ step_name: "context_probe", step_selector: "$steps.context_probe", block_type: "ContextProbe", value: 37 });
    expect(line.outputs[0].workflow_execution_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("row 21's shape: a batch-input block gets the whole batch and returns one result per element", async () => {
    const result = await runCli([
      "run",
      `${FIXTURES}/batch-max.json`,
      "--inputs",
      writeTemp("in.json", {
        confidences: [
          [0.31, 0.85599, 0.5],
          [0.84284, 0.2],
        ],
      }),
    ]);
    expect(result.lines).toEqual([{ outputs: [{ max_confidence: 0.85599 }, { max_confidence: 0.84284 }] }]);
  });

  it("row 22 in JavaScript: a declared run function that does not exist is a DynamicBlockError at compile time", async () => {
    const result = await runCli(["validate", writeTemp("wf.json", customBlock(""))]);
    expect(result.code).toBe(1);
    expect(result.lines[0]).toMatchObject({ error_type: "DynamicBlockError" });
    expect((result.lines[0] as { message: string }).message).toContain("`run` not found");
  });
});

describe("custom blocks", () => {
  it("keep module-level state across runs of one engine", async () => {
    const engine = compile(customBlock("let calls = 0;\nfunction run({ value }) { calls += 1; return { result: `${value}:${calls}` }; }"));
    try {
      expect(await engine.run({ value: "a", image: image(1) })).toEqual([{ result: "a:1" }]);
      expect(await engine.run({ value: "b", image: image(1) })).toEqual([{ result: "b:2" }]);
    } finally {
      await engine.close();
    }
  });

  it("read and return images", async () => {
    const definition = customBlock(
      "function run({ image }) { const data = new Uint8Array(image.data.length); for (let i = 0; i < data.length; i++) data[i] = 255 - image.data[i]; return { result: { width: image.width, height: image.height, data, parent_id: image.parent_id } }; }",
      {
        inputs: {
          value: { type: "DynamicInputDefinition", selector_types: ["input_parameter"] },
          image: { type: "DynamicInputDefinition", selector_types: ["input_image"] },
        },
      },
    );
    const engine = compile(definition);
    try {
      const [result] = await engine.run({ value: 1, image: image(10) });
      const inverted = result.result as WorkflowImage;
      expect(inverted).toBeInstanceOf(WorkflowImage);
      expect([...inverted.data]).toEqual([245, 245, 245, 245, 245, 245]);
      expect(inverted.parentId).toBe("image");
    } finally {
      await engine.close();
    }
  });

  it("cannot reach the host, and a runaway loop is stopped while the engine carries on", async () => {
    const escape = compile(
      customBlock(
        'function run() { return { result: [typeof process, typeof require, (function(){ try { return typeof this.constructor.constructor("return process")(); } catch (e) { return "blocked"; } })()] }; }',
      ),
    );
    try {
      const [{ result }] = await escape.run({ value: 1, image: image(1) });
      const [processType, requireType, constructorEscape] = result as string[];
      expect([processType, requireType]).toEqual(["undefined", "undefined"]);
      expect(["undefined", "blocked"]).toContain(constructorEscape);
    } finally {
      await escape.close();
    }
    const runaway = compile(customBlock("function run({ value }) { if (value === 'loop') { while (true) {} } return { result: value }; }"));
    try {
      const error = await rejectionOf(runaway.run({ value: "loop", image: image(1) }));
      expect(error.errorType).toBe("StepExecutionError");
      expect(error.message).toMatch(/time limit/);
      expect(await runaway.run({ value: "next", image: image(1) })).toEqual([{ result: "next" }]);
    } finally {
      await runaway.close();
    }
  }, 60_000);

  it("reject code that does not parse, Python code, and outputs other than declared", async () => {
    expect(() => compile(customBlock("function run( {"))).toThrow(/does not parse/);
    const python = customBlock("def run(self, value):\n    return {'result': value}");
    (python.dynamic_blocks_definitions[0].code as Record<string, unknown>).type = "PythonCode";
    expect(() => compile(python)).toThrow(/PythonCode, which sightline cannot run/);
    const engine = compile(customBlock("function run() { return { other: 1 }; }"));
    try {
      const error = await rejectionOf(engine.run({ value: 1, image: image(1) }));
      expect(error.errorType).toBe("StepExecutionError");
      expect(error.message).toContain("declares [result]");
    } finally {
      await engine.close();
    }
  });
});

/** `definition` with `count` steps of its custom block instead of one. */
function withSteps(definition: ReturnType<typeof customBlock>, count: number): ReturnType<typeof customBlock> {
  return {
    ...definition,
    steps: Array.from({ length: count }, (_, index) => ({ ...definition.steps[0], name: `custom_${index}` })),
    outputs: [{ type: "JsonField", name: "result", selector: "$steps.custom_0.result" }],
  };
}

describe("custom steps' limits", () => {
  const double = customBlock("let calls = 0;\nfunction run({ value }) { calls += 1; return { result: value * 2 + calls }; }");

  it("refuse a definition with more custom steps than maxCustomSteps (default 32), before any code loads", () => {
    const error = errorOf(() => compile(withSteps(double, 33)));
    expect(error.errorType).toBe("DynamicBlockError");
    expect(error.message).toBe(
      "The definition has 33 steps of custom blocks; at most 32 are allowed (the maxCustomSteps option; sightline serve --max-custom-steps).",
    );
    expect(errorOf(() => compile(withSteps(double, 3), { maxCustomSteps: 2 })).message).toMatch(/has 3 steps .* at most 2/);
    expect(() => compile(withSteps(double, 40), { maxCustomSteps: 40 })).not.toThrow();
  });

  it("run on the threads of the sandbox pool of their Services, each step keeping its own state", async () => {
    const services = new Services({ sandbox: { maxWorkers: 1 } });
    const engine = compile(withSteps(double, 5), { services });
    try {
      expect(await engine.run({ value: 20, image: image(1) })).toEqual([{ result: 41 }]);
      expect(await engine.run({ value: 20, image: image(1) })).toEqual([{ result: 42 }]);
      expect(services.get(sandboxPool).threads).toBe(1);
    } finally {
      await engine.close();
      await services.close();
    }
    expect(() => new Services({ sandbox: { maxWorkers: "two" } }).get(sandboxPool)).toThrow("settings.sandbox.maxWorkers must be a number");
  });

  it("stop loading when the run is aborted, and closing the engine does not wait for code that never loads", async () => {
    const services = new Services({ sandbox: { maxWorkers: 1 } });
    const endless = withSteps(customBlock("while (true) {}\nfunction run() { return { result: 1 }; }"), 3);
    const engine = compile(endless, { services, dynamicBlocks: (definition) => buildDynamicBlock(definition, { limits: { timeMs: 600_000 } }) });
    const controller = new AbortController();
    const running = engine.run({ value: 1, image: image(1) }, { signal: controller.signal });
    const reason = new Error("the request timed out");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    await engine.close();
    await services.close();
  });
});
