/** Runs the built `sightline` CLI as a user would, in a child process. */
import { spawn } from "node:child_process";
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
