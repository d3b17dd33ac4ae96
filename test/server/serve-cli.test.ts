/** `sightline serve` as a user runs it: the built CLI in a child process, stopped by a signal. */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const address = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const match = /serving workflows on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, address, exited, stderr: () => stderr };
}

describe("sightline serve", () => {
  it("listens on 127.0.0.1, takes the API key from SIGHTLINE_API_KEY, and stops cleanly on SIGTERM", async () => {
    const server = startCli([], { SIGHTLINE_API_KEY: "from-env" });
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
    const result = await runCli(["serve", "--port", "0", "--dtype", "fp64"]);
    expect(result.code).toBe(2); // a wrong command line (docs/reference/cli.md#output-and-exit-codes)
    expect(result.stderr).toMatch(/dtype/);
  });
});
