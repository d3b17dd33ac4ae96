/**
 * The data folder (`sightline serve --data-dir`, docs/guides/service.md#the-data-folder):
 * pipelines that survive restarts and crashes of the process. One folder per pipeline under
 * `pipelines/`:
 *
 *   record.json          what to run and whether it should run        (rewritten on pause/resume)
 *   checkpoint.json      how far it got                               (rewritten every checkpoint)
 *   results.jsonl        frame results, appended every tick           (see results-log.ts)
 *   results-cursor.json  what `consume` has taken                     (rewritten every consume)
 *   final-report.json    the status of a run that ended
 *
 * Every file but the log is written whole, atomically (state/file.ts), so a process killed at any
 * moment leaves the old file or the new one. The folder is locked to one process
 * (data-dir-lock.ts). Opening removes the temporary files of killed processes and reads every
 * pipeline's record, results and final report; checkpoints are read when a pipeline resumes, so
 * that a damaged one fails that pipeline alone.
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { removeStaleTemporaries, writeAtomically, writeFailureReason } from "../state/file.js";
import { SnapshotError } from "../state/store.js";
import type { FrameRecord } from "../video/index.js";
import { DataDirError, LOCK_FILE, lockDataDir, type DataDirLock } from "./data-dir-lock.js";
import { ResultsLog } from "./results-log.js";
import type { Checkpoint, Consumed, DesiredState, PipelineRecord, PipelineStore, ServiceLog } from "./types.js";
import type { PipelineReport } from "./upstream-report.js";

const PIPELINES = "pipelines";
const RECORD = "record.json";
const CHECKPOINT = "checkpoint.json";
const FINAL_REPORT = "final-report.json";

interface Held {
  record: PipelineRecord;
  folder: string;
  results: ResultsLog;
  finalReport?: PipelineReport;
  /** Settles when this pipeline's last write has: its writes happen one after another, in order. */
  tail: Promise<unknown>;
}

export class FilePipelineStore implements PipelineStore {
  private readonly pipelines = new Map<string, Held>();
  private lock: DataDirLock | null = null;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly log?: ServiceLog,
  ) {}

  /** Creates the folder if needed, locks it, and reads its pipelines; a `DataDirError` says why it cannot. */
  async open(): Promise<void> {
    const root = join(this.dir, PIPELINES);
    try {
      // Only this user: records hold the sources' references, stream passwords included.
      await mkdir(root, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new DataDirError(`Cannot use the data folder ${this.dir}: ${writeFailureReason(root, error as NodeJS.ErrnoException)}`);
    }
    this.lock = await lockDataDir(this.dir);
    await removeStaleTemporaries(this.dir, LOCK_FILE);
    const held: Held[] = [];
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const pipeline = await this.load(join(root, entry.name));
      if (pipeline) held.push(pipeline);
    }
    held.sort((a, b) => a.record.created_at.localeCompare(b.record.created_at));
    for (const pipeline of held) this.pipelines.set(pipeline.record.id, pipeline);
  }

  /** One pipeline's folder; undefined (and said in the log) when it holds no pipeline that can be read. */
  private async load(folder: string): Promise<Held | undefined> {
    try {
      await removeStaleTemporaries(folder);
      const record = await readJson<PipelineRecord>(join(folder, RECORD));
      if (record === undefined) {
        // Killed between creating the folder and writing the record: the client never got the id.
        await rm(folder, { recursive: true, force: true });
        return undefined;
      }
      const { log: results, problems } = await ResultsLog.open(folder, record.spec.bufferSize);
      for (const problem of problems) this.log?.warn({ pipeline_id: record.id, problem }, "pipeline results partly unreadable");
      const finalReport = await readJson<PipelineReport>(join(folder, FINAL_REPORT)).catch((error: Error) => {
        this.log?.error({ pipeline_id: record.id, reason: error.message }, "final report unreadable; the pipeline resumes");
        return undefined;
      });
      return { record, folder, results, finalReport, tail: Promise.resolve() };
    } catch (error) {
      this.log?.error({ folder, reason: (error as Error).message }, "pipeline folder unreadable, left as it is");
      return undefined;
    }
  }

  /** Runs `write` after every earlier write of the pipeline has settled; nothing for a pipeline removed meanwhile. */
  private exclusive<T>(id: string, write: (held: Held) => Promise<T>): Promise<T | undefined> {
    const held = this.pipelines.get(id);
    if (!held) return Promise.resolve(undefined);
    const result = held.tail.then(() => (this.pipelines.get(id) === held ? write(held) : undefined));
    held.tail = result.catch(() => undefined);
    return result;
  }

  async create(record: PipelineRecord): Promise<void> {
    const folder = join(this.dir, PIPELINES, record.id);
    await mkdir(folder);
    await writeAtomically(join(folder, RECORD), JSON.stringify(record));
    this.pipelines.set(record.id, { record, folder, results: ResultsLog.empty(folder, record.spec.bufferSize), tail: Promise.resolve() });
  }

  async get(id: string): Promise<PipelineRecord | undefined> {
    return this.pipelines.get(id)?.record;
  }

  async list(): Promise<PipelineRecord[]> {
    return [...this.pipelines.values()].map((held) => held.record);
  }

  async setDesired(id: string, desired: DesiredState): Promise<void> {
    await this.exclusive(id, async (held) => {
      const record = { ...held.record, desired };
      await writeAtomically(join(held.folder, RECORD), JSON.stringify(record));
      held.record = record;
    });
  }

  async remove(id: string): Promise<void> {
    const held = this.pipelines.get(id);
    if (!held) return;
    this.pipelines.delete(id);
    // After the writes already under way, which would otherwise recreate files in the folder.
    await held.tail;
    await rm(held.folder, { recursive: true, force: true });
  }

  async saveCheckpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    await this.exclusive(id, async (held) => {
      await held.results.sync();
      await writeAtomically(join(held.folder, CHECKPOINT), JSON.stringify(checkpoint));
    });
  }

  async loadCheckpoint(id: string): Promise<Checkpoint | undefined> {
    const held = this.pipelines.get(id);
    if (!held) return undefined;
    const path = join(held.folder, CHECKPOINT);
    try {
      return await readJson<Checkpoint>(path);
    } catch (error) {
      throw new SnapshotError(
        `The checkpoint ${path} cannot be read (${(error as Error).message}), so the pipeline cannot resume. Terminate it, and start it again.`,
      );
    }
  }

  async appendResults(id: string, records: readonly FrameRecord[]): Promise<void> {
    await this.exclusive(id, (held) => held.results.append(records));
  }

  async lastFrames(id: string): Promise<Record<number, number>> {
    return this.pipelines.get(id)?.results.lastFrames ?? {};
  }

  async consume(id: string, excludedFields?: readonly string[]): Promise<Consumed> {
    return (await this.exclusive(id, (held) => held.results.consume(excludedFields))) ?? { frames: [], dropped: 0 };
  }

  async resultCounts(id: string): Promise<{ buffered: number; dropped: number }> {
    return this.pipelines.get(id)?.results.counts ?? { buffered: 0, dropped: 0 };
  }

  async saveFinalReport(id: string, report: PipelineReport): Promise<void> {
    await this.exclusive(id, async (held) => {
      await writeAtomically(join(held.folder, FINAL_REPORT), JSON.stringify(report));
      held.finalReport = report;
    });
  }

  async loadFinalReport(id: string): Promise<PipelineReport | undefined> {
    return this.pipelines.get(id)?.finalReport;
  }

  /** Waits for every write under way, then unlocks the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.pipelines.values()].map((held) => held.tail));
    await this.lock?.release();
    this.lock = null;
  }
}

/** A JSON file's value; undefined when the file does not exist; throws when it is not JSON. */
async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}
