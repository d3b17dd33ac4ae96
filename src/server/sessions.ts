/**
 * Session routes (sightline's addition; sessions are created by `POST /workflows/run` with a
 * `session_id`):
 *
 * - `GET /sessions` → `{sessions: [{session_id, specification_hash, created_at, last_used_at,
 *   expires_at, runs, in_flight, streams}]}`
 * - `GET /sessions/{id}` → one of those
 * - `GET /sessions/{id}/state` → the engine snapshot (block state per step and stream, as
 *   `engine.snapshot()`; feed it to `compile(def, {snapshot})` to continue locally)
 * - `DELETE /sessions/{id}` → `{status: "deleted", session_id}`
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerContext } from "./context.js";

type WithId = FastifyRequest<{ Params: { id: string } }>;

export function registerSessionRoutes(app: FastifyInstance, context: ServerContext): void {
  const { sessions } = context;
  app.get("/sessions", async () => ({ sessions: await sessions.list() }));
  app.get("/sessions/:id", async (request: WithId) => sessions.info(request.params.id));
  app.get("/sessions/:id/state", async (request: WithId) => sessions.snapshot(request.params.id));
  app.delete("/sessions/:id", async (request: WithId) => {
    await sessions.delete(request.params.id);
    return { status: "deleted", session_id: request.params.id };
  });
}
