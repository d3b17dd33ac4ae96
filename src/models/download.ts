/**
 * One file from the network into the cache, all or nothing: the body goes to a temporary file
 * in the destination's folder, is checked against Content-Length, flushed to disk and only then
 * renamed into place. A crash, a dropped connection or a short body leaves no file under the
 * final name, so a file in the cache is always a complete one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ModelDownloadError } from "./errors.js";

export interface DownloadProgress {
  /** What is being downloaded, e.g. `Xenova/clip-vit-base-patch32/onnx/vision_model.onnx`. */
  readonly label: string;
  readonly bytesDone: number;
  /** From Content-Length; null when the server does not say. */
  readonly bytesTotal: number | null;
  /** Average since the download started. */
  readonly bytesPerSecond: number;
  readonly done: boolean;
}

export interface DownloadOptions {
  label: string;
  onProgress?: ((progress: DownloadProgress) => void) | null;
  signal?: AbortSignal;
}

/** Temporary files are hidden and end in `.part`, so a listing of the cache can skip them. */
export const PARTIAL_SUFFIX = ".part";

export async function downloadFile(url: string, destination: string, options: DownloadOptions): Promise<number> {
  const { label } = options;
  let response: Response;
  try {
    // Identity encoding: Content-Length then counts the bytes we write, so it can be checked.
    response = await fetch(url, { headers: { "accept-encoding": "identity" }, signal: options.signal });
  } catch (error) {
    throw new ModelDownloadError(`could not download ${label} from ${url}: ${describeCause(error)}`);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new ModelDownloadError(`could not download ${label} from ${url}: HTTP ${response.status} ${response.statusText}`.trim(), response.status);
  }
  const bytesTotal = expectedLength(response);
  await mkdir(dirname(destination), { recursive: true });
  const temporary = join(dirname(destination), `.${basename(destination)}.${process.pid}.${randomBytes(4).toString("hex")}${PARTIAL_SUFFIX}`);
  const file = await open(temporary, "w");
  const started = performance.now();
  let bytesDone = 0;
  const report = (done: boolean): void => {
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({ label, bytesDone, bytesTotal, bytesPerSecond: seconds > 0 ? bytesDone / seconds : 0, done });
  };
  try {
    report(false);
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        await file.write(chunk);
        bytesDone += chunk.byteLength;
        report(false);
      }
    } catch (error) {
      const of = bytesTotal === null ? "" : ` of ${bytesTotal}`;
      throw new ModelDownloadError(`download of ${label} from ${url} was interrupted after ${bytesDone}${of} bytes: ${describeCause(error)}`);
    }
    if (bytesTotal !== null && bytesDone !== bytesTotal) {
      throw new ModelDownloadError(`download of ${label} from ${url} is corrupt: received ${bytesDone} bytes, the server announced ${bytesTotal}`);
    }
    await file.sync();
    await file.close();
    await rename(temporary, destination);
    report(true);
    return bytesDone;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    if (error instanceof ModelDownloadError) {
      throw new ModelDownloadError(`${error.message}; nothing was kept in the cache, so trying again downloads it afresh`, error.status);
    }
    throw error;
  }
}

function expectedLength(response: Response): number | null {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding !== "identity") return null;
  const header = response.headers.get("content-length");
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header);
}

/** undici hides the socket error in `cause` ("terminated" ← "other side closed"). */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && parts.length < 4) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(": ") : String(error);
}
