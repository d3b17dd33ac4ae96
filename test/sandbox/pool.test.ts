/** The sandbox pool: many steps on a few threads, each keeping its own state; threads replaced in their slot; waiting that gives up. */
import { afterAll, describe, expect, it } from "vitest";
import { JavaScriptSandbox, SandboxCrashError, SandboxLimitError, SandboxPool } from "../../src/sandbox/index.js";
import { CALL, rejection } from "./helpers.js";

const pools: SandboxPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

function poolOf(maxWorkers: number): SandboxPool {
  const pool = new SandboxPool({ maxWorkers });
  pools.push(pool);
  return pool;
}

const COUNTER = `let calls = 0;\nconst id = Math.random();\nconst seen = [];\nfunction run({ name }) { calls += 1; seen.push(name); return { calls, id, seen }; }`;

function counter(pool: SandboxPool, name: string, options: { timeMs?: number } = {}): Promise<JavaScriptSandbox> {
  return JavaScriptSandbox.create({ code: { run_function_code: COUNTER }, step: { name, blockType: "Counter" }, pool, limits: options });
}

describe("a sandbox pool", () => {
  it("runs many steps on at most maxWorkers threads, each step with its own globals", async () => {
    const pool = poolOf(2);
    const sandboxes = await Promise.all(Array.from({ length: 12 }, (_, index) => counter(pool, `step_${index}`)));
    expect(pool.threads).toBe(2);
    for (let round = 1; round <= 3; round++) {
      const outputs = await Promise.all(sandboxes.map((sandbox, index) => sandbox.run({ name: `step_${index}` }, CALL)));
      outputs.forEach(({ output }, index) => expect(output).toMatchObject({ calls: round, seen: Array.from({ length: round }, () => `step_${index}`) }));
    }
    expect(pool.threads).toBe(2);
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  });

  it("replaces a thread killed at the wall-time limit in its slot; the steps it hosted load their code afresh", async () => {
    const pool = poolOf(1);
    const victim = await counter(pool, "victim");
    const first = (await victim.run({ name: "victim" }, CALL)).output as { id: number };
    const runaway = await JavaScriptSandbox.create({
      // The interrupt deadline is far away, so only the host's timer can stop this call.
      code: { run_function_code: "function run() { while (true) {} }" },
      step: { name: "runaway", blockType: "Runaway" },
      pool,
      limits: { timeMs: 600_000, wallTimeMs: 1000 },
    });
    const error = await rejection(runaway.run({}, CALL));
    expect(error).toBeInstanceOf(SandboxLimitError);
    expect((error as SandboxLimitError).limit).toBe("wall_time");
    const again = (await victim.run({ name: "victim" }, CALL)).output as { id: number; calls: number };
    expect(again.calls).toBe(1);
    expect(again.id).not.toBe(first.id);
    expect(victim.restarts).toBe(1);
    expect(pool.threads).toBe(1);
    await Promise.all([victim.close(), runaway.close()]);
  });

  it("gives up waiting for the thread when the call's signal aborts, and a closed sandbox stops the call it was running", async () => {
    const pool = poolOf(1);
    const spinner = await JavaScriptSandbox.create({
      code: { run_function_code: "function run({ spin }) { while (spin) {} return {}; }" },
      step: { name: "spinner", blockType: "Spinner" },
      pool,
      limits: { timeMs: 120_000 },
    });
    const waiting = await counter(pool, "waiting");
    const spinning = spinner.run({ spin: true }, CALL);
    const controller = new AbortController();
    const queued = waiting.run({ name: "waiting" }, { ...CALL, signal: controller.signal });
    const reason = new Error("the request timed out");
    controller.abort(reason);
    expect(await rejection(queued)).toBe(reason);
    await spinner.close();
    const stopped = await rejection(spinning);
    expect(stopped).toBeInstanceOf(SandboxCrashError);
    expect(stopped.message).toContain("the sandbox was closed");
    expect((await waiting.run({ name: "waiting" }, CALL)).output).toMatchObject({ calls: 1 });
    await waiting.close();
  });

  it("gives up loading code when the creation's signal aborts, whether waiting or loading", async () => {
    const pool = poolOf(1);
    const controller = new AbortController();
    const slowLoad = (name: string) =>
      JavaScriptSandbox.create({
        code: { run_function_code: "while (true) {}\nfunction run() { return {}; }" },
        step: { name, blockType: "Slow" },
        pool,
        limits: { timeMs: 120_000 },
        signal: controller.signal,
      });
    const loading = slowLoad("slow");
    const waiting = slowLoad("later");
    const reason = new Error("the engine is closed");
    controller.abort(reason);
    expect(await rejection(waiting)).toBe(reason);
    expect(await rejection(loading)).toBe(reason);
    const next = await counter(pool, "next");
    expect((await next.run({ name: "next" }, CALL)).output).toMatchObject({ calls: 1 });
    await next.close();
  });

  it("validates its size", () => {
    expect(() => new SandboxPool({ maxWorkers: 0 })).toThrow("maxSandboxWorkers must be an integer >= 1, got 0");
    expect(() => new SandboxPool({ maxWorkers: 1.5 })).toThrow(RangeError);
  });
});
