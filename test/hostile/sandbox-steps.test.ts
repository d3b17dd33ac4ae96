/**
 * Issue 20, finding 3 and part of 10, against a real `sightline serve` process: many custom
 * JavaScript steps must not cost a thread each (they share the sandbox pool), a definition with
 * more of them than the cap is refused before anything loads, and custom code whose `init`
 * throws or never ends is a compile error naming the step — never "Unexpected error".
 * Memory is the child's resident set from /proc (docs/reference/http.md#limits).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customStepsWorkflow as manySteps } from "../helpers/workflows.js";
import { processFigures, resetHighWater } from "./process-memory.js";
import { call, startServeCli, type Answer, type Json, type ServeProcess } from "../server/helpers.js";

const MIB = 1024 * 1024;
/** The bound issue 20 sets for what one hostile request may add to the server's memory. */
const GROWTH_PER_REQUEST = 256 * MIB;
const DEFAULT_POOL = 4;

function megabytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(0)} MB`;
}

async function serve(args: string[]): Promise<{ process: ServeProcess; url: string; pid: number }> {
  const process = startServeCli(args);
  const url = await process.address;
  return { process, url, pid: process.child.pid! };
}

async function stop(server: { process: ServeProcess } | undefined): Promise<void> {
  if (!server) return;
  server.process.child.kill("SIGTERM");
  await server.process.exited;
}

const run = (url: string, specification: Json) => call(url, "POST", "/workflows/run", { json: { specification, inputs: { value: 21 } } });

describe("custom JavaScript steps at the default limits", () => {
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  beforeAll(async () => {
    server = await serve([]);
  });
  afterAll(() => stop(server));

  it("refuses a definition with 100 custom steps before loading any (400 naming the count, the cap and its flag)", async () => {
    const { url, pid } = server!;
    const before = processFigures(pid);
    const answer = await run(url, manySteps(100));
    const after = processFigures(pid);
    console.log(
      `100 custom steps at the defaults: ${answer.status}; RSS ${megabytes(before.rss)} → ${megabytes(after.rss)}, threads ${before.threads} → ${after.threads}`,
    );
    expect(answer.status).toBe(400);
    const body = answer.body as Json;
    expect(body.error_type).toBe("DynamicBlockError");
    expect(body.message).toMatch(/100 steps of custom blocks/);
    expect(body.message).toMatch(/at most 32/);
    expect(body.message).toMatch(/--max-custom-steps/);
    expect(after.threads).toBe(before.threads);
    expect(after.rss - before.rss).toBeLessThan(GROWTH_PER_REQUEST);
  });

  it("runs a definition at the cap", async () => {
    const answer = await run(server!.url, manySteps(32));
    expect(answer.status).toBe(200);
    const [outputs] = (answer.body as { outputs: Json[] }).outputs;
    expect(Object.keys(outputs)).toHaveLength(32);
    expect(outputs.out_31).toBe(42);
  });

  /** The body of a compile error about step `double_0`'s code: 400, upstream's type, never "Unexpected error". */
  function codeErrorOf(answer: Answer): Json {
    expect(answer.status).toBe(400);
    const body = answer.body as Json;
    expect(body.error_type).toBe("DynamicBlockCodeError");
    expect(body.message).not.toMatch(/Unexpected error/);
    expect(body.message).toMatch(/step `double_0`/);
    return body;
  }

  it("answers an init that throws with a compile error naming the step and the thrown message", async () => {
    const body = codeErrorOf(await run(server!.url, manySteps(1, { init: 'function init() { throw new RangeError("no calibration file"); }' })));
    expect(body.message).toMatch(/^init_function_code of step `double_0` at line 1, column \d+: RangeError: no calibration file$/);
    expect(body.blocks_errors).toEqual([expect.objectContaining({ block_id: "double_0", block_type: "Double", property_name: "init_function_code" })]);
  });

  it("answers an init that never returns with a compile error naming the step and the time limit", async () => {
    const body = codeErrorOf(await run(server!.url, manySteps(1, { init: "function init() { for (;;) {} }" })));
    expect(body.message).toBe("init_function_code of step `double_0` exceeded the time limit of 1000 ms in its init function");
    expect(body.inner_error_type).toBe("SandboxLimitError");
  });

  it("answers top-level code that never ends the same way, and keeps serving", async () => {
    const body = codeErrorOf(await run(server!.url, manySteps(1, { run: "for (;;) {}\nfunction run() { return {}; }" })));
    expect(body.message).toBe("run_function_code of step `double_0` exceeded the time limit of 1000 ms while loading its code");
    expect((await run(server!.url, manySteps(2))).status).toBe(200);
  });
});

describe("custom JavaScript steps with the cap raised to 100", () => {
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  beforeAll(async () => {
    server = await serve(["--max-custom-steps", "100"]);
    // Warm the server (first compile, the pool's threads) so that what follows measures requests.
    expect((await run(server.url, manySteps(8))).status).toBe(200);
  });
  afterAll(() => stop(server));

  it("answers one request with 100 steps on the pool's threads, within the memory bound", async () => {
    const { url, pid } = server!;
    resetHighWater(pid);
    const before = processFigures(pid);
    const answer = await run(url, manySteps(100));
    const after = processFigures(pid);
    console.log(
      `one request, 100 custom steps: ${answer.status}; RSS ${megabytes(before.rss)} → ${megabytes(after.rss)} (high-water ${megabytes(after.hwm)}), threads ${before.threads} → ${after.threads}`,
    );
    expect(answer.status, answer.text).toBe(200);
    expect((answer.body as { outputs: Json[] }).outputs[0].out_99).toBe(42);
    expect(after.threads).toBeLessThanOrEqual(before.threads + DEFAULT_POOL);
    expect(after.hwm - before.rss).toBeLessThanOrEqual(GROWTH_PER_REQUEST);
  });

  it("answers four such requests at once, within the memory bound per request", async () => {
    const { url, pid } = server!;
    resetHighWater(pid);
    const before = processFigures(pid);
    const answers = await Promise.all([1, 2, 3, 4].map(() => run(url, manySteps(100))));
    const after = processFigures(pid);
    console.log(
      `four requests at once, 100 custom steps each: ${answers.map((answer) => answer.status).join(", ")}; RSS ${megabytes(before.rss)} → ${megabytes(after.rss)} (high-water ${megabytes(after.hwm)}), threads ${before.threads} → ${after.threads}`,
    );
    for (const answer of answers) {
      expect(answer.text).not.toMatch(/did not start/);
      expect(answer.status, answer.text).toBe(200);
    }
    expect(after.threads).toBeLessThanOrEqual(before.threads + DEFAULT_POOL);
    expect(after.hwm - before.rss).toBeLessThanOrEqual(4 * GROWTH_PER_REQUEST);
  });
});
