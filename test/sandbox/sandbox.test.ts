import { describe, expect, it } from "vitest";
import { DynamicBlockCodeError, DynamicBlockError } from "../../src/errors/index.js";
import {
  JavaScriptSandbox,
  SandboxCodeError,
  SandboxCrashError,
  SandboxDataError,
  SandboxExecutionError,
  SandboxFunctionMissingError,
  SandboxLimitError,
} from "../../src/sandbox/index.js";
import { CALL, STEP, rejection, sandboxFactory } from "./helpers.js";

const sandbox = sandboxFactory();

/**
 * One sandbox shared by the table-driven cases below (a sandbox costs a worker thread), with
 * generous time, so that the data check is what refuses a value: copying 1500 levels out takes
 * a noticeable part of the default second on a loaded machine.
 */
function shared(): (code: string) => Promise<JavaScriptSandbox> {
  const made = new Map<string, Promise<JavaScriptSandbox>>();
  return (code) => {
    if (!made.has(code)) made.set(code, sandbox(code, { limits: { timeMs: 30_000 } }));
    return made.get(code)!;
  };
}
const refusing = shared();

describe("calling convention", () => {
  it("keeps module-level state across calls of the same sandbox", async () => {
    const counter = await sandbox(`
      let calls = 0;
      const seen = [];
      function run({ value }) {
        calls += 1;
        seen.push(value);
        return { calls, seen };
      }
    `);
    await counter.run({ value: "a" }, CALL);
    const { output } = await counter.run({ value: "b" }, CALL);
    expect(output).toEqual({ calls: 2, seen: ["a", "b"] });
  });

  it("passes the named inputs as one object and self as the second argument and `this`", async () => {
    const probe = await sandbox(`
      function run(inputs, self) {
        return { keys: Object.keys(inputs), sum: inputs.a + inputs.b, sameSelf: this === self };
      }
    `);
    expect((await probe.run({ a: 2, b: 40 }, CALL)).output).toEqual({ keys: ["a", "b"], sum: 42, sameSelf: true });
  });

  it("gives the workflow context, fresh on every call", async () => {
    const probe = await sandbox(`
      function run({ value }, self) {
        const context = self.getWorkflowContext();
        context.value = value;
        return { context, again: self.getWorkflowContext() };
      }
    `);
    const { output } = await probe.run({ value: 37 }, CALL);
    expect(output).toEqual({
      context: {
        step_name: "custom_step",
        step_selector: "$steps.custom_step",
        block_type: "CustomBlock",
        workflow_execution_id: CALL.workflowExecutionId,
        value: 37,
      },
      again: {
        step_name: "custom_step",
        step_selector: "$steps.custom_step",
        block_type: "CustomBlock",
        workflow_execution_id: CALL.workflowExecutionId,
      },
    });
    const second = await probe.run({ value: 1 }, { workflowExecutionId: "another-run" });
    expect((second.output as { context: { workflow_execution_id: string } }).context.workflow_execution_id).toBe("another-run");
  });

  it("runs init once and shows its results as self.init_results, the same object on every call", async () => {
    const probe = await sandbox(
      `function run(inputs, self) {
         self.init_results.calls += 1;
         return { threshold: self.init_results.threshold, calls: self.init_results.calls, initRuns };
       }`,
      { init: `let initRuns = 0;\nfunction init() { initRuns += 1; return { threshold: 0.25, calls: 0 }; }` },
    );
    await probe.run({}, CALL);
    expect((await probe.run({}, CALL)).output).toEqual({ threshold: 0.25, calls: 2, initRuns: 1 });
  });

  it("gives an empty object as init_results without init code", async () => {
    const probe = await sandbox(`function run(inputs, self) { return { init: self.init_results }; }`);
    expect((await probe.run({}, CALL)).output).toEqual({ init: {} });
  });

  it("finds functions under the declared names, including const arrow functions", async () => {
    const probe = await sandbox(`const predict = ({ x }, self) => ({ y: x * self.init_results.k });`, {
      runName: "predict",
      init: `async function setUp() { return { k: 3 }; }`,
      initName: "setUp",
    });
    expect((await probe.run({ x: 5 }, CALL)).output).toEqual({ y: 15 });
  });

  it("awaits async run functions", async () => {
    const probe = await sandbox(`
      async function run({ x }) {
        const doubled = await Promise.resolve(x * 2);
        await null;
        return { doubled };
      }
    `);
    expect((await probe.run({ x: 21 }, CALL)).output).toEqual({ doubled: 42 });
  });

  it("captures console output per call: log/info/debug to stdout, warn/error to stderr", async () => {
    const probe = await sandbox(`
      console.log("loading");
      function run({ n }) {
        console.log("n is", n, { nested: [n] });
        console.info("info");
        console.error("careful", null);
        return {};
      }
    `);
    expect(probe.loadLogs).toEqual({ stdout: "loading\n", stderr: "" });
    const result = await probe.run({ n: 7 }, CALL);
    expect(result.stdout).toBe('n is 7 {"nested":[7]}\ninfo\n');
    expect(result.stderr).toBe("careful null\n");
    expect((await probe.run({ n: 8 }, CALL)).stdout).toBe('n is 8 {"nested":[8]}\ninfo\n');
  });

  it("truncates console output beyond the log limit", async () => {
    const chatty = await sandbox(`function run() { for (let i = 0; i < 1000; i++) console.log("line " + i); return {}; }`, {
      limits: { logBytes: 100 },
    });
    const { stdout } = await chatty.run({}, CALL);
    expect(stdout.startsWith("line 0\nline 1\n")).toBe(true);
    expect(stdout).toContain("[output truncated: more than 100 bytes]");
    expect(stdout).not.toContain("line 999");
  });

  it("runs calls one at a time, in the order they were made", async () => {
    const counter = await sandbox(`let n = 0; function run({ id }) { n += 1; return { id, n }; }`);
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => counter.run({ id }, CALL)));
    expect(results.map((result) => result.output)).toEqual([1, 2, 3, 4, 5].map((id) => ({ id, n: id })));
  });
});

describe("values crossing the boundary", () => {
  it("round-trips JSON-like values, non-finite numbers, -0, Dates and typed arrays", async () => {
    const echo = await sandbox(`function run(inputs) { return inputs; }`);
    const inputs = {
      list: [1, "two", null, true, { deep: [[-1.5]] }],
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      minusInf: Number.NEGATIVE_INFINITY,
      minusZero: -0,
      when: new Date("2024-05-06T07:08:09.010Z"),
      embedding: new Float32Array([0.5, -0.25, 3]),
      ids: new BigInt64Array([1n, -2n]),
      unicode: "žluťoučký 🐎",
      empty: {},
    };
    const { output } = await echo.run(inputs, CALL);
    expect(output).toEqual(inputs);
    const out = output as typeof inputs;
    expect(Object.is(out.minusZero, -0)).toBe(true);
    expect(out.embedding).toBeInstanceOf(Float32Array);
    expect(out.when).toBeInstanceOf(Date);
    expect(out.ids).toBeInstanceOf(BigInt64Array);
  });

  it("gives the code real Dates and typed arrays", async () => {
    const probe = await sandbox(`
      function run({ when, embedding, view }) {
        return {
          date: when instanceof Date && when.getUTCFullYear(),
          typed: embedding instanceof Float64Array && embedding.length,
          sliced: Array.from(view),
        };
      }
    `);
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const { output } = await probe.run({ when: new Date("2020-01-01T00:00:00Z"), embedding: new Float64Array(4), view: backing.subarray(1, 4) }, CALL);
    expect(output).toEqual({ date: 2020, typed: 4, sliced: [1, 2, 3] });
  });

  it("turns undefined into null, in objects, arrays and as the whole result", async () => {
    const probe = await sandbox(`function run({ which }) { return which === "top" ? undefined : { a: undefined, b: [undefined, 1] }; }`);
    expect((await probe.run({ which: "nested" }, CALL)).output).toEqual({ a: null, b: [null, 1] });
    expect((await probe.run({ which: "top" }, CALL)).output).toBeNull();
  });

  it("returns typed arrays that are views on a larger buffer as their own bytes", async () => {
    const probe = await sandbox(`function run() { const all = new Uint16Array([1, 2, 3, 4, 5]); return { part: all.subarray(1, 3) }; }`);
    const { output } = await probe.run({}, CALL);
    const part = (output as { part: Uint16Array }).part;
    expect(part).toBeInstanceOf(Uint16Array);
    expect(Array.from(part)).toEqual([2, 3]);
    expect(part.buffer.byteLength).toBe(4);
  });

  const refusedOutputs: [string, string, string][] = [
    ["a function", "return { f: () => 1 };", "output.f is a function"],
    ["a symbol", "return { list: [Symbol('s')] };", "output.list[0] is a symbol"],
    ["a BigInt", "return { n: 10n };", "output.n is a BigInt"],
    ["a Map", "return { m: new Map() };", "output.m is a Map"],
    ["a Set", "return { 'odd key': new Set() };", 'output["odd key"] is a Set'],
    ["a nested Promise", "return { p: Promise.resolve(1) };", "output.p is a Promise"],
    ["an ArrayBuffer", "return { b: new ArrayBuffer(4) };", "output.b is an ArrayBuffer"],
    ["a cycle", "const a = { items: [] }; a.items.push(a); return a;", "output.items[0] refers back to itself"],
    ["deep nesting", "let a = []; for (let i = 0; i < 1500; i++) a = [a]; return { a };", "is nested deeper than 1000 levels"],
  ];

  it.each(refusedOutputs)("refuses %s in the output, naming where, and keeps the sandbox", async (what, _body, message) => {
    const cases = refusedOutputs.map(([name, body]) => `if (what === ${JSON.stringify(name)}) { ${body} }`).join("\n");
    const probe = await refusing(`let calls = 0;\nfunction run({ what }) { calls += 1;\n${cases}\nreturn { calls }; }`);
    const before = ((await probe.run({ what: "nothing" }, CALL)).output as { calls: number }).calls;
    const error = await rejection(probe.run({ what }, CALL));
    expect(error).toBeInstanceOf(SandboxDataError);
    expect(error.message).toContain(message);
    expect((await probe.run({ what: "nothing" }, CALL)).output).toEqual({ calls: before + 2 });
    expect(probe.restarts).toBe(0);
  });

  it("allows the same object twice when it is shared, not cyclic", async () => {
    const probe = await sandbox(`function run() { const shared = { v: 1 }; return { a: shared, b: [shared, shared] }; }`);
    expect((await probe.run({}, CALL)).output).toEqual({ a: { v: 1 }, b: [{ v: 1 }, { v: 1 }] });
  });

  it.each([
    ["a Map", { m: new Map() }, "inputs.m is a Map"],
    ["a class instance", { list: [new (class Detections {})()] }, "inputs.list[0] is a Detections"],
    ["a function", { f: () => 1 }, "inputs.f is a function"],
    ["a BigInt", { n: 1n }, "inputs.n is a bigint"],
  ])("refuses %s in the inputs before calling the code", async (_what, inputs, message) => {
    const probe = await refusing(`let calls = 0; function run() { calls += 1; return { calls }; }`);
    const before = ((await probe.run({}, CALL)).output as { calls: number }).calls;
    const error = await rejection(probe.run(inputs, CALL));
    expect(error).toBeInstanceOf(SandboxDataError);
    expect(error.message).toContain(message);
    expect((await probe.run({}, CALL)).output).toEqual({ calls: before + 1 });
  });

  it("refuses cyclic inputs", async () => {
    const probe = await sandbox(`function run() { return {}; }`);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = await rejection(probe.run({ cyclic }, CALL));
    expect(error.message).toContain("inputs.cyclic.self refers back to itself");
  });

  it("enforces the output size limit without discarding the sandbox", async () => {
    const probe = await sandbox(
      `let calls = 0; function run({ size }) { calls += 1; return size === "huge" ? { s: "x".repeat(100000) } : size === "sparse" ? { a: new Array(2 ** 32 - 1) } : { calls }; }`,
      { limits: { outputBytes: 10_000 } },
    );
    for (const size of ["huge", "sparse"]) {
      const error = await rejection(probe.run({ size }, CALL));
      expect(error).toBeInstanceOf(SandboxLimitError);
      expect((error as SandboxLimitError).limit).toBe("output_size");
      expect(error.message).toContain("exceeded output size limit of 10000 bytes");
    }
    expect((await probe.run({ size: "small" }, CALL)).output).toEqual({ calls: 3 });
    expect(probe.restarts).toBe(0);
  });
});

describe("errors in the code", () => {
  it("reports a syntax error as DynamicBlockCodeError with line and column", async () => {
    const error = await rejection(sandbox(`function run(inputs) {\n  return inputs +;\n}`));
    expect(error).toBeInstanceOf(SandboxCodeError);
    expect(error).toBeInstanceOf(DynamicBlockCodeError);
    const codeError = error as SandboxCodeError;
    expect(codeError.errorType).toBe("DynamicBlockCodeError");
    expect(codeError.guestName).toBe("SyntaxError");
    expect(codeError.source).toBe("run_function_code");
    expect(codeError.line).toBe(2);
    expect(codeError.column).toBeGreaterThan(0);
    expect(codeError.message).toMatch(/^run_function_code of step `custom_step` at line 2, column \d+: SyntaxError: /);
    expect(codeError.toBody().blocks_errors).toEqual([
      {
        block_id: "custom_step",
        block_type: "CustomBlock",
        block_details: null,
        property_name: "run_function_code",
        property_details: `at line 2, column ${codeError.column}`,
      },
    ]);
  });

  it("reports a syntax error in the init code against init_function_code", async () => {
    const error = await rejection(sandbox(`function run() { return {}; }`, { init: `\n\nfunction init() { return {; }` }));
    expect(error).toBeInstanceOf(SandboxCodeError);
    expect((error as SandboxCodeError).source).toBe("init_function_code");
    expect((error as SandboxCodeError).line).toBe(3);
  });

  it("refuses module syntax: the code is a script, and nothing can be imported", async () => {
    const error = await rejection(sandbox(`import fs from "fs";\nfunction run() { return {}; }`));
    expect(error).toBeInstanceOf(SandboxCodeError);
    expect((error as SandboxCodeError).line).toBe(1);
  });

  it("reports code that throws while loading as a code error at that line", async () => {
    const error = await rejection(sandbox(`function run() { return {}; }\n\nthrow new RangeError("bad configuration");`));
    expect(error).toBeInstanceOf(SandboxCodeError);
    expect(error.message).toContain("at line 3");
    expect(error.message).toContain("RangeError: bad configuration");
  });

  it("reports a missing run function as DynamicBlockError (empty code, like upstream's test)", async () => {
    const error = await rejection(sandbox(""));
    expect(error).toBeInstanceOf(SandboxFunctionMissingError);
    expect(error).toBeInstanceOf(DynamicBlockError);
    expect(error.message).toContain("declared run function `run` not found");
    expect((error as SandboxFunctionMissingError).role).toBe("run");
  });

  it.each([
    ["defines another name", "function predict() {}", "run_function_code defines no `run`"],
    ["binds a non-function", "const run = 42;", "`run` in run_function_code is not a function"],
  ])("reports a run function that is missing because the code %s", async (_what, code, detail) => {
    const error = await rejection(sandbox(code));
    expect(error).toBeInstanceOf(SandboxFunctionMissingError);
    expect(error.message).toContain(detail);
  });

  it("refuses a declared name that is not an identifier", async () => {
    const error = await rejection(sandbox("function run() {}", { runName: "run(); globalThis" }));
    expect(error).toBeInstanceOf(SandboxFunctionMissingError);
    expect(error.message).toContain("is not a JavaScript identifier");
  });

  it("reports a missing init function when init code is given", async () => {
    const error = await rejection(sandbox("function run() {}", { init: "const ready = true;" }));
    expect(error).toBeInstanceOf(SandboxFunctionMissingError);
    expect((error as SandboxFunctionMissingError).role).toBe("init");
    expect(error.message).toContain("declared init function `init` not found");
  });

  it("reports an exception in init as a code error of init_function_code, with the guest's error name, phase and position", async () => {
    const error = await rejection(sandbox("function run() {}", { init: "function init() {\n  null.x;\n}" }));
    expect(error).toBeInstanceOf(SandboxCodeError);
    expect(error).toMatchObject({ guestName: "TypeError", phase: "init", source: "init_function_code", line: 2 });
    expect(error.message).toMatch(/^init_function_code of step `custom_step` at line 2, column \d+: TypeError: /);
  });

  it("reports an init whose promise rejects or never settles as a compile error naming the step", async () => {
    const rejected = await rejection(sandbox("function run() {}", { init: 'async function init() { throw new RangeError("no calibration"); }' }));
    expect(rejected).toBeInstanceOf(SandboxCodeError);
    expect(rejected.message).toMatch(/^init_function_code of step `custom_step`.*: RangeError: no calibration$/);
    const pending = await rejection(sandbox("function run() {}", { init: "function init() { return new Promise(() => {}); }" }));
    expect(pending).toBeInstanceOf(DynamicBlockCodeError);
    expect(pending.message).toMatch(
      /^init_function_code of step `custom_step` failed in its init function: Error: the function returned a promise that never settles/,
    );
    expect((pending as DynamicBlockCodeError).inner).toBeInstanceOf(SandboxExecutionError);
  });

  it("reports an exception in run with the guest's name, message, stack and what was printed", async () => {
    const probe = await sandbox(
      `let calls = 0;\nfunction run({ x }) {\n  calls += 1;\n  console.log("about to fail");\n  if (x) throw new TypeError("x must be falsy");\n  return { calls };\n}`,
    );
    const error = await rejection(probe.run({ x: 1 }, CALL));
    expect(error).toBeInstanceOf(SandboxExecutionError);
    expect(error.name).toBe("TypeError");
    expect(error.message).toBe("x must be falsy");
    const execution = error as SandboxExecutionError;
    expect(execution.phase).toBe("run");
    expect(execution.guestStack).toContain("run_function_code:5");
    expect(execution.logs.stdout).toBe("about to fail\n");
    expect((await probe.run({ x: 0 }, CALL)).output).toEqual({ calls: 2 });
  });

  it("describes thrown non-errors and rejected promises", async () => {
    const probe = await sandbox(`async function run({ what }) { if (what === "string") throw "plain text"; throw { code: 7 }; }`);
    const text = await rejection(probe.run({ what: "string" }, CALL));
    expect(text).toBeInstanceOf(SandboxExecutionError);
    expect(text.message).toBe("plain text");
    const object = await rejection(probe.run({ what: "object" }, CALL));
    expect(object.name).toBe("Error");
  });

  it("reports a promise that can never settle instead of waiting forever", async () => {
    const probe = await sandbox(`function run() { return new Promise(() => {}); }`);
    const error = await rejection(probe.run({}, CALL));
    expect(error).toBeInstanceOf(SandboxExecutionError);
    expect(error.message).toContain("never settles");
  });
});

describe("lifecycle", () => {
  it("refuses calls after close, and fails a call in progress", async () => {
    const spinner = await JavaScriptSandbox.create({
      code: { run_function_code: "function run({ spin }) { while (spin) {} return {}; }" },
      step: STEP,
      limits: { timeMs: 60_000 },
    });
    const running = spinner.run({ spin: true }, CALL);
    const queued = spinner.run({ spin: false }, CALL);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await spinner.close();
    expect(await rejection(running)).toBeInstanceOf(SandboxCrashError);
    expect(await rejection(queued)).toBeInstanceOf(SandboxCrashError);
    expect((await rejection(spinner.run({}, CALL))).message).toContain("closed");
  });

  it("validates its limits", async () => {
    await expect(JavaScriptSandbox.create({ code: { run_function_code: "" }, step: STEP, limits: { timeMs: -1 } })).rejects.toThrow(
      "sandbox limit timeMs must be a positive number",
    );
    await expect(JavaScriptSandbox.create({ code: { run_function_code: "" }, step: STEP, limits: { time: 5 } as never })).rejects.toThrow(
      "unknown sandbox limit time",
    );
    await expect(JavaScriptSandbox.create({ code: { run_function_code: "" }, step: STEP, limits: { memoryBytes: 4 * 1024 ** 3 } })).rejects.toThrow(
      "sandbox limit memoryBytes must be at most 2130706432",
    );
  });

  it("fills in default limits, with the wall time following the time limit", async () => {
    const probe = await sandbox("function run() { return {}; }", { limits: { timeMs: 250 } });
    expect(probe.limits).toMatchObject({ timeMs: 250, wallTimeMs: 4250, memoryBytes: 128 * 1024 * 1024 });
  });
});
