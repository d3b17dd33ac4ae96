/**
 * Finding FFmpeg and running it as a child process. sightline never links FFmpeg: it runs the
 * system's `ffmpeg`/`ffprobe` (or the ones `SIGHTLINE_FFMPEG`/`SIGHTLINE_FFPROBE` name), so the
 * user's build decides which codecs and protocols work.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { basename, dirname, extname, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { FfmpegNotFoundError } from "./errors.js";

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** As `ffmpeg -version` prints it, e.g. "5.1.6-0+deb12u1" or "N-47683-g0e8eb07980-static". */
  version: string;
  /**
   * Output options that hand every decoded frame through unchanged: without them the raw muxers
   * default to constant frame rate and silently duplicate or drop frames of variable-rate input.
   * `-fps_mode` appeared in FFmpeg 5.1; older builds only know `-vsync`.
   */
  passthroughArgs: readonly string[];
}

export const INSTALL_HINT = [
  "sightline decodes and encodes video with FFmpeg. Install it:",
  "  Debian/Ubuntu: sudo apt-get install ffmpeg",
  "  Fedora:        sudo dnf install ffmpeg   (RPM Fusion)",
  "  Arch:          sudo pacman -S ffmpeg",
  "  macOS:         brew install ffmpeg",
  "  Windows:       winget install Gyan.FFmpeg   (or: choco install ffmpeg)",
  "or point SIGHTLINE_FFMPEG (and SIGHTLINE_FFPROBE) at the binaries.",
].join("\n");

const discoveries = new Map<string, Promise<FfmpegTools>>();

/**
 * Locates ffmpeg and ffprobe and checks that they run. Throws `FfmpegNotFoundError` with an
 * install hint. The result is cached per configuration.
 */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<FfmpegTools> {
  const ffmpeg = env.SIGHTLINE_FFMPEG || "ffmpeg";
  const ffprobe = env.SIGHTLINE_FFPROBE || siblingFfprobe(ffmpeg);
  const key = `${ffmpeg}\0${ffprobe}`;
  let found = discoveries.get(key);
  if (!found) {
    found = discover(ffmpeg, ffprobe, env.SIGHTLINE_FFMPEG !== undefined && env.SIGHTLINE_FFMPEG !== "");
    discoveries.set(key, found);
    // A failed look-up is not cached: the user may install FFmpeg and retry in the same process.
    found.catch(() => discoveries.delete(key));
  }
  return found;
}

/** `/opt/ff/ffmpeg` → `/opt/ff/ffprobe`, keeping a Windows `.exe`; a bare name is looked up on PATH. */
function siblingFfprobe(ffmpeg: string): string {
  const name = basename(ffmpeg);
  if (name === ffmpeg) return "ffprobe";
  const extension = extname(name);
  return join(dirname(ffmpeg), `ffprobe${extension}`);
}

async function discover(ffmpeg: string, ffprobe: string, fromEnv: boolean): Promise<FfmpegTools> {
  const where = fromEnv ? ` (SIGHTLINE_FFMPEG=${ffmpeg})` : " on PATH";
  const versionText = await runForOutput(ffmpeg, ["-hide_banner", "-version"]).catch((error: Error) => {
    throw new FfmpegNotFoundError(`ffmpeg was not found${where}: ${error.message}\n${INSTALL_HINT}`, { inner: error });
  });
  await runForOutput(ffprobe, ["-hide_banner", "-version"]).catch((error: Error) => {
    throw new FfmpegNotFoundError(`ffprobe was not found (looked for ${ffprobe}): ${error.message}\n${INSTALL_HINT}`, { inner: error });
  });
  const version = /ffmpeg version (\S+)/.exec(versionText)?.[1] ?? "unknown";
  const fpsMode = hasFpsMode(version) ?? (await runForOutput(ffmpeg, ["-hide_banner", "-h", "long"])).includes("-fps_mode");
  return { ffmpeg, ffprobe, version, passthroughArgs: fpsMode ? ["-fps_mode", "passthrough"] : ["-vsync", "passthrough"] };
}

/** From a release version string; null when the build is a git snapshot and only its help can tell. */
export function hasFpsMode(version: string): boolean | null {
  const match = /^n?(\d+)\.(\d+)/.exec(version);
  if (!match) return null;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > 5 || (major === 5 && minor >= 1);
}

function runForOutput(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        reject(new Error(code === "ENOENT" ? "no such executable" : code === "EACCES" ? "not executable" : error.message));
      } else resolve(stdout);
    });
  });
}

// ---- child processes ---------------------------------------------------------------------------

export type LogLevel = "panic" | "fatal" | "error" | "warning" | "info" | "verbose" | "debug" | "trace";

export interface LogLine {
  level: LogLevel | null;
  message: string;
}

/** ffmpeg run with `-loglevel level+…` prefixes each line with its level after any `[ctx @ 0x…]` tags. */
export function parseLogLine(line: string): LogLine {
  const match = /^(?:\[[^\]]*\] )*\[(panic|fatal|error|warning|info|verbose|debug|trace)\] (.*)$/.exec(line);
  if (!match) return { level: null, message: line };
  return { level: match[1] as LogLevel, message: match[2] };
}

export function isErrorLevel(level: LogLevel | null): boolean {
  return level === "error" || level === "fatal" || level === "panic";
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  spawnError?: Error;
}

export interface FfmpegProcessOptions {
  /** Open a pipe to the child's stdin (encoders); decoders get none (`-nostdin` as well). */
  stdin?: boolean;
  onLog?: (line: LogLine) => void;
}

const TAIL_LINES = 20;

/** One ffmpeg/ffprobe child: stderr split into lines, a promise of its exit, and a kill that waits. */
export class FfmpegProcess {
  readonly exited: Promise<ProcessExit>;
  readonly stdout: Readable;
  readonly stdin: Writable | null;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exit: ProcessExit | null = null;

  constructor(binary: string, args: readonly string[], options: FfmpegProcessOptions = {}) {
    this.child = spawn(binary, args, {
      stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
      windowsHide: true,
      // Own process group: a terminal's Ctrl-C reaches only us, and we stop decoders and finish
      // encoders in order (an encoder interrupted by SIGINT exits 255, a decoder would look like a
      // dropped stream). If we die, closed pipes make the children exit by themselves.
      detached: process.platform !== "win32",
    });
    this.stdout = this.child.stdout as Readable;
    this.stdin = options.stdin ? this.child.stdin : null;
    // An encoder that dies makes writes fail with EPIPE; the exit status reports it instead.
    this.stdin?.on("error", () => undefined);
    let partial = "";
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const line of lines) this.logLine(line, options.onLog);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("error", (spawnError) => {
        this.exit ??= { code: null, signal: null, spawnError };
        resolve(this.exit);
      });
      this.child.once("close", (code, signal) => {
        if (partial) this.logLine(partial, options.onLog);
        partial = "";
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
  }

  private logLine(line: string, onLog: ((line: LogLine) => void) | undefined): void {
    if (!line.trim()) return;
    const parsed = parseLogLine(line);
    if (parsed.level !== "info" && parsed.level !== "verbose") {
      this.tail.push(parsed.message);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
    }
    onLog?.(parsed);
  }

  /** The last warning/error lines, to say why a process failed. */
  get lastMessages(): readonly string[] {
    return this.tail;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Sends a signal and returns (tests pause a stream server with SIGSTOP). */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === null) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
  async kill(graceMs = 1000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.kill("SIGTERM");
    // A decoder blocked on a full stdout pipe must see the pipe close to notice anything.
    this.stdout.destroy();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** Why a child failed, in one line, for events and errors. */
export function describeExit(exit: ProcessExit, lastMessages: readonly string[]): string {
  if (exit.spawnError) return `could not start ffmpeg: ${exit.spawnError.message}`;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const why = lastMessages.length > 0 ? `: ${lastMessages[lastMessages.length - 1]}` : "";
  return `ffmpeg ${how}${why}`;
}
