/**
 * Issue 20: the server's in-flight memory budget (`--max-inflight-memory-mb`). Every request
 * reserves what its images will take — their bytes as a download streams in, their decoded
 * pixels as their headers announce them, before anything is decoded — and gives it back when
 * its work has settled. A request that does not fit beside the others is answered 429 (retry
 * later); one that would not fit an empty budget, 413.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64Image, flatPng, peakGrowth, postJson, startMemoryServer, WIDTH_WORKFLOW, type Answer, type MemoryServer } from "./memory-helpers.js";

const MIB = 1024 * 1024;
/** What the stalled download sends before it waits for the test. */
const STALLED_BYTES = 48 * MIB;

let server: MemoryServer;
let files: Server;
let filesUrl: string;
const stalled: ServerResponse[] = [];

beforeAll(async () => {
  files = createServer((request, response) => {
    if (request.url !== "/stalled.png") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "image/png" });
    response.write(Buffer.alloc(STALLED_BYTES, 0x42));
    stalled.push(response);
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  server = await startMemoryServer(["--max-inflight-memory-mb", "64"]);
});

afterAll(async () => {
  for (const response of stalled.splice(0)) response.end();
  await server?.stop();
  files?.closeAllConnections();
  await new Promise<void>((resolve) => (files ? files.close(() => resolve()) : resolve()));
});

const run = (image: unknown): Promise<Answer> => postJson(server.url, "/workflows/run", { specification: WIDTH_WORKFLOW, inputs: { image } });

describe("the in-flight memory budget", () => {
  it("answers 413 before decoding for images that would not fit even an empty budget", async () => {
    // 6000² RGB is 103 MiB decoded: the PNG is 100 KB.
    const large = base64Image(await flatPng(6000, 6000));
    const { result, growthMb } = await peakGrowth(server, () => run(large));
    expect(growthMb).toBeLessThan(64);
    expect(result.status).toBe(413);
    expect(result.body.error_type).toBe("PayloadTooLargeError");
    expect(result.body.message).toMatch(/6000x6000.*64 MiB.*--max-inflight-memory-mb/);
  });

  it("answers 429 while another request holds the budget, and runs the same request once it is released", async () => {
    // 2000² RGB: about 23 MiB with its decoding; beside 48 MiB of a download it does not fit 64.
    const medium = base64Image(await flatPng(2000, 2000));
    const holding = run({ type: "url", value: `${filesUrl}/stalled.png` });
    await untilHeld(STALLED_BYTES);
    const busy = await run(medium);
    expect(busy.status).toBe(429);
    expect(busy.body.error_type).toBe("TooManyRequestsError");
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(busy.body.message).toMatch(/in-flight memory budget of 64 MiB \(--max-inflight-memory-mb\) has 48 MiB in use.*2000x2000.*Retry later/);

    for (const response of stalled.splice(0)) response.end();
    const held = await holding;
    expect(held.status).toBe(400); // its bytes were not an image
    expect(await heldBytes()).toBe(0);
    const after = await run(medium);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.outputs).toEqual([{ width: 2000 }]);
  });
});

/** What the server says its requests' images hold (`GET /metrics`). */
async function heldBytes(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^sightline_inflight_image_bytes (\d+)$/m.exec(text)?.[1]);
}

/** Polls the metrics until the requests hold `bytes` (a hang guard, not a timing). */
async function untilHeld(bytes: number): Promise<void> {
  for (let attempt = 0; (await heldBytes()) < bytes; attempt++) {
    if (attempt > 1500) throw new Error(`the server never held ${bytes} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
