/**
 * The API key before the body (issue 20, finding 10): a request without the key must not make the
 * server read and parse up to 32 MB first. A key in the header or the query is checked from the
 * request's head; a key in the JSON body (Roboflow's Python SDK sends it there) is found in the raw
 * text before `JSON.parse`, and checked again on the parsed body
 * (docs/reference/http.md#authentication).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../server/helpers.js";
import { answerToHeadOnly, rawCall } from "./raw-http.js";

const KEY = "secret";
const THIRTY_MB = 30 * 1024 * 1024;

const GREETING = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "name" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "name", selector: "$inputs.name" }],
};

let server: RunningServer;
let host: string;

beforeAll(async () => {
  server = await startServer({ apiKey: KEY });
  host = new URL(server.url).host;
});

afterAll(async () => {
  await server?.close();
});

const missing = { error_type: "Unauthorized", message: expect.stringMatching(/requires an API key/) };
const wrong = { error_type: "Unauthorized", message: expect.stringMatching(/not this server's/) };

describe("a key outside the body", () => {
  it("a wrong key in the header or the query is refused from the head: 401 while the 30 MB body is still unsent", async () => {
    for (const [target, header] of [
      ["/workflows/run", "Authorization: Bearer wrong\r\n"],
      ["/workflows/run?api_key=wrong", ""],
    ]) {
      const answer = await answerToHeadOnly(
        server.url,
        `POST ${target} HTTP/1.1\r\nHost: ${host}\r\n${header}Content-Type: application/json\r\nContent-Length: ${THIRTY_MB}`,
      );
      expect(answer.statusLine, target).toBe("HTTP/1.1 401 Unauthorized");
      expect(answer.body).toMatchObject(wrong);
    }
  });

  it("a body that cannot hold a key (an upload) without a key is refused from the head", async () => {
    const answer = await answerToHeadOnly(
      server.url,
      `POST /uploads HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${THIRTY_MB}`,
    );
    expect(answer.statusLine).toBe("HTTP/1.1 401 Unauthorized");
    expect(answer.body).toMatchObject(missing);
  });

  it("the right key in the header lets the body through", async () => {
    const answer = await rawCall(server.url, "POST", "/workflows/run", {
      headers: { authorization: `Bearer ${KEY}` },
      json: { specification: GREETING, inputs: { name: "cam" } },
    });
    expect(answer.status, answer.text).toBe(200);
  });
});

describe("a key in the JSON body", () => {
  it("a 30 MB body without a top-level api_key is refused before it is parsed: 401, not the 400 its broken JSON would get", async () => {
    const unparsable = `{"specification": {}, "inputs": {"x": "${"a".repeat(THIRTY_MB)}"`;
    const answer = await rawCall(server.url, "POST", "/workflows/run", { headers: { "content-type": "application/json" }, body: unparsable });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject(missing);
    // With the key, the same body is parsed, and its JSON refused.
    const keyed = await rawCall(server.url, "POST", "/workflows/run", {
      headers: { "content-type": "application/json" },
      body: `{"api_key": "${KEY}", ${unparsable.slice(1)}`,
    });
    expect(keyed.status).toBe(400);
    expect(keyed.body).toMatchObject({ error_type: "MalformedRequestError" });
  });

  it("is accepted as Roboflow's SDK sends it: top-level, in a POST or a GET body, escaped or not", async () => {
    const run = await rawCall(server.url, "POST", "/workflows/run", { json: { api_key: KEY, specification: GREETING, inputs: { name: "cam" } } });
    expect(run.status, run.text).toBe(200);
    expect(run.body).toEqual({ outputs: [{ name: "cam" }] });
    const list = await rawCall(server.url, "GET", "/inference_pipelines/list", { json: { api_key: KEY } });
    expect(list.status, list.text).toBe(200);
    const escaped = await rawCall(server.url, "GET", "/inference_pipelines/list", {
      headers: { "content-type": "application/json" },
      body: '{ "api\\u005fkey" : "s\\u0065cret" }',
    });
    expect(escaped.status, escaped.text).toBe(200);
  });

  it("is refused anywhere but the top level, when wrong, or when the last of two is wrong", async () => {
    const refusals: Array<[string, object]> = [
      [JSON.stringify({ specification: GREETING, inputs: { name: "cam", api_key: KEY } }), missing],
      [JSON.stringify({ note: `{"api_key": "${KEY}"}`, specification: GREETING, inputs: {} }), missing],
      [JSON.stringify([{ api_key: KEY }]), missing],
      [JSON.stringify({ api_key: "wrong", specification: GREETING, inputs: {} }), wrong],
      [`{"api_key": "${KEY}", "specification": ${JSON.stringify(GREETING)}, "inputs": {}, "api_key": "wrong"}`, wrong],
      [`{"api_key": 42, "specification": {}}`, missing],
    ];
    for (const [body, expected] of refusals) {
      const answer = await rawCall(server.url, "POST", "/workflows/run", { headers: { "content-type": "application/json" }, body });
      expect(answer.status, body.slice(0, 120)).toBe(401);
      expect(answer.body).toMatchObject(expected);
    }
  });
});
