/**
 * DNS rebinding (issue 20, finding 6): a web page on attacker.example whose name the attacker
 * re-points at 127.0.0.1 makes the victim's browser talk to the loopback server with
 * `Host: attacker.example`. A loopback server answers only requests for its own loopback names
 * and port (and the names of `--allowed-hosts`), before any route — so it never opens a local file
 * for such a request (docs/reference/http.md#host-check).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server/index.js";
import { scratchDir } from "../video/helpers.js";
import { pngImage, startServeCli, startServer, type Json, type RunningServer } from "../server/helpers.js";
import { rawCall } from "./raw-http.js";

/** Returns the frame itself: what the attacker wants to read. */
const ECHO = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "frame", selector: "$inputs.image" }],
};

const scratch = scratchDir("edges-host");
let server: RunningServer;
let port: number;
let privateFolder: string;

const own = () => ({ host: `127.0.0.1:${port}` });
const attacker = () => ({ host: `attacker.example:${port}` });

beforeAll(async () => {
  privateFolder = join(scratch(), "private");
  await mkdir(privateFolder);
  await writeFile(join(privateFolder, "secret.png"), await pngImage(8, 8, [200, 10, 10]));
  // As `sightline serve` runs by default: loopback, local files allowed.
  server = await startServer({ allowLocalVideo: true });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
});

function expectRefused(answer: { status: number; body: unknown }, what: RegExp): void {
  expect(answer.status).toBe(403);
  expect(answer.body).toMatchObject({ error_type: "HostNotAllowedError", context: "request_admission", message: expect.stringMatching(what) });
  expect((answer.body as Json).message).toMatch(/--allowed-hosts/);
}

describe("a loopback server and DNS rebinding", () => {
  it("refuses the attack: initialise on a private image folder with Host: attacker.example, then consume", async () => {
    const initialise = await rawCall(server.url, "POST", "/inference_pipelines/initialise", {
      headers: attacker(),
      json: { video_reference: privateFolder, workflow_specification: ECHO },
    });
    expectRefused(initialise, /Host "attacker\.example:\d+"/);
    // Nothing was started, so nothing was opened.
    const list = await rawCall(server.url, "GET", "/inference_pipelines/list", { headers: own() });
    expect((list.body as Json).pipelines).toEqual([]);

    // A pipeline the operator started: the attacker cannot read its frames either.
    const started = await rawCall(server.url, "POST", "/inference_pipelines/initialise", {
      headers: own(),
      json: { video_reference: privateFolder, workflow_specification: ECHO },
    });
    expect(started.status, started.text).toBe(200);
    const id = ((started.body as Json).context as Json).pipeline_id as string;
    // Until the folder's one image has been processed (the test's timeout guards a hang).
    let report: Json;
    do report = (await rawCall(server.url, "GET", `/inference_pipelines/${id}/status`, { headers: own() })).body as Json;
    while ((report.report as Json).buffered_results === 0);

    const stolen = await rawCall(server.url, "GET", `/inference_pipelines/${id}/consume`, { headers: attacker() });
    expectRefused(stolen, /Host/);
    expect(stolen.text).not.toContain("frame");
    const posted = await rawCall(server.url, "POST", `/inference_pipelines/${id}/consume`, { headers: attacker(), json: {} });
    expectRefused(posted, /Host/);
    // The operator still gets the frame: the attacker's requests did not even drain the buffer.
    const consumed = await rawCall(server.url, "GET", `/inference_pipelines/${id}/consume`, { headers: own() });
    expect((consumed.body as { frames: Json[] }).frames).toHaveLength(1);
    await rawCall(server.url, "POST", `/inference_pipelines/${id}/terminate`, { headers: own() });
  });

  it("refuses every route for a foreign Host, even GET /info and the UI", async () => {
    for (const [method, path] of [
      ["GET", "/info"],
      ["GET", "/"],
      ["GET", "/uploads"],
      ["GET", "/no/such/route"],
    ] as const) {
      expectRefused(await rawCall(server.url, method, path, { headers: attacker() }), /Host/);
    }
  });

  it("answers its loopback names on its own port, in any case; refuses other ports, look-alikes and no Host", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `127.8.9.10:${port}`, `[::1]:${port}`]) {
      const answer = await rawCall(server.url, "GET", "/info", { headers: { host } });
      expect(answer.status, host).toBe(200);
    }
    for (const host of [
      `localhost:${port + 1}`,
      "localhost",
      `127.0.0.1.attacker.example:${port}`,
      `localhost.attacker.example:${port}`,
      `127.0.0.256:${port}`,
      `[::2]:${port}`,
    ]) {
      const answer = await rawCall(server.url, "GET", "/info", { headers: { host } });
      expect(answer.status, host).toBe(403);
    }
  });

  it("refuses a request whose Origin is another site, another port or null; accepts its own origin", async () => {
    const ownOrigin = await rawCall(server.url, "POST", "/workflows/validate", { headers: { ...own(), origin: `http://localhost:${port}` }, json: ECHO });
    expect(ownOrigin.status, ownOrigin.text).toBe(200);
    for (const origin of ["http://attacker.example", `http://localhost:${port + 1}`, "null", `https://127.0.0.1:${port}.attacker.example`]) {
      expectRefused(await rawCall(server.url, "POST", "/workflows/validate", { headers: { ...own(), origin }, json: ECHO }), /Origin/);
    }
  });

  it("serves the web UI at / to http://127.0.0.1:PORT and http://localhost:PORT", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const page = await rawCall(server.url, "GET", "/", { headers: { host, accept: "text/html" } });
      expect(page.status, host).toBe(200);
      expect(page.headers["content-type"]).toMatch(/text\/html/);
    }
  });
});

describe("--allowed-hosts", () => {
  it("adds names, with or without a port, to a loopback server", async () => {
    const named = await startServer({ allowedHosts: ["cam.example", "proxy.example:8080"] });
    try {
      const ok = async (headers: Record<string, string>) => (await rawCall(named.url, "GET", "/info", { headers })).status;
      expect(await ok({ host: "cam.example" })).toBe(200);
      expect(await ok({ host: "CAM.example:4000", origin: "https://cam.example" })).toBe(200);
      expect(await ok({ host: "proxy.example:8080", origin: "http://proxy.example:8080" })).toBe(200);
      expect(await ok({ host: "proxy.example:8081" })).toBe(403);
      expect(await ok({ host: "sub.cam.example" })).toBe(403);
      expect(await ok({ host: "cam.example", origin: "http://attacker.example" })).toBe(403);
    } finally {
      await named.close();
    }
  });

  it("is off on a server listening beyond loopback, unless names are given", async () => {
    const open = createServer();
    const listed = createServer({ allowedHosts: ["cam.example"] });
    try {
      const openUrl = (await open.app.listen({ host: "0.0.0.0", port: 0 })).replace("0.0.0.0", "127.0.0.1");
      expect((await rawCall(openUrl, "GET", "/info", { headers: { host: "cam.lan:9001" } })).status).toBe(200);
      const listedUrl = (await listed.app.listen({ host: "0.0.0.0", port: 0 })).replace("0.0.0.0", "127.0.0.1");
      expect((await rawCall(listedUrl, "GET", "/info", { headers: { host: "cam.example:9001" } })).status).toBe(200);
      expect((await rawCall(listedUrl, "GET", "/info", { headers: { host: "cam.lan:9001" } })).status).toBe(403);
    } finally {
      await open.close();
      await listed.close();
    }
  });

  it("is a flag of sightline serve (comma-separated); an entry that is not a host name stops it with exit 2", async () => {
    const served = startServeCli(["--allowed-hosts", "cam.example, other.example:8080"]);
    try {
      const url = await served.address;
      expect((await rawCall(url, "GET", "/info", { headers: { host: "other.example:8080" } })).status).toBe(200);
      expect((await rawCall(url, "GET", "/info", { headers: { host: "attacker.example" } })).status).toBe(403);
    } finally {
      served.child.kill("SIGTERM");
    }
    expect(await served.exited).toBe(0);

    const wrong = startServeCli(["--allowed-hosts", "http://cam.example/"]);
    wrong.address.catch(() => undefined); // it never listens
    expect(await wrong.exited).toBe(2);
    expect(wrong.stderr()).toMatch(/--allowed-hosts/);
  });
});
