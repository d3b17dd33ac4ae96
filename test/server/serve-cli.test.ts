/** `sightline serve` as a user runs it: the built CLI in a child process, stopped by a signal. */
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startServeCli } from "./helpers.js";

describe("sightline serve", () => {
  it("listens on 127.0.0.1, takes the API key from SIGHTLINE_API_KEY, and stops cleanly on SIGTERM", async () => {
    const server = startServeCli([], { SIGHTLINE_API_KEY: "from-env" });
    try {
      const url = await server.address;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/workflows/execution_engine/versions`)).status).toBe(401);
      const answer = await fetch(`${url}/workflows/execution_engine/versions`, { headers: { authorization: "Bearer from-env" } });
      expect(await answer.json()).toEqual({ versions: ["1.15.0"] });
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM — stopping pipelines and closing/);
  });

  it("refuses a bad --dtype at start", async () => {
    const result = await runCli(["serve", "--port", "0", "--no-data-dir", "--dtype", "fp64"]);
    expect(result.code).toBe(2); // a wrong command line (docs/reference/cli.md#output-and-exit-codes)
    expect(result.stderr).toMatch(/dtype/);
  });
});
