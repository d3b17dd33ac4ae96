/**
 * A real `redis-server` on 127.0.0.1 for one test file: a free port, its own temporary folder,
 * persistence on (append-only file, fsync always) so that a restart keeps what was written.
 * Stand-in for test/helpers/redis.ts (same API) until that lands.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface RedisServer {
  url: string;
  port: number;
  /** SHUTDOWN (saving) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** Stops it (saving) and starts it again on the same port and folder. */
  restart(): Promise<void>;
  redisCli(args: readonly string[]): Promise<string>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "sightline-redis-"));
  const cli = (args: readonly string[]) => promisify(execFile)("redis-cli", ["-p", String(port), ...args]).then(({ stdout }) => stdout.trim());
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
      {
        stdio: "ignore",
      },
    );
    for (let attempt = 0; ; attempt++) {
      if ((await cli(["ping"]).catch(() => "")) === "PONG") return;
      if (attempt > 200) throw new Error("redis-server did not start");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const exited = () => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
  const stop = async () => {
    await cli(["shutdown", "save"]).catch(() => "");
    await exited();
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited();
    },
    restart: async () => {
      await stop();
      await launch();
    },
    redisCli: cli,
  };
}
