/**
 * API keys (docs/reference/http.md#authentication). Clients of upstream's server send theirs as
 * `Authorization: Bearer <key>` or as `api_key` in the JSON body — on GET requests too, which is
 * why the server parses GET bodies; `?api_key=` is accepted too (upstream's validate route uses
 * it, and a browser's EventSource cannot set headers). Keys in URLs end up in access logs: prefer
 * the header.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { unauthorized } from "./errors.js";

/** The key a request presents, from the header, the body or the query, in that order. */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1];
  }
  const body = request.body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const key = (body as Record<string, unknown>).api_key;
    if (typeof key === "string" && key.length > 0) return key;
  }
  const query = request.query as Record<string, unknown> | undefined;
  const key = query?.api_key;
  return typeof key === "string" && key.length > 0 ? key : undefined;
}

/** Constant-time in the key's content and length: both sides are hashed to 32 bytes first. */
export function apiKeyMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}

/** Throws 401 unless the request presents `expected`; a missing key and a wrong one get different messages. */
export function requireApiKey(expected: string, request: FastifyRequest): void {
  const presented = presentedApiKey(request);
  if (presented === undefined) throw unauthorized("missing");
  if (!apiKeyMatches(expected, presented)) throw unauthorized("wrong");
}
