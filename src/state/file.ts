/**
 * Block state on disk (docs/reference/cli.md#state-files). At start the folder is checked (a
 * state that cannot be saved is said before any work, not after it) and the temporary files of
 * killed processes are removed; the snapshot is then loaded, and written atomically (temp file +
 * rename) every N runs and on exit, so a process killed at any moment leaves the previous
 * snapshot or the new one, never a torn file. A save that fails removes its temporary file and
 * says which file and why.
 */
import { readdir, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SnapshotError, type EngineSnapshot } from "./store.js";

export interface Snapshottable {
  snapshot(): EngineSnapshot;
}

export class StateFile {
  private sinceSave = 0;
  /** Messages of the saves that failed during the run; each is said once. */
  private readonly failures = new Set<string>();

  constructor(
    readonly path: string,
    /** Save after this many runs. */
    readonly every: number,
    /** Told of a save that failed during the run, which goes on (said once per reason). */
    private readonly onSaveFailure: (error: SnapshotError) => void,
  ) {}

  /** Whether a save failed during the run: the command has then failed, even if a later save worked. */
  get failed(): boolean {
    return this.failures.size > 0;
  }

  /**
   * Compiles with the saved snapshot, if there is one: `start` gets it as read (the engine checks
   * it), and a `SnapshotError` it throws is said to be this file's.
   */
  async resume<T>(start: (snapshot: EngineSnapshot | undefined) => T): Promise<T> {
    await this.checkFolder();
    await removeStaleTemporaries(dirname(this.path), basename(this.path));
    const snapshot = await this.load();
    try {
      return start(snapshot);
    } catch (error) {
      throw error instanceof SnapshotError ? new SnapshotError(`${this.path}: ${error.message}`) : error;
    }
  }

  /** Counts one run and saves when `every` runs have passed since the last save; never throws. */
  async ranOnce(engine: Snapshottable): Promise<void> {
    if (++this.sinceSave < this.every) return;
    try {
      await this.save(engine);
    } catch (error) {
      const failure = error instanceof SnapshotError ? error : new SnapshotError(String(error));
      if (this.failures.has(failure.message)) return;
      this.failures.add(failure.message);
      this.onSaveFailure(new SnapshotError(`${failure.message}; the run goes on, and the next save tries again`));
    }
  }

  async save(engine: Snapshottable): Promise<void> {
    this.sinceSave = 0;
    await this.write(JSON.stringify(engine.snapshot()));
  }

  /** The file's folder exists and takes a file: a state that could not be saved is said now, before any work. */
  private async checkFolder(): Promise<void> {
    await this.write(null);
  }

  /** Writes `text` atomically, or with null only checks that the folder takes the file. */
  private async write(text: string | null): Promise<void> {
    try {
      await (text === null ? checkWritable(this.path) : writeAtomically(this.path, text));
    } catch (error) {
      throw new SnapshotError(`Cannot save the state file ${this.path}: ${writeFailureReason(this.path, error as NodeJS.ErrnoException)}`);
    }
  }

  /** The saved snapshot as read (unchecked), or undefined when the file does not exist yet. */
  private async load(): Promise<EngineSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new SnapshotError(`Cannot read state file ${this.path}: ${(error as Error).message}`);
    }
    try {
      return JSON.parse(text) as EngineSnapshot;
    } catch (error) {
      throw new SnapshotError(`State file ${this.path} is not valid JSON: ${(error as Error).message}`);
    }
  }
}

/** Compiles with the state file's snapshot when there is a state file. */
export function resumeFrom<T>(file: StateFile | null, start: (snapshot: EngineSnapshot | undefined) => T): Promise<T> {
  return file ? file.resume(start) : Promise.resolve(start(undefined));
}

/** This process's temporary file for `path`: `<path>.<pid>.tmp`. */
function temporaryOf(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/**
 * Writes `data` to `path` atomically: into this process's temporary file (flushed to the disk),
 * then renamed over `path`, so that a process killed at any moment leaves the old file or the new
 * one, never a torn one. The temporary file is removed when anything fails; the error is thrown.
 */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryOf(path);
  try {
    await writeFile(temporary, data, { flush: true });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Creates and removes `path`'s temporary file: a folder that cannot take the file is said before any work. */
export async function checkWritable(path: string): Promise<void> {
  const temporary = temporaryOf(path);
  try {
    await writeFile(temporary, "");
  } finally {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

/** Why writing `path` failed, in a user's words, with the system's code. */
export function writeFailureReason(path: string, error: NodeJS.ErrnoException): string {
  const folder = dirname(path);
  const said: Record<string, string> = {
    ENOENT: `the folder ${folder} does not exist`,
    ENOTDIR: `${folder} is not a folder`,
    EACCES: `no permission to write in the folder ${folder}`,
    EPERM: `no permission to write in the folder ${folder}`,
    EROFS: `the folder ${folder} is on a read-only file system`,
    ENOSPC: "no space left on the device",
    EDQUOT: "the disk quota is exhausted",
    EISDIR: `${path} is a folder`,
  };
  const code = error.code ?? "";
  return `${said[code] ?? error.message} (${code || error.name})`;
}

/**
 * Removes the `<file>.<pid>.tmp` files a killed process left in `folder` (SIGKILL in the middle
 * of a save) — only `<name>.<pid>.tmp` when `name` is given: those of processes no longer
 * running, and this process id's, whose earlier owner is gone.
 */
export async function removeStaleTemporaries(folder: string, name?: string): Promise<void> {
  const pattern = new RegExp(`^${name === undefined ? ".+" : escapeRegExp(name)}\\.(\\d+)\\.tmp$`);
  for (const entry of await readdir(folder)) {
    const pid = Number(pattern.exec(entry)?.[1] ?? Number.NaN);
    if (Number.isInteger(pid) && (pid === process.pid || !isRunning(pid))) await rm(join(folder, entry), { force: true });
  }
}

/** Whether a process with this id runs on this machine. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, as another user
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The complete lines of an append-only log (empty when it does not exist). A last line without
 * its newline — the process was killed mid-write — is left out, and cut off the file unless
 * `readOnly`: appending after a torn line would glue the next line to it.
 */
export async function readCompleteLines(path: string, readOnly = false): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (!readOnly && end < bytes.length) await truncate(path, end);
  return bytes.subarray(0, end).toString("utf8");
}

/** A log line's object; null when the line is not a JSON object (a damaged line is skipped, not fatal). */
export function parseJsonLine(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
