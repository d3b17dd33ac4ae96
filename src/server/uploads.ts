/**
 * Uploads, so that clients (the web UI) can run pipelines on their own files without the server
 * opening arbitrary paths:
 *
 * - `POST /uploads` — the raw file as the body, `Content-Type: application/octet-stream`, the
 *   original name in the `X-Filename` header (its extension helps FFmpeg) → 200
 *   `{upload_id, filename, bytes, created_at, video_reference: "upload:<id>"}`. Too large → 413;
 *   too many uploads held → 429. Files live in a private temporary folder, deleted on shutdown.
 * - `GET /uploads` → `{uploads: [...]}`; `DELETE /uploads/{id}` → `{status: "deleted", upload_id}`.
 *
 * Use the `video_reference` in `POST /inference_pipelines/initialise`.
 */
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerContext } from "./context.js";
import { HttpError } from "./errors.js";

export function registerUploadRoutes(app: FastifyInstance, context: ServerContext): void {
  // Scoped to this plugin: only here does an octet-stream body arrive as a stream, unbuffered.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));

    scope.post("/uploads", async (request: FastifyRequest) => {
      if (request.headers["content-type"]?.split(";")[0].trim().toLowerCase() !== "application/octet-stream" || !isStream(request.body)) {
        throw new HttpError(
          415,
          "UnsupportedMediaTypeError",
          "Send the file's bytes as the body with Content-Type: application/octet-stream (and its name in X-Filename).",
          {
            context: "upload",
          },
        );
      }
      const declared = Number(request.headers["content-length"]);
      const filename = request.headers["x-filename"];
      return context.uploads.save(request.body, typeof filename === "string" ? filename : undefined, Number.isFinite(declared) ? declared : undefined);
    });

    scope.get("/uploads", async () => ({ uploads: context.uploads.list() }));

    scope.delete("/uploads/:id", async (request: FastifyRequest<{ Params: { id: string } }>) => {
      await context.uploads.delete(request.params.id);
      return { status: "deleted", upload_id: request.params.id };
    });
  });
}

function isStream(body: unknown): body is Readable {
  return typeof body === "object" && body !== null && typeof (body as Readable).pipe === "function";
}
