/**
 * JSON request bodies: one pass over the raw text, without recursion, finds how deep it nests and
 * its top-level `api_key` before `JSON.parse` builds anything — so a body nested beyond the limit
 * is a 400 rather than a stack overflow somewhere later, and a body without the server's key is a
 * 401 without being parsed (docs/reference/http.md#authentication, #limits). The messages say
 * what is wrong and where (fastify's default parser does not).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MAX_JSON_DEPTH } from "../definition/json.js";
import { apiKeyMatches, checkedBeforeBody, keyOutsideBody } from "./auth.js";
import { HttpError, unauthorized } from "./errors.js";

export interface JsonTextScan {
  /** Where lists and objects first nest deeper than the limit (a character offset), or null. */
  tooDeepAt: number | null;
  /**
   * The top-level object's `api_key` when it is a string — its last occurrence, as `JSON.parse`
   * keeps the last of repeated keys; undefined when there is none.
   */
  apiKey: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const API_KEY = "api_key";
/** `"api_key"` written with every character escaped (`\u0061…`) is this long; a longer key token is another key. */
const LONGEST_API_KEY_TOKEN = API_KEY.length * 6 + 2;

/** Index of the quote that closes the string opening at `start`, or -1 when it never closes. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end > 0) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

/** A string token's value; undefined when it is not valid JSON (the parse that follows says why). */
function decodeString(token: string): string | undefined {
  if (!token.includes("\\")) return token.slice(1, -1);
  try {
    return JSON.parse(token) as string;
  } catch {
    return undefined;
  }
}

/**
 * One pass over JSON text: nesting depth and the top-level `api_key`. Strings are skipped whole
 * (`indexOf`), so a body of base64 images costs little. Text that is not valid JSON gives some
 * answer; the parse that follows refuses it.
 */
export function scanJsonText(text: string, maxDepth: number): JsonTextScan {
  let depth = 0;
  let tooDeepAt: number | null = null;
  let inTopObject = false;
  // In the top-level object: whether the next string is a key, and the key whose value comes next.
  let expectKey = false;
  let valueOf: string | undefined;
  let apiKey: string | undefined;
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char === QUOTE) {
      const end = stringEnd(text, at);
      if (end < 0) break;
      if (depth === 1 && inTopObject) {
        if (expectKey) {
          valueOf = end - at + 1 <= LONGEST_API_KEY_TOKEN ? decodeString(text.slice(at, end + 1)) : undefined;
          if (valueOf === API_KEY) apiKey = undefined;
          expectKey = false;
        } else if (valueOf === API_KEY) {
          apiKey = decodeString(text.slice(at, end + 1));
        }
      }
      at = end;
      continue;
    }
    switch (char) {
      case 0x7b: // {
      case 0x5b: // [
        depth++;
        if (depth > maxDepth && tooDeepAt === null) tooDeepAt = at;
        if (depth === 1) {
          inTopObject = char === 0x7b;
          expectKey = inTopObject;
        }
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        break;
      case 0x2c: // ,
        if (depth === 1 && inTopObject) {
          expectKey = true;
          valueOf = undefined;
        }
        break;
    }
  }
  return { tooDeepAt, apiKey };
}

export function malformed(message: string): HttpError {
  return new HttpError(400, "MalformedRequestError", message, { context: "request_parsing" });
}

/**
 * Replaces fastify's JSON parser. With `apiKey`, a request that presented no key in its head (its
 * `onRequest` check let it through for this) must hold it at the top of its JSON body: found in
 * the raw text, it is checked before the parse (and again on the parsed body by the `preHandler`).
 */
export function installJsonParser(app: FastifyInstance, apiKey: string | null): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, done) => {
    const body = typeof text === "string" ? text : text.toString("utf8");
    // A GET with a JSON content type and nothing in it is a GET without a body.
    if (body.trim() === "" && request.method === "GET") {
      done(null, undefined);
      return;
    }
    if (body.trim() === "") {
      done(malformed("The request body is empty; send a JSON document."), undefined);
      return;
    }
    const scan = scanJsonText(body, MAX_JSON_DEPTH);
    const refusal = apiKey === null ? null : bodyKeyRefusal(apiKey, request, scan);
    if (refusal) {
      done(refusal, undefined);
      return;
    }
    if (scan.tooDeepAt !== null) {
      done(
        malformed(`The request body nests lists and objects deeper than the limit of ${MAX_JSON_DEPTH} levels (at character ${scan.tooDeepAt}).`),
        undefined,
      );
      return;
    }
    try {
      // `__proto__` keys are refused, as fastify's own parser does, so no body can reach an object's prototype.
      done(null, body.includes("__proto__") ? JSON.parse(body, rejectProtoKeys) : JSON.parse(body));
    } catch (error) {
      done(error instanceof HttpError ? error : malformed(`The request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}

function bodyKeyRefusal(expected: string, request: FastifyRequest, scan: JsonTextScan): HttpError | null {
  if (!checkedBeforeBody(request) || keyOutsideBody(request) !== undefined) return null;
  if (scan.apiKey === undefined || scan.apiKey === "") return unauthorized("missing");
  return apiKeyMatches(expected, scan.apiKey) ? null : unauthorized("wrong");
}

function rejectProtoKeys(key: string, value: unknown): unknown {
  if (key === "__proto__") throw malformed('The request body contains a "__proto__" key, which is not accepted.');
  return value;
}
