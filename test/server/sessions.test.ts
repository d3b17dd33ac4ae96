/**
 * Stateful sessions on `/workflows/run`: frames posted one by one give exactly what a local engine
 * running the same sequence gives; specification changes are refused; sessions expire and are
 * bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, getDefaultRegistry, serialiseResults } from "../../src/index.js";
import { call, pngImage, serverTestRegistry, startServer, type Json, type RunningServer } from "./helpers.js";

/** Counts frames per stream (the `video_identifier` of the frame's image). */
const COUNTING = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "test/counter@v1", name: "counter", tick: "$inputs.image" }],
  outputs: [
    { type: "JsonField", name: "count", selector: "$steps.counter.count" },
    { type: "JsonField", name: "stream", selector: "$steps.counter.stream" },
  ],
};

const ECHO = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "x", selector: "$inputs.x" }],
};

let clock = Date.parse("2030-01-01T00:00:00Z");
let server: RunningServer;
let frames: Json[];

beforeAll(async () => {
  server = await startServer({ now: () => clock, sessionTtlMs: 60_000, maxSessions: 3 });
  const png = (await pngImage(8, 8)).toString("base64");
  // Two interleaved streams, as a client relaying two cameras would post them.
  frames = ["a", "b", "a", "a", "b", "a"].map((stream, index) => ({
    image: {
      type: "base64",
      value: png,
      video_metadata: { video_identifier: stream, frame_number: index + 1, frame_timestamp: new Date(clock + index * 100).toISOString() },
    },
  }));
});

afterAll(async () => {
  await server?.close();
});

async function runOn(session: string | undefined, specification: unknown, inputs: Json) {
  return call(server.url, "POST", "/workflows/run", { json: { specification, inputs, ...(session ? { session_id: session } : {}) } });
}

describe("sessions", () => {
  it("give the same outputs, frame by frame, as one local engine over the same sequence", async () => {
    const local = compile(COUNTING, { registry: serverTestRegistry });
    for (const inputs of frames) {
      const answer = await runOn("cams", COUNTING, inputs);
      expect(answer.status).toBe(200);
      const expected = await serialiseResults(await local.run(inputs));
      expect((answer.body as Json).outputs).toEqual(expected);
    }
    expect((await runOn("cams", COUNTING, frames[0])).body).toEqual({ outputs: [{ count: 5, stream: "a" }] });
  });

  it("without a session every request starts from scratch, as upstream", async () => {
    for (const inputs of frames.slice(0, 3)) {
      expect(((await runOn(undefined, COUNTING, inputs)).body as Json).outputs).toEqual([
        { count: 1, stream: (inputs.image as Json & { video_metadata: Json }).video_metadata.video_identifier },
      ]);
    }
  });

  it("a different specification on an existing session → 409; the session is unchanged", async () => {
    await runOn("conflict", COUNTING, frames[0]);
    const answer = await runOn("conflict", ECHO, { x: 1 });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ error_type: "SessionConflictError", message: expect.stringMatching(/different specification/) });
    expect(((await runOn("conflict", COUNTING, frames[0])).body as Json).outputs).toEqual([{ count: 2, stream: "a" }]);
    // Key order does not make a specification different.
    const reordered = Object.fromEntries(Object.entries(COUNTING).reverse());
    expect((await runOn("conflict", reordered, frames[0])).status).toBe(200);
  });

  it("are listed, show their state, and can be deleted", async () => {
    await runOn("inspect", COUNTING, frames[0]);
    const list = (await call(server.url, "GET", "/sessions")).body as { sessions: Json[] };
    const entry = list.sessions.find((session) => session.session_id === "inspect");
    expect(entry).toMatchObject({ runs: 1, in_flight: 0, streams: ["a"] });
    expect((await call(server.url, "GET", "/sessions/inspect")).body).toMatchObject({ session_id: "inspect", runs: 1 });
    const state = await call(server.url, "GET", "/sessions/inspect/state");
    expect(state.status).toBe(200);
    expect(JSON.stringify(state.body)).toContain('"count":1');
    const deleted = await call(server.url, "DELETE", "/sessions/inspect");
    expect(deleted.body).toEqual({ status: "deleted", session_id: "inspect" });
    expect((await call(server.url, "GET", "/sessions/inspect/state")).status).toBe(404);
    // A deleted session starts over.
    expect(((await runOn("inspect", COUNTING, frames[0])).body as Json).outputs).toEqual([{ count: 1, stream: "a" }]);
  });

  it("expire after the idle TTL, and are bounded: a new session beyond the maximum → 429", async () => {
    clock += 120_000; // every session so far is idle for longer than the TTL
    expect(((await call(server.url, "GET", "/sessions")).body as { sessions: unknown[] }).sessions).toEqual([]);
    for (const id of ["one", "two", "three"]) expect((await runOn(id, ECHO, { x: id })).status).toBe(200);
    const full = await runOn("four", ECHO, { x: 4 });
    expect(full.status).toBe(429);
    expect(full.body).toMatchObject({ error_type: "TooManyRequestsError", message: expect.stringMatching(/maximum of 3 sessions/) });
    // Existing sessions keep working; deleting one makes room.
    expect((await runOn("two", ECHO, { x: 2 })).status).toBe(200);
    await call(server.url, "DELETE", "/sessions/one");
    expect((await runOn("four", ECHO, { x: 4 })).status).toBe(200);
    expect((await call(server.url, "GET", "/metrics")).text).toMatch(/^sightline_sessions_active 3$/m);
  });

  it("accept ids of up to 128 characters, in the body and in paths", async () => {
    clock += 120_000; // room: the earlier sessions expire
    const id = `cam:${"x".repeat(124)}`;
    expect((await runOn(id, ECHO, { x: 1 })).status).toBe(200);
    expect((await call(server.url, "GET", `/sessions/${id}`)).body).toMatchObject({ session_id: id, runs: 1 });
    await call(server.url, "DELETE", `/sessions/${id}`);
  });

  it("reject a malformed session id with 422", async () => {
    const answer = await runOn("bad id/with slash", ECHO, { x: 1 });
    expect(answer.status).toBe(422);
    expect((answer.body as Json).message).toMatch(/session_id/);
  });
});

describe("sessions with the stream blocks", () => {
  it("identify_outliers over HTTP frames equals a local stream", async () => {
    const plain = await startServer({ registry: getDefaultRegistry() });
    try {
      const specification = {
        version: "1.0",
        inputs: [{ type: "WorkflowBatchInput", name: "embedding", kind: ["embedding"] }],
        steps: [{ type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", warmup: 2, window_size: 8 }],
        outputs: [
          { type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" },
          { type: "JsonField", name: "percentile", selector: "$steps.outliers.percentile" },
        ],
      };
      const local = compile(specification);
      for (let i = 0; i < 12; i++) {
        const inputs = { embedding: [[Math.cos(i), Math.sin(i * 0.3), i === 9 ? -5 : 1]] };
        const answer = await call(plain.url, "POST", "/workflows/run", { json: { specification, inputs, session_id: "emb" } });
        expect((answer.body as Json).outputs).toEqual(await serialiseResults(await local.run(inputs)));
      }
    } finally {
      await plain.close();
    }
  });
});
