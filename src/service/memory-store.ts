/**
 * The store of a process that keeps nothing: pipelines live as long as the process (the library's
 * `createServer` without a data folder). Same contract as the durable stores, so that the runner
 * and the routes have one path.
 */
import type { FrameRecord } from "../video/index.js";
import { appendResults, emptyResults, takeResults, type ResultsState } from "./results-buffer.js";
import type { Checkpoint, Consumed, DesiredState, PipelineRecord, PipelineStore } from "./types.js";
import type { PipelineReport } from "./upstream-report.js";

interface Held {
  record: PipelineRecord;
  checkpoint?: Checkpoint;
  results: ResultsState;
  finalReport?: PipelineReport;
}

export class MemoryPipelineStore implements PipelineStore {
  private readonly pipelines = new Map<string, Held>();

  async create(record: PipelineRecord): Promise<void> {
    this.pipelines.set(record.id, { record, results: emptyResults() });
  }

  async get(id: string): Promise<PipelineRecord | undefined> {
    return this.pipelines.get(id)?.record;
  }

  async list(): Promise<PipelineRecord[]> {
    return [...this.pipelines.values()].map((held) => held.record);
  }

  async setDesired(id: string, desired: DesiredState): Promise<void> {
    const held = this.pipelines.get(id);
    if (held) held.record = { ...held.record, desired };
  }

  async remove(id: string): Promise<void> {
    this.pipelines.delete(id);
  }

  async saveCheckpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    const held = this.pipelines.get(id);
    if (held) held.checkpoint = checkpoint;
  }

  async loadCheckpoint(id: string): Promise<Checkpoint | undefined> {
    return this.pipelines.get(id)?.checkpoint;
  }

  async appendResults(id: string, records: readonly FrameRecord[]): Promise<void> {
    const held = this.pipelines.get(id);
    if (held) appendResults(held.results, records, held.record.spec.bufferSize);
  }

  async lastFrames(id: string): Promise<Record<number, number>> {
    return { ...this.pipelines.get(id)?.results.last_frames };
  }

  async consume(id: string, excludedFields?: readonly string[]): Promise<Consumed> {
    const held = this.pipelines.get(id);
    return held ? takeResults(held.results, excludedFields) : { frames: [], dropped: 0 };
  }

  async resultCounts(id: string): Promise<{ buffered: number; dropped: number }> {
    const results = this.pipelines.get(id)?.results;
    return { buffered: results?.frames.length ?? 0, dropped: results?.dropped_total ?? 0 };
  }

  async saveFinalReport(id: string, report: PipelineReport): Promise<void> {
    const held = this.pipelines.get(id);
    if (held) held.finalReport = report;
  }

  async loadFinalReport(id: string): Promise<PipelineReport | undefined> {
    return this.pipelines.get(id)?.finalReport;
  }

  async close(): Promise<void> {}
}
