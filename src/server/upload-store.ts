/**
 * Videos and images uploaded for pipelines (`POST /uploads`), kept in a private temporary folder
 * created on first use and deleted on shutdown. Bounded in size per file and in count, so a
 * client cannot fill the disk; a pipeline names one as `upload:<id>`.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RuntimeInputError } from "../errors/index.js";
import { HttpError, notFound, tooManyRequests } from "./errors.js";
import type { UploadInfo } from "./wire.js";

export interface UploadStoreOptions {
  maxBytes: number;
  maxCount: number;
  /** Parent of the private folder; default the OS temporary folder. */
  parentDir?: string;
}

export const UPLOAD_PREFIX = "upload:";

/** Keeps an extension FFmpeg can use to guess the format, and nothing that could escape the folder. */
export function safeFileName(name: string | undefined): string {
  const base = basename(name ?? "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^\.+/, "");
  return (base || "upload").slice(-100);
}

function payloadTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "PayloadTooLargeError", `The upload is larger than the server's limit of ${formatMiB(maxBytes)} (--max-upload-mb).`, {
    context: "upload",
  });
}

function formatMiB(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`;
}

export class UploadStore {
  private dir: Promise<string> | null = null;
  private readonly uploads = new Map<string, UploadInfo & { path: string }>();
  /** Uploads being written count against the limit too. */
  private pending = 0;

  constructor(private readonly options: UploadStoreOptions) {}

  async save(body: Readable, filename: string | undefined, declaredBytes: number | undefined): Promise<UploadInfo> {
    if (declaredBytes !== undefined && declaredBytes > this.options.maxBytes) throw payloadTooLarge(this.options.maxBytes);
    if (this.uploads.size + this.pending >= this.options.maxCount) {
      throw tooManyRequests(`The server holds its maximum of ${this.options.maxCount} uploads; delete one (DELETE /uploads/{id}) first.`);
    }
    this.pending++;
    try {
      const id = randomUUID().replace(/-/g, "").slice(0, 16);
      const name = safeFileName(filename);
      const path = join(await this.folder(), `${id}-${name}`);
      let bytes = 0;
      const maxBytes = this.options.maxBytes;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          callback(bytes > maxBytes ? payloadTooLarge(maxBytes) : null, chunk);
        },
      });
      try {
        await pipeline(body, counter, createWriteStream(path, { flags: "wx", mode: 0o600 }));
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
      if (bytes === 0) {
        await rm(path, { force: true });
        throw new RuntimeInputError("The upload is empty: send the file's bytes as the request body (Content-Type: application/octet-stream).", {
          context: "upload",
        });
      }
      const info = { upload_id: id, filename: name, bytes, created_at: new Date().toISOString(), video_reference: `${UPLOAD_PREFIX}${id}`, path };
      this.uploads.set(id, info);
      return this.describe(info);
    } finally {
      this.pending--;
    }
  }

  /** The file behind `upload:<id>`; a 400 naming the id when there is none. */
  resolve(id: string): string {
    const upload = this.uploads.get(id);
    if (!upload) {
      throw new RuntimeInputError(`There is no upload "${id}" (upload the file with POST /uploads first; uploads are gone after a restart).`, {
        context: "pipeline_initialisation",
      });
    }
    return upload.path;
  }

  list(): UploadInfo[] {
    return [...this.uploads.values()].map((upload) => this.describe(upload));
  }

  async delete(id: string): Promise<void> {
    const upload = this.uploads.get(id);
    if (!upload) throw notFound(`No upload "${id}".`);
    this.uploads.delete(id);
    // A pipeline still reading it keeps its open file; the name goes now.
    await rm(upload.path, { force: true });
  }

  async close(): Promise<void> {
    this.uploads.clear();
    const dir = this.dir;
    this.dir = null;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }

  private folder(): Promise<string> {
    this.dir ??= mkdtemp(join(this.options.parentDir ?? tmpdir(), "sightline-uploads-")).catch((error: unknown) => {
      this.dir = null;
      throw error;
    });
    return this.dir;
  }

  private describe({ path: _path, ...info }: UploadInfo & { path: string }): UploadInfo {
    return info;
  }
}
