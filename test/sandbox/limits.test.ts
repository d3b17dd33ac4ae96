import { describe, expect, it } from "vitest";
import { DynamicBlockCodeError } from "../../src/errors/index.js";
import { SandboxExecutionError, SandboxLimitError } from "../../src/sandbox/index.js";
import { CALL, rejection, sandboxFactory } from "./helpers.js";

const sandbox = sandboxFactory();

function limitOf(error: Error): string {
  expect(error).toBeInstanceOf(SandboxLimitError);
  return (error as SandboxLimitError).limit;
}

/** Counts calls in module state, so a test can see whether the state survived. */
const COUNTING = `
  let calls = 0;
  function run({ action }) {
    calls += 1;
    ACTION
    return { calls };
  }
`;

function counting(action: string): string {
  return COUNTING.replace("ACTION", action);
}

describe("time limit", () => {
  it("stops a runaway loop with a clear error, and the next call on the same block works", async () => {
    const block = await sandbox(counting(`if (action === "spin") while (true) {}`), { limits: { timeMs: 200 } });
    expect((await block.run({ action: "none" }, CALL)).output).toEqual({ calls: 1 });
    const error = await rejection(block.run({ action: "spin" }, CALL));
    expect(limitOf(error)).toBe("time");
    expect(error.message).toBe("exceeded time limit of 200 ms: step `custom_step` in its run function");
    // The interrupted sandbox was discarded: a fresh one, with module state starting over.
    expect((await block.run({ action: "none" }, CALL)).output).toEqual({ calls: 1 });
    expect(block.restarts).toBe(1);
  });

  it("cannot be caught or delayed by the code (try/catch/finally)", async () => {
    const block = await sandbox(
      `function run() {
         try { while (true) {} } catch (error) { return { caught: String(error) }; } finally { return { escaped: true }; }
       }`,
      { limits: { timeMs: 200 } },
    );
    expect(limitOf(await rejection(block.run({}, CALL)))).toBe("time");
  });

  it.each([
    ["a catastrophic regular expression", `/(a+)+$/.test("a".repeat(40) + "b");`],
    ["an endless promise chain", `await (async function loop() { while (true) await null; })();`],
    ["sorting with a slow comparator", `Array.from({ length: 1e5 }, (_, i) => i).sort((a, b) => { for (let i = 0; i < 1e4; i++); return a - b; });`],
  ])("interrupts %s", async (_what, body) => {
    const block = await sandbox(`async function run() { ${body} return {}; }`, { limits: { timeMs: 200 } });
    expect(limitOf(await rejection(block.run({}, CALL)))).toBe("time");
  });

  it("applies to the code's top level and to init, where it is a compile error naming the step", async () => {
    const atLoad = await rejection(sandbox(`while (true) {}\nfunction run() {}`, { limits: { timeMs: 200 } }));
    expect(atLoad).toBeInstanceOf(DynamicBlockCodeError);
    expect(atLoad.message).toBe("run_function_code of step `custom_step` exceeded the time limit of 200 ms while loading its code");
    expect(limitOf((atLoad as DynamicBlockCodeError).inner as Error)).toBe("time");
    expect(((atLoad as DynamicBlockCodeError).inner as SandboxLimitError).phase).toBe("load");
    const inInit = await rejection(sandbox(`function run() {}`, { init: "function init() { for (;;); }", limits: { timeMs: 200 } }));
    expect(inInit.message).toBe("init_function_code of step `custom_step` exceeded the time limit of 200 ms in its init function");
    expect(((inInit as DynamicBlockCodeError).inner as SandboxLimitError).phase).toBe("init");
    expect((inInit as DynamicBlockCodeError).toBody()).toMatchObject({ error_type: "DynamicBlockCodeError", inner_error_type: "SandboxLimitError" });
  });

  it("covers getters run while the output is copied out", async () => {
    const block = await sandbox(`function run() { return { get trap() { while (true) {} } }; }`, { limits: { timeMs: 200 } });
    expect(limitOf(await rejection(block.run({}, CALL)))).toBe("time");
  });
});

describe("wall time limit", () => {
  it("terminates a worker that does not answer, and the next call gets a fresh sandbox", async () => {
    // The interrupt deadline is far away, so only the host's timer can stop this call.
    const block = await sandbox(counting(`if (action === "spin") while (true) {}`), {
      limits: { timeMs: 600_000, wallTimeMs: 1000 },
    });
    const error = await rejection(block.run({ action: "spin" }, CALL));
    expect(limitOf(error)).toBe("wall_time");
    expect(error.message).toContain("exceeded wall time limit of 1000 ms");
    expect((await block.run({ action: "none" }, CALL)).output).toEqual({ calls: 1 });
    expect(block.restarts).toBe(1);
  });
});

describe("memory limit", () => {
  // Generous time, so that memory is what stops these.
  const limits = { memoryBytes: 32 * 1024 * 1024, timeMs: 30_000 };

  it("stops a memory bomb; the host survives and the next call works", async () => {
    const block = await sandbox(counting(`if (action === "bomb") { const a = []; while (true) a.push(new Array(1e6)); }`), { limits });
    const error = await rejection(block.run({ action: "bomb" }, CALL));
    expect(limitOf(error)).toBe("memory");
    expect(error.message).toContain("exceeded memory limit of 32 MiB");
    expect((await block.run({ action: "none" }, CALL)).output).toEqual({ calls: 1 });
    expect(block.restarts).toBe(1);
  });

  it.each([
    // QuickJS's own accounting misses these in this build; the WebAssembly memory ceiling does not.
    ["typed arrays", `const keep = []; while (true) keep.push(new Float64Array(1e6));`],
    ["strings kept in module state", `while (true) kept.push("x".repeat(1e5) + kept.length);`],
    ["one allocation larger than the limit", `new Uint8Array(64 * 1024 * 1024);`],
  ])("stops %s", async (_what, bomb) => {
    const block = await sandbox(`const kept = [];\nfunction run() { ${bomb} }`, { limits });
    expect(limitOf(await rejection(block.run({}, CALL)))).toBe("memory");
  });

  it("lets the code catch an allocation failure itself", async () => {
    const block = await sandbox(
      `function run() {
         let kept = [];
         try { while (true) kept.push(new Float64Array(1e6)); }
         catch (error) { kept = null; return { caught: String(error) }; }
       }`,
      { limits },
    );
    expect((await block.run({}, CALL)).output).toEqual({ caught: "InternalError: out of memory" });
  });

  it("collects garbage held in reference cycles before it reaches the limit", async () => {
    // 200 calls × 1 MiB of cyclic garbage: only a cycle collection keeps this under 32 MiB.
    const block = await sandbox(counting(`const node = { pixels: new Uint8Array(1024 * 1024) }; node.self = node; node.children = [{ parent: node }];`), {
      limits,
    });
    for (let call = 1; call <= 200; call++) {
      expect((await block.run({}, CALL)).output).toEqual({ calls: call });
    }
    expect(block.restarts).toBe(0);
  });

  it("counts the inputs: an image larger than the limit fails the call, not the host", async () => {
    const block = await sandbox(counting(""), { limits: { ...limits, memoryBytes: 4 * 1024 * 1024 } });
    const error = await rejection(block.run({ big: new Uint8Array(24 * 1024 * 1024) }, CALL));
    expect(limitOf(error)).toBe("memory");
    expect((await block.run({}, CALL)).output).toEqual({ calls: 1 });
  });
});

describe("stack limit", () => {
  it("turns runaway recursion into a stack error and keeps the sandbox and its state", async () => {
    const block = await sandbox(
      counting(`
        const depth = (n) => (n === 0 ? 0 : 1 + depth(n - 1));
        if (action === "deep") return { depth: depth(1e6) };
        if (action === "shallow") return { calls, depth: depth(500) };
      `),
    );
    const error = await rejection(block.run({ action: "deep" }, CALL));
    expect(limitOf(error)).toBe("stack");
    expect(error.message).toContain("exceeded stack limit of 256 KiB (recursion too deep)");
    expect((await block.run({ action: "shallow" }, CALL)).output).toEqual({ calls: 2, depth: 500 });
    expect(block.restarts).toBe(0);
  });

  it("lets the code catch a stack overflow, as any exception", async () => {
    const block = await sandbox(`function run() { const f = () => f(); try { f(); } catch (error) { return { caught: String(error) }; } }`);
    expect((await block.run({}, CALL)).output).toEqual({ caught: "InternalError: stack overflow" });
  });

  // Generous time (within the test's 60 s), so that the stack check is what stops these: JSON.stringify
  // spends seconds before its stack check fires (its cycle check grows with the square of the depth,
  // and does not look at the time limit: on a loaded machine the 5 s wall-time limit stopped it first).
  const deepLimits = { timeMs: 50_000 };

  it.each([
    ["JSON.stringify of deeply nested arrays", `let a = []; for (let i = 0; i < 3e5; i++) a = [a]; JSON.stringify(a);`],
    ["JSON.parse of deeply nested text", `JSON.parse("[".repeat(3e5) + "]".repeat(3e5));`],
    ["parsing deeply nested code", `eval("(".repeat(1e5) + "1" + ")".repeat(1e5));`],
    ["recursion through Array.prototype.map", `const f = (n) => [n].map((x) => f(x + 1)); f(0);`],
    ["recursion through toString", `const o = { toString() { return String(this); } }; String(o);`],
    ["recursion through a Proxy trap", `const p = new Proxy({}, { get(t, k, r) { return r[k]; } }); p.x;`],
  ])("stops %s inside QuickJS, without crashing its worker", async (_what, body) => {
    const block = await sandbox(`function run() { ${body} return {}; }`, { limits: deepLimits });
    const error = await rejection(block.run({}, CALL));
    // QuickJS's own check fires (a stack error or an exception), never a crash of the worker.
    expect(error instanceof SandboxLimitError ? error.limit : error).toSatisfy((what: unknown) => what === "stack" || what instanceof SandboxExecutionError);
    expect(block.restarts).toBe(0);
  });
});
