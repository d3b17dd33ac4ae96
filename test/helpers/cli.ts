/** Runs the built `sightline` CLI as a user would, in a child process. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, one value per non-empty line. */
  lines: unknown[];
}

export function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const lines = stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => {
          try {
            return JSON.parse(line) as unknown;
          } catch {
            return line;
          }
        });
      resolvePromise({ code, signal, stdout, stderr, lines });
    });
  });
}

/**
 * What `sightline <command…> --help` of the built CLI lists: the `--flag` words of its Options
 * section and the commands of its Commands section (`help` left out).
 */
export function cliHelp(command: readonly string[]): { flags: string[]; commands: string[] } {
  const help = spawnSync(process.execPath, [CLI, ...command, "--help"], { encoding: "utf8" }).stdout;
  const flags = new Set<string>();
  const commands: string[] = [];
  let part = "";
  for (const line of help.split("\n")) {
    if (/^\S.*:$/.test(line)) part = line;
    else if (part === "Options:" && /^ {2}-/.test(line))
      for (const flag of line
        .trim()
        .split(/\s{2,}/)[0]
        .matchAll(/--[a-z][a-z0-9-]*/g))
        flags.add(flag[0]);
    else if (part === "Commands:" && /^ {2}[a-z]/.test(line)) commands.push(line.trim().split(/\s+/)[0]);
  }
  return { flags: [...flags], commands: commands.filter((name) => name !== "help") };
}

/** A fresh temporary directory. */
export function tempDir(prefix = "sightline-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes JSON (or JSON Lines for an array with `jsonl`) to a temp file and returns its path. */
export function writeTemp(name: string, content: unknown, dir = tempDir()): string {
  const path = join(dir, name);
  const text = name.endsWith(".jsonl") ? (content as unknown[]).map((line) => JSON.stringify(line)).join("\n") + "\n" : JSON.stringify(content);
  writeFileSync(path, text);
  return path;
}

/**
 * The CLI as a live child process, as a producer that keeps its standard input open drives it:
 * lines written when the test says, standard output read as it comes.
 */
export class LiveCli {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiting: { count: number; resolve: () => void }[] = [];

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      const count = this.lines().length;
      for (const wait of this.waiting.filter((waiting) => waiting.count <= count)) wait.resolve();
      this.waiting = this.waiting.filter((waiting) => waiting.count > count);
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Writes one JSON line to the command's standard input, which stays open. */
  write(value: unknown): void {
    this.child.stdin.write(`${JSON.stringify(value)}\n`);
  }

  /** Standard output so far, one parsed JSON value per complete line. */
  lines(): unknown[] {
    return this.stdout
      .split("\n")
      .slice(0, -1)
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as unknown);
  }

  /** Resolves once standard output holds `count` lines (or the process has ended). */
  async linesOut(count: number): Promise<unknown[]> {
    if (this.lines().length < count) await Promise.race([new Promise<void>((resolve) => this.waiting.push({ count, resolve })), this.exited]);
    return this.lines();
  }

  /** Ends the process if a test left it running (e.g. a test that failed waiting for it). */
  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
