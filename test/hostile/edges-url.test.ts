/**
 * URLs and request heads the router or Node's HTTP parser refuses (issue 20, finding 10): broken
 * percent-encoding, over-long ids, a 100 KB URL, oversized headers and garbage. Each answers with
 * upstream's error body (`message`, `error_type`, `context`) and the status that says why —
 * never fastify's `{error, code, statusCode}` (docs/reference/http.md#limits).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Json, type RunningServer } from "../server/helpers.js";
import { answerToHeadOnly, rawCall } from "./raw-http.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

/** Upstream's error body and nothing of fastify's. */
function expectUpstreamBody(body: unknown, errorType: string): Json {
  expect(body).toMatchObject({ error_type: errorType, message: expect.any(String) });
  expect(Object.keys(body as Json)).toEqual(expect.arrayContaining(["message", "error_type", "context"]));
  for (const key of ["error", "code", "statusCode"]) expect(body).not.toHaveProperty(key);
  return body as Json;
}

describe("URLs the router cannot take", () => {
  it("broken percent-encoding is a 400 MalformedRequestError naming the path", async () => {
    for (const path of ["/workflows/%E0%A4%A", "/inference_pipelines/%ZZ/status"]) {
      const answer = await rawCall(server.url, "GET", path);
      expect(answer.status, path).toBe(400);
      const body = expectUpstreamBody(answer.body, "MalformedRequestError");
      expect(body.message).toMatch(/percent-encoding/);
      expect(body.context).toBe("request_routing");
    }
  });

  it("an id longer than the router's limit is a 414 URITooLongError", async () => {
    const id = "a".repeat(300);
    const answer = await rawCall(server.url, "POST", `/inference_pipelines/${id}/pause`);
    expect(answer.status).toBe(414);
    expect(expectUpstreamBody(answer.body, "URITooLongError").message).toMatch(/256 characters/);
  });

  it("a 100 KB URL is a 414 URITooLongError", async () => {
    const answer = await answerToHeadOnly(server.url, `GET /workflows/run?x=${"a".repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1`);
    expect(answer.statusLine).toBe("HTTP/1.1 414 URI Too Long");
    expect(expectUpstreamBody(answer.body, "URITooLongError").message).toMatch(/16 KiB/);
  });

  it("headers beyond Node's limit are a 431 RequestHeaderFieldsTooLargeError", async () => {
    const answer = await answerToHeadOnly(server.url, `GET /info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${"b".repeat(100_000)}`);
    expect(answer.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expectUpstreamBody(answer.body, "RequestHeaderFieldsTooLargeError");
  });

  it("a request that is not HTTP is a 400 BadRequestError", async () => {
    const answer = await answerToHeadOnly(server.url, "HELLO THERE");
    expect(answer.statusLine).toBe("HTTP/1.1 400 Bad Request");
    expectUpstreamBody(answer.body, "BadRequestError");
  });
});
