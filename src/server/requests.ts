/** Request-body checking shared by the route groups. */
import type { z } from "zod";
import { requestValidation } from "./errors.js";

/** The parsed body, or a 422 naming each offending field (FastAPI's `detail` included). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, route: string): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw requestValidation(route, result.error.issues);
  return result.data;
}
