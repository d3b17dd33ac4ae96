/** One JSON document per line, to stdout or a file; `close()` returns once everything is written. */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { once } from "node:events";
import type { Writable } from "node:stream";

export class JsonLinesSink {
  private closed = false;

  /** `ownsStream`: a file we opened is ended on close; a stream we were given (stdout) is only drained. */
  private constructor(
    private readonly stream: Writable,
    private readonly ownsStream: boolean,
  ) {}

  /** Appends to nothing: a file target is created (with its folder) or truncated. */
  static async open(target: Writable | string): Promise<JsonLinesSink> {
    if (typeof target !== "string") return new JsonLinesSink(target, false);
    await mkdir(dirname(target), { recursive: true });
    const stream = createWriteStream(target);
    await once(stream, "open");
    return new JsonLinesSink(stream, true);
  }

  /**
   * Writes `record` as one line. NaN and ±Infinity become `null`, as upstream's JSON encoder
   * emits them. Waits when the stream's buffer is full, so a slow consumer slows the run
   * instead of growing memory.
   */
  async write(record: unknown): Promise<void> {
    if (this.closed) throw new Error("JSON Lines sink is closed");
    if (!this.stream.write(`${JSON.stringify(record)}\n`)) await waitForDrain(this.stream);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsStream) {
      this.stream.end();
      if (!this.stream.writableFinished) await once(this.stream, "finish");
      return;
    }
    if (this.stream.writableNeedDrain) await waitForDrain(this.stream);
  }
}

function waitForDrain(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      stream.off("drain", onDrain);
      stream.off("error", done);
      stream.off("close", onDrain);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => done();
    stream.once("drain", onDrain);
    stream.once("close", onDrain);
    stream.once("error", done);
  });
}
