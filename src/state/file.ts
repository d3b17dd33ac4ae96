/**
 * Block state on disk: loaded at start, written atomically (temp file + rename) every N runs and
 * on exit, so a process killed at any moment leaves the previous snapshot or the new one, never a
 * torn file.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { SnapshotError, type EngineSnapshot } from "./store.js";

export interface Snapshottable {
  snapshot(): EngineSnapshot;
}

export class StateFile {
  private sinceSave = 0;

  constructor(
    readonly path: string,
    /** Save after this many runs. */
    readonly every: number,
  ) {}

  /** The saved snapshot, or undefined when the file does not exist yet. */
  async load(): Promise<EngineSnapshot | undefined> {
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

  /** Counts one run and saves when `every` runs have passed since the last save. */
  async ranOnce(engine: Snapshottable): Promise<void> {
    if (++this.sinceSave >= this.every) await this.save(engine);
  }

  async save(engine: Snapshottable): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(engine.snapshot()), { flush: true });
    await rename(temporary, this.path);
    this.sinceSave = 0;
  }
}
