/**
 * Issue 20, finding 4: an image URL is downloaded only up to the limit (`--max-image-download-mb`,
 * 64 MiB): a body that announces more is refused before it is read, one that does not is
 * aborted as soon as its bytes pass the limit — never buffered whole first. The URL serves
 * 1 GiB generated on demand, so what the server under test holds is what it chose to read.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peakGrowth, postJson, REQUEST_GROWTH_BOUND_MB, startMemoryServer, WIDTH_WORKFLOW, type MemoryServer } from "./memory-helpers.js";

const GIB = 1024 ** 3;
const CHUNK = Buffer.alloc(1024 * 1024, 0x42);

let server: MemoryServer;
let files: Server;
let filesUrl: string;
/** Bytes the file server has written, per path. */
const sent = new Map<string, number>();
/** Whether the client of `/stalled.png` has closed its connection. */
let stalledClosed = false;

/** Writes `total` bytes in 1 MiB chunks as the client reads them; stops when the client goes. */
function streamBytes(response: ServerResponse, path: string, total: number): void {
  let written = 0;
  const writeMore = () => {
    while (written < total) {
      written += CHUNK.length;
      sent.set(path, written);
      if (!response.write(CHUNK)) return void response.once("drain", writeMore);
    }
    response.end();
  };
  response.on("close", () => response.removeAllListeners("drain"));
  writeMore();
}

beforeAll(async () => {
  files = createServer((request, response) => {
    const path = request.url ?? "";
    if (path === "/announced.png") response.writeHead(200, { "content-type": "image/png", "content-length": GIB });
    else if (path === "/chunked.png") response.writeHead(200, { "content-type": "image/png" });
    else if (path === "/stalled.png") {
      // A few bytes, then nothing, until the client gives up.
      response.writeHead(200, { "content-type": "image/png" }).write(CHUNK);
      return void response.on("close", () => (stalledClosed = true));
    } else return void response.writeHead(404).end();
    streamBytes(response, path, GIB);
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  server = await startMemoryServer();
});

afterAll(async () => {
  await server?.stop();
  files?.closeAllConnections();
  await new Promise<void>((resolve) => (files ? files.close(() => resolve()) : resolve()));
});

async function runOn(path: string) {
  return peakGrowth(server, () =>
    postJson(server.url, "/workflows/run", { specification: WIDTH_WORKFLOW, inputs: { image: { type: "url", value: `${filesUrl}${path}` } } }),
  );
}

describe("image downloads", () => {
  it("refuses a body whose Content-Length announces 1 GiB, saying the limit and its flag", async () => {
    const { result, growthMb } = await runOn("/announced.png");
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status).toBe(400);
    expect(result.body.error_type).toBe("RuntimeInputError");
    expect(result.body.message).toMatch(/Input "image".*1073741824 bytes.*67108864 bytes.*--max-image-download-mb/);
    expect(sent.get("/announced.png")).toBeLessThan(GIB / 4);
  });

  it("aborts a 1 GiB body without Content-Length once it passes the limit", async () => {
    const { result, growthMb } = await runOn("/chunked.png");
    expect(growthMb).toBeLessThan(REQUEST_GROWTH_BOUND_MB);
    expect(result.status).toBe(400);
    expect(result.body.message).toMatch(/Input "image".*more than the limit of 67108864 bytes.*--max-image-download-mb/);
    expect(sent.get("/chunked.png")).toBeLessThan(GIB / 4);
  });

  it("stops the request's other downloads when one image is refused", async () => {
    const answer = await postJson(server.url, "/workflows/run", {
      specification: WIDTH_WORKFLOW,
      inputs: {
        image: [
          { type: "url", value: `${filesUrl}/stalled.png` },
          { type: "url", value: `${filesUrl}/announced.png` },
        ],
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/Input "image\.\[1\]".*announces 1073741824 bytes/);
    // A hang guard, not a timing: the stalled download's connection is closed by the server.
    for (let attempt = 0; !stalledClosed; attempt++) {
      if (attempt > 1500) throw new Error("the stalled download was never stopped");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
