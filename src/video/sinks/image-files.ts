/** Image outputs as JPEG files: `DIR/<output name>/<source>_<frame>.jpg`. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeJpeg } from "../../images/codec.js";
import type { WorkflowImage } from "../../images/index.js";

/** Output and source names become path parts: anything but `[A-Za-z0-9._-]` turns into `_`. */
export function safePathPart(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_");
  return safe === "" || safe === "." || safe === ".." ? "_" : safe;
}

export class ImageFileSink {
  private readonly folders = new Map<string, Promise<string | undefined>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    readonly directory: string,
    private readonly quality = 95,
  ) {}

  /** The path the image of `output` for this frame goes to; `suffix` tells apart images nested in one output. */
  pathFor(output: string, source: string, frameNumber: number, suffix = ""): string {
    return join(this.directory, safePathPart(output), `${safePathPart(source)}_${frameNumber}${suffix}.jpg`);
  }

  /** Encodes and writes; resolves with the file's path. */
  async write(output: string, source: string, frameNumber: number, image: WorkflowImage, suffix = ""): Promise<string> {
    const folder = join(this.directory, safePathPart(output));
    let created = this.folders.get(folder);
    if (!created) {
      created = mkdir(folder, { recursive: true });
      this.folders.set(folder, created);
    }
    const path = this.pathFor(output, source, frameNumber, suffix);
    const writing = created.then(async () => writeFile(path, await encodeJpeg(image, this.quality)));
    this.pending.add(writing);
    try {
      await writing;
    } finally {
      this.pending.delete(writing);
    }
    return path;
  }

  /** Waits for writes still in flight. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
