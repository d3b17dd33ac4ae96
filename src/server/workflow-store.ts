/**
 * Workflows saved by the web UI, in the style of upstream's local workflow routes (its builder's
 * `/build/api`, docs/reference/http.md#saved-workflows):
 *
 * - `GET /build/api` → `{data: {<id>: {createTime: {_seconds}, updateTime: {_seconds}, config}}}`;
 * - `GET /build/api/{id}` → `{data: {createTime, updateTime, config}}` (seconds), 404 when missing;
 * - `POST` or `PUT /build/api/{id}` with a JSON object → 201 `{message}`: saved as `config`, its
 *   `id` set to `{id}` (a different `id` in the body renames: the old one is removed);
 * - `DELETE /build/api/{id}` → `{message}`, 404 when missing.
 *
 * Ids are upstream's: letters, digits, `_` and `-`. With a data folder (`serve --data-dir`) each
 * workflow is a file `workflows/<sha256 of the id>.json` in it (upstream's naming), written
 * atomically, so saved workflows survive restarts; without one they live as long as the server.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { isJsonObject } from "../definition/json.js";

type JsonObject = Record<string, unknown>;
import { writeAtomically } from "../state/file.js";
import { HttpError, notFound } from "./errors.js";

export interface SavedWorkflow {
  id: string;
  /** Seconds since the epoch. */
  createTime: number;
  updateTime: number;
  config: JsonObject;
}

export interface WorkflowStore {
  list(): Promise<SavedWorkflow[]>;
  get(id: string): Promise<SavedWorkflow | null>;
  save(id: string, config: JsonObject): Promise<void>;
  /** False when there was no such workflow. */
  delete(id: string): Promise<boolean>;
}

const ID = /^[\w-]+$/;
const seconds = (ms: number) => Math.floor(ms / 1000);

export class MemoryWorkflowStore implements WorkflowStore {
  private readonly workflows = new Map<string, SavedWorkflow>();

  constructor(private readonly now: () => number = Date.now) {}

  async list(): Promise<SavedWorkflow[]> {
    return [...this.workflows.values()];
  }

  async get(id: string): Promise<SavedWorkflow | null> {
    return this.workflows.get(id) ?? null;
  }

  async save(id: string, config: JsonObject): Promise<void> {
    const time = seconds(this.now());
    this.workflows.set(id, { id, createTime: this.workflows.get(id)?.createTime ?? time, updateTime: time, config });
  }

  async delete(id: string): Promise<boolean> {
    return this.workflows.delete(id);
  }
}

export class FileWorkflowStore implements WorkflowStore {
  private readonly folder: string;

  constructor(dataDir: string) {
    this.folder = join(dataDir, "workflows");
  }

  private pathOf(id: string): string {
    return join(this.folder, `${createHash("sha256").update(id).digest("hex")}.json`);
  }

  private async read(path: string, fallbackId: string): Promise<SavedWorkflow | null> {
    try {
      const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
      const config = JSON.parse(text) as unknown;
      if (!isJsonObject(config)) return null;
      return {
        id: typeof config.id === "string" ? config.id : fallbackId,
        createTime: seconds(info.birthtimeMs || info.ctimeMs),
        updateTime: seconds(info.mtimeMs),
        config,
      };
    } catch (error) {
      // Missing, or not JSON (written by hand): not a saved workflow.
      if ((error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError) return null;
      throw error;
    }
  }

  async list(): Promise<SavedWorkflow[]> {
    const names = await readdir(this.folder).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? [] : Promise.reject(error)));
    const read = await Promise.all(names.filter((name) => name.endsWith(".json")).map((name) => this.read(join(this.folder, name), name.slice(0, -5))));
    return read.filter((workflow) => workflow !== null);
  }

  get(id: string): Promise<SavedWorkflow | null> {
    return this.read(this.pathOf(id), id);
  }

  async save(id: string, config: JsonObject): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    await writeAtomically(this.pathOf(id), JSON.stringify(config, null, 2));
  }

  async delete(id: string): Promise<boolean> {
    const path = this.pathOf(id);
    const existed = (await this.read(path, id)) !== null;
    await rm(path, { force: true });
    return existed;
  }
}

function checkedId(id: string): string {
  if (!ID.test(id))
    throw new HttpError(400, "BadRequestError", `"${id}" is not a workflow id: use letters, digits, "_" and "-".`, { context: "saved_workflows" });
  return id;
}

export function registerWorkflowStoreRoutes(app: FastifyInstance, store: WorkflowStore): void {
  app.get("/build/api", async () => ({
    data: Object.fromEntries(
      (await store.list()).map((workflow) => [
        workflow.id,
        { createTime: { _seconds: workflow.createTime }, updateTime: { _seconds: workflow.updateTime }, config: workflow.config },
      ]),
    ),
  }));

  app.get<{ Params: { id: string } }>("/build/api/:id", async (request) => {
    const id = checkedId(request.params.id);
    const workflow = await store.get(id);
    if (!workflow) throw notFound(`No saved workflow "${id}".`);
    return { data: { createTime: workflow.createTime, updateTime: workflow.updateTime, config: workflow.config } };
  });

  const save = async (request: { params: { id: string }; body: unknown }, reply: { status: (code: number) => unknown }) => {
    const id = checkedId(request.params.id);
    if (!isJsonObject(request.body)) throw new HttpError(400, "BadRequestError", "Send the workflow as a JSON object.", { context: "saved_workflows" });
    const previous = request.body.id;
    if (typeof previous === "string" && previous !== id && ID.test(previous)) await store.delete(previous);
    await store.save(id, { ...request.body, id });
    reply.status(201);
    return { message: `Workflow '${id}' created/updated successfully.` };
  };
  app.post<{ Params: { id: string } }>("/build/api/:id", save);
  app.put<{ Params: { id: string } }>("/build/api/:id", save);

  app.delete<{ Params: { id: string } }>("/build/api/:id", async (request) => {
    const id = checkedId(request.params.id);
    if (!(await store.delete(id))) throw notFound(`No saved workflow "${id}".`);
    return { message: `Workflow '${id}' deleted successfully.` };
  });
}
