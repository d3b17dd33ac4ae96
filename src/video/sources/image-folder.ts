/**
 * A folder of images played like a video file: natural order (`frame2` before `frame10`), every
 * image a frame, timestamps start + (i−1)/fps with the start taken from the folder's mtime (see
 * `recordingStartMs`). An image that cannot be decoded is reported with its frame number and
 * skipped, so frame numbers keep matching positions in the folder. Started after frame N
 * (`startAfterFrame`), images 1…N are not read.
 */
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { decodeImage } from "../../images/codec.js";
import { fileFrameTimestamp, samplingStride } from "../timing.js";
import { sampledFrames } from "../frame-selection.js";
import { DEFAULT_FOLDER_FPS, QueuedSource, recordingStartMs } from "./source.js";
import type { RawFrame } from "../ppm.js";

/** What sharp decodes (BMP is not among them). */
export const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif"]);

const naturalOrder = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Image file names of a folder in natural order, ties broken by exact name so the order is total. */
export function sortNaturally(names: readonly string[]): string[] {
  return [...names].sort((a, b) => naturalOrder.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

export async function listImages(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())).map((entry) => entry.name);
  return sortNaturally(names);
}

export class ImageFolderSource extends QueuedSource {
  protected async run(): Promise<void> {
    const fps = this.options.fps ?? DEFAULT_FOLDER_FPS;
    if (!(fps > 0)) {
      this.fail(`fps must be positive, got ${fps}`);
      return;
    }
    let names: string[];
    try {
      names = await listImages(this.reference);
    } catch (error) {
      this.fail(`cannot read image folder ${this.reference}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return;
    }
    if (names.length === 0) {
      this.fail(`no images in ${this.reference} (looked for ${[...IMAGE_EXTENSIONS].join(", ")})`);
      return;
    }
    this.declaredFps = fps;
    const every = samplingStride(fps, this.options.sampleFps);
    this.totalFrames = Math.ceil(names.length / every);
    const sampled = sampledFrames(every, this.startAfter);
    // nothing after the start frame: a resumed run that had finished
    if (sampled.frameNumber(0) > names.length) {
      this.end();
      return;
    }
    const startMs = await recordingStartMs(this.reference, names.length, fps);
    this.state = "running";
    this.emit({ ...this.base(), type: "connected", attempt: 0 });
    for (let frameNumber = sampled.frameNumber(0); frameNumber <= names.length; frameNumber += every) {
      if (this.stopping) return;
      const name = names[frameNumber - 1];
      let raw: RawFrame;
      try {
        raw = await this.decode(join(this.reference, name));
      } catch (error) {
        this.reportError(frameNumber, `${name}: ${(error as Error).message}`);
        continue;
      }
      const frame = this.stamp(raw, frameNumber, fileFrameTimestamp(startMs, frameNumber, fps), true);
      if (!(await this.put(frame))) return;
    }
    this.end();
  }

  private async decode(path: string): Promise<RawFrame> {
    const image = await decodeImage(await readFile(path), path, null, this.options.scale);
    return { width: image.width, height: image.height, data: image.data, bytes: image.data.length };
  }
}
