/**
 * A real `redis-server` for tests (Debian's package; `apt-get install redis-server`), on 127.0.0.1
 * on a free port, in its own temporary folder, with the append-only file on so that its data
 * survives a kill and a restart.
 *
 * ```ts
 * const redis = await startRedis();          // answers PING when this resolves
 * redis.url;                                 // "redis://127.0.0.1:<port>"
 * await redis.redisCli(["DBSIZE"]);          // redis-cli's output, trimmed
 * await redis.kill();                        // SIGKILL: clients see the connection drop
 * await redis.restart();                     // same port, same folder, same data
 * await redis.stop();                        // SIGTERM, then the folder is removed (call in afterAll)
 * ```
 *
 * - `startRedis(options?)` → `RedisServer`; `options.appendfsync` (default `"always"`: every write
 *   is on disk before Redis answers, so a kill loses nothing a client was told was written;
 *   benchmarks may pass `"everysec"`).
 * - `url`, `port`, `dir` (the data folder), `pid` (of the current process; changes on restart).
 * - `kill()`: SIGKILL, resolved once the process has exited; `restart()` brings it back.
 * - `restart()`: stops it if running (SIGTERM), starts it again on the same port and folder, and
 *   resolves once it answers PING (after loading its data).
 * - `stop()`: SIGTERM, waits for the exit, removes the folder; idempotent.
 * - `redisCli(args)`: runs `redis-cli -p <port> …args` and resolves with its standard output.
 *
 * A missing `redis-server` fails the test (nothing is skipped) with what to install. Servers left
 * running by a test that failed before `stop()` are killed when the test process exits.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  redisCli(args: readonly string[]): Promise<string>;
}

export interface StartRedisOptions {
  appendfsync?: "always" | "everysec" | "no";
}

const INSTALL_HINT = "redis-server is not installed: apt-get install redis-server (CI installs it in .ci/run)";
/** A hang guard for start-up (loading a large AOF takes a while), not a timing check. */
const START_LIMIT_MS = 30_000;

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  requireRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "sightline-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    options.appendfsync ?? "always",
    "--save",
    "",
    "--daemonize",
    "no",
    "--logfile",
    join(dir, "redis.log"),
  ];
  let child: ChildProcess | null = null;
  let stopped = false;

  const launch = async () => {
    const started = spawn("redis-server", args, { stdio: "ignore" });
    running.add(started);
    started.once("exit", () => running.delete(started));
    child = started;
    await waitUntilAnswering(port, started, dir);
  };
  const end = async (signal: NodeJS.Signals) => {
    const current = child;
    child = null;
    if (current && current.exitCode === null && current.signalCode === null) {
      const exited = new Promise((resolve) => current.once("exit", resolve));
      current.kill(signal);
      await exited;
    }
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    kill: () => end("SIGKILL"),
    async restart() {
      if (stopped) throw new Error("this redis-server was stopped for good; start another");
      await end("SIGTERM");
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await end("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    redisCli: (cliArgs) => redisCli(port, cliArgs),
  };
}

function requireRedisServer(): void {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers PING with PONG (not `-LOADING` while it reads its data). */
async function waitUntilAnswering(port: number, child: ChildProcess, dir: string): Promise<void> {
  const until = Date.now() + START_LIMIT_MS;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited at start: ${logOf(dir)}`);
    if (Date.now() > until) throw new Error(`redis-server did not answer PING on port ${port}: ${logOf(dir)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
  });
}

function logOf(dir: string): string {
  try {
    return readFileSync(join(dir, "redis.log"), "utf8").split("\n").slice(-10).join("\n");
  } catch {
    return "(no log)";
  }
}

function redisCli(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`redis-cli ${args.join(" ")} exited ${code}: ${stderr}`))));
  });
}
