/**
 * Upstream's CLIP routes (docs/reference/http.md#clip-routes), on the server's shared model
 * runtime — what Roboflow's Python SDK calls in `get_clip_image_embeddings`,
 * `get_clip_text_embeddings` and `clip_compare`:
 *
 * - `POST /clip/embed_image` `{image: image | [image], clip_version_id?, model_id?, api_key?}` →
 *   `{embeddings: [[…]], time, frame_id, inference_id}`;
 * - `POST /clip/embed_text` `{text: string | [string], …}` → the same;
 * - `POST /clip/compare` `{subject, subject_type ("image"), prompt, prompt_type ("text"), …}` →
 *   `{similarity, time, frame_id, inference_id, parent_id}`: the cosine similarity of the
 *   subject's embedding to each prompt's, a list — or, when `prompt` is an object of named
 *   prompts (not itself an image), an object under the same names.
 *
 * Embeddings are the raw projections, as upstream's and the `clip` block's. The version is
 * `clip_version_id`, else the one `model_id` (`clip/<version>`) names, else upstream's default,
 * ViT-B-16; only upstream's version names are accepted (a mapped `--model` folder is used for its
 * name), so a request can never name a folder of the server. Each request takes a slot among the
 * server's concurrent runs and has the request timeout; its images are admitted as a workflow
 * run's are (`request-images.ts`): counted, checked from their headers and their memory reserved
 * before any is decoded.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { RuntimeInputError } from "../errors/index.js";
import { loadImage } from "../images/codec.js";
import type { WorkflowImage } from "../images/index.js";
import { cosineSimilarity } from "../maths/vectors.js";
import { ModelError } from "../models/errors.js";
import { clipFamily, DEFAULT_COMPARISON_VERSION, UPSTREAM_CLIP_VERSIONS } from "../models/families/clip/index.js";
import { modelRuntime, type ModelRequest } from "../models/runtime.js";
import type { ServerContext } from "./context.js";
import { HttpError } from "./errors.js";
import { withDeadline, type MemoryReservation } from "./limits.js";
import { parseBody } from "./requests.js";
import type { RequestImage } from "./request-images.js";

const MODEL_ID_PREFIX = "clip/";
const VERSION_MESSAGE = `must be one of ${UPSTREAM_CLIP_VERSIONS.join(", ")}`;

const ClipRequestSchema = z.object({
  api_key: z.string().nullish(),
  clip_version_id: z.enum(UPSTREAM_CLIP_VERSIONS, { error: VERSION_MESSAGE }).nullish(),
  model_id: z
    .string()
    .refine((id) => (UPSTREAM_CLIP_VERSIONS as readonly string[]).includes(id.slice(MODEL_ID_PREFIX.length)) && id.startsWith(MODEL_ID_PREFIX), {
      error: `must be clip/<version>, where the version ${VERSION_MESSAGE}`,
    })
    .nullish(),
});

/** Upstream's `InferenceRequestImage`; its value is checked when the image is loaded. */
const ImageSchema = z.looseObject({ type: z.string(), value: z.unknown() });

const EmbedImageSchema = ClipRequestSchema.extend({ image: z.union([ImageSchema, z.array(ImageSchema).min(1)]) });

const EmbedTextSchema = ClipRequestSchema.extend({ text: z.union([z.string(), z.array(z.string()).min(1)]) });

const Modality = z.enum(["image", "text"]);

const CompareSchema = ClipRequestSchema.extend({
  subject: z.union([ImageSchema, z.string()]),
  subject_type: Modality.default("image"),
  // A list, one prompt, or named prompts: told apart by `comparedPrompts`.
  prompt: z.union([z.array(z.unknown()).min(1), z.string(), z.record(z.string(), z.unknown())]),
  prompt_type: Modality.default("text"),
});

type Modality = z.output<typeof Modality>;
type ClipRequest = z.output<typeof ClipRequestSchema>;

/** What every answer has besides its result, as upstream's `InferenceResponse`. */
interface InferenceResponse {
  /** Seconds the request took, images' decoding included. */
  time: number;
  frame_id: null;
  inference_id: string;
}

export function registerClipRoutes(app: FastifyInstance, context: ServerContext): void {
  /** `images`: how many images the body holds per field, counted before anything is read. */
  const route =
    <S extends z.ZodType<ClipRequest>, T>(
      path: string,
      schema: S,
      images: (body: z.output<S>) => Record<string, number>,
      answer: (clip: ClipCalls, body: z.output<S>) => Promise<T>,
    ) =>
    (request: FastifyRequest, reply: FastifyReply): Promise<T & InferenceResponse> => {
      const body = parseBody(schema, request.body, `POST ${path}`);
      const counts = Object.entries(images(body)).filter(([, count]) => count > 0);
      context.images.checkCount(
        counts.reduce((total, [, count]) => total + count, 0),
        counts.map(([field, count]) => `${field}: ${count}`).join(", "),
      );
      const started = performance.now();
      return withDeadline(reply, context.limits.requestTimeoutMs, (signal) =>
        context.runs.run(
          () =>
            context.memory.hold(async (reservation) => {
              const result = await answer(new ClipCalls(context, versionOf(body), signal, reservation), body);
              return { ...result, time: (performance.now() - started) / 1000, frame_id: null, inference_id: randomUUID() };
            }),
          signal,
        ),
      );
    };

  app.post(
    "/clip/embed_image",
    route(
      "/clip/embed_image",
      EmbedImageSchema,
      (body) => ({ image: listOf(body.image).length }),
      async (clip, body) => ({ embeddings: await clip.embed(listOf(body.image), "image") }),
    ),
  );
  app.post(
    "/clip/embed_text",
    route(
      "/clip/embed_text",
      EmbedTextSchema,
      () => ({}),
      async (clip, body) => ({ embeddings: await clip.embed(listOf(body.text), "text") }),
    ),
  );
  app.post(
    "/clip/compare",
    route(
      "/clip/compare",
      CompareSchema,
      (body) => ({
        subject: body.subject_type === "image" ? 1 : 0,
        prompt: body.prompt_type === "image" ? comparedPrompts(body.prompt).prompts.length : 0,
      }),
      async (clip, body) => {
        const { prompts, names } = comparedPrompts(body.prompt);
        const [[subject], embeddings] = await Promise.all([
          clip.embed([body.subject], body.subject_type, "subject"),
          clip.embed(prompts, body.prompt_type, "prompt"),
        ]);
        const similarity = embeddings.map((embedding) => cosineSimilarity(subject, embedding));
        return { similarity: names ? Object.fromEntries(names.map((name, i) => [name, similarity[i]])) : similarity, parent_id: null };
      },
    ),
  );
}

/** One request's model calls: its version, its abort signal, its memory, and errors that say which field. */
class ClipCalls {
  constructor(
    private readonly context: ServerContext,
    private readonly request: ModelRequest,
    private readonly signal: AbortSignal,
    private readonly reservation: MemoryReservation,
  ) {}

  /** One embedding per item; `field` names the items in error messages. */
  async embed(items: readonly unknown[], modality: Modality, field: string = modality): Promise<number[][]> {
    const runtime = this.context.engines.services.get(modelRuntime);
    try {
      if (modality === "text")
        return await runtime.embedTexts(
          items.map((item, i) => textOf(item, `${field}${indexSuffix(items, i)}`)),
          this.request,
        );
      return await runtime.embedImages(await this.images(items, field), this.request);
    } catch (error) {
      if (error instanceof ModelError) throw modelNotLoaded(this.request.version!, error);
      throw error;
    }
  }

  private async images(items: readonly unknown[], field: string): Promise<WorkflowImage[]> {
    const labelled: RequestImage[] = items.map((raw, i) => ({ raw, label: `${field}${indexSuffix(items, i)}` }));
    const read = await this.context.images.admit(labelled, this.reservation, this.signal, (image, error) => imageError(image.label, error));
    const loading = this.context.images.options.loading;
    return Promise.all(
      read.map(async (image, i) => {
        try {
          return await loadImage(image, labelled[i].label, loading);
        } catch (error) {
          throw imageError(labelled[i].label, error);
        }
      }),
    );
  }
}

function imageError(where: string, error: unknown): RuntimeInputError {
  return new RuntimeInputError(`${where}: ${(error as Error).message}`, { context: "clip_inference" });
}

function versionOf(body: ClipRequest): ModelRequest {
  const version = body.clip_version_id ?? body.model_id?.slice(MODEL_ID_PREFIX.length) ?? DEFAULT_COMPARISON_VERSION;
  return { family: clipFamily.id, version };
}

function listOf<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

function indexSuffix(items: readonly unknown[], index: number): string {
  return items.length > 1 ? `[${index}]` : "";
}

function textOf(item: unknown, where: string): string {
  if (typeof item !== "string")
    throw new RuntimeInputError(`${where}: a text prompt must be a string, got ${JSON.stringify(item)}`, { context: "clip_inference" });
  return item;
}

/**
 * The prompts of a comparison, and their names when `prompt` is an object of named prompts —
 * upstream's rule: an object is one image when it has `type` and `value`, else named prompts.
 */
export function comparedPrompts(prompt: unknown): { prompts: unknown[]; names: string[] | null } {
  if (Array.isArray(prompt)) return { prompts: prompt, names: null };
  if (typeof prompt === "object" && prompt !== null && !("type" in prompt && "value" in prompt)) {
    const names = Object.keys(prompt);
    return { prompts: names.map((name) => (prompt as Record<string, unknown>)[name]), names };
  }
  return { prompts: [prompt], names: null };
}

function modelNotLoaded(version: string, error: ModelError): HttpError {
  return new HttpError(500, "ModelLoadError", `CLIP ${version} is not available on this server.`, { context: "model_loading", inner: error });
}
