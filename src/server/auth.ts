/**
 * API keys (docs/reference/http.md#authentication). Clients of upstream's server send theirs as
 * `Authorization: Bearer <key>` or as `api_key` in the JSON body — on GET requests too, which is
 * why the server parses GET bodies; `?api_key=` is accepted too (upstream's validate route uses
 * it, and a browser's EventSource cannot set headers). Keys in URLs end up in access logs: prefer
 * the header.
 *
 * The key is checked before the body is read: from the request's head (`checkApiKeyBeforeBody`, in
 * `onRequest`) when the header or the query holds one; otherwise only a JSON body can, and the
 * JSON parser finds it in the raw text before parsing it (`json-body.ts`). `requireApiKey` checks
 * the parsed request again before its route runs.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { unauthorized } from "./errors.js";
import { INFO_ROUTE } from "./info.js";
import { UI_FILE_ROUTES } from "./ui.js";

/** `GET /info` answers without a key, as upstream's. */
export function exemptFromApiKey(request: FastifyRequest): boolean {
  return request.routeOptions.url === INFO_ROUTE;
}

/**
 * Checked before the body: all but `/info` and the UI's file routes, which serve their files
 * without a key; a request there that serves no file is checked by `requireApiKey`.
 */
export function checkedBeforeBody(request: FastifyRequest): boolean {
  return !exemptFromApiKey(request) && !UI_FILE_ROUTES.includes(request.routeOptions.url ?? "");
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] : undefined;
}

function queryKey(request: FastifyRequest): string | undefined {
  return nonEmpty((request.query as Record<string, unknown> | undefined)?.api_key);
}

function bodyKey(request: FastifyRequest): string | undefined {
  const body = request.body;
  return typeof body === "object" && body !== null && !Array.isArray(body) ? nonEmpty((body as Record<string, unknown>).api_key) : undefined;
}

/** The key of the `Authorization: Bearer` header, else of the query: what is known before the body. */
export function keyOutsideBody(request: FastifyRequest): string | undefined {
  return bearerKey(request) ?? queryKey(request);
}

/** The key a request presents, from the header, the body or the query, in that order. */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  return bearerKey(request) ?? bodyKey(request) ?? queryKey(request);
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

/** Whether the request announces a JSON body: the only place left where it may hold its key. */
function announcesJsonBody(request: FastifyRequest): boolean {
  const type = request.headers["content-type"]?.split(";")[0].trim().toLowerCase();
  const length = Number(request.headers["content-length"] ?? 0);
  return type === "application/json" && (length > 0 || request.headers["transfer-encoding"] !== undefined);
}

/**
 * From the request's head alone: 401 at once for a wrong key in the header or the query, or for
 * no key at all when no JSON body could hold one — the body, however large, is never read.
 */
export function checkApiKeyBeforeBody(expected: string, request: FastifyRequest): void {
  if (!checkedBeforeBody(request)) return;
  const presented = keyOutsideBody(request);
  if (presented !== undefined) {
    if (!apiKeyMatches(expected, presented)) throw unauthorized("wrong");
    return;
  }
  if (!announcesJsonBody(request)) throw unauthorized("missing");
}
