/**
 * Requests refused before they reach fastify's hooks — by find-my-way (a path that is not valid
 * percent-encoding, a path parameter beyond its length limit) or by Node's HTTP parser (a request
 * line or headers beyond `maxHeaderSize`, bytes that are not HTTP, a head sent too slowly) — as
 * upstream's error body with the status that says why, like every other answer
 * (docs/reference/http.md#limits). Without this, fastify answers them in its own shape
 * (`{error, code, message, statusCode}`).
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { HttpError, withoutEmptyInner } from "./errors.js";

/** Longest path parameter the router takes: ids are at most 128 characters (sessions), uploads and pipelines less. */
export const MAX_PARAM_LENGTH = 256;

/** A URL of at most this many characters is quoted whole in a message. */
const QUOTED_URL_LENGTH = 120;

function quoted(url: string): string {
  return url.length <= QUOTED_URL_LENGTH ? url : `${url.slice(0, QUOTED_URL_LENGTH)}… (${url.length} characters)`;
}

function uriTooLong(message: string): HttpError {
  return new HttpError(414, "URITooLongError", message, { context: "request_routing" });
}

/** fastify's router errors (its `frameworkErrors` option) as the server's; null for any other error. */
export function routerError(error: { code?: string }, url: string): HttpError | null {
  switch (error.code) {
    case "FST_ERR_BAD_URL":
      return new HttpError(
        400,
        "MalformedRequestError",
        `The URL ${quoted(url)} is not valid percent-encoding: each % must be followed by two hex digits, and the bytes must be UTF-8.`,
        {
          context: "request_routing",
        },
      );
    case "FST_ERR_MAX_PARAM_LENGTH":
      return uriTooLong(`A path segment of ${quoted(url)} is longer than the server's limit of ${MAX_PARAM_LENGTH} characters for an id.`);
    default:
      return null;
  }
}

/** Node's parser error, with the bytes it failed on (Node sets `rawPacket` on `clientError`). */
export type ParserError = Error & { code?: string; rawPacket?: unknown };

const REQUEST_LINE_START = /^[A-Z]+ /;

/** The head overflowed while still in its request line: the URL alone is too long. */
function requestLineOverflowed(rawPacket: unknown): boolean {
  return Buffer.isBuffer(rawPacket) && REQUEST_LINE_START.test(rawPacket.subarray(0, 16).toString("latin1")) && !rawPacket.includes("\r\n");
}

/** What Node's HTTP parser refused, as the server's error. */
export function parserError(error: ParserError): HttpError {
  const limit = `${Math.round(maxHeaderSize / 1024)} KiB`;
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      if (requestLineOverflowed(error.rawPacket)) {
        return uriTooLong(`The URL is longer than the server's limit of ${limit} for a request's head (Node's --max-http-header-size).`);
      }
      return new HttpError(
        431,
        "RequestHeaderFieldsTooLargeError",
        `The request's headers are larger than the server's limit of ${limit} (Node's --max-http-header-size).`,
        {
          context: "request_parsing",
        },
      );
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new HttpError(408, "ClientTimeoutError", "The request was not received in time (its head or body came too slowly).", {
        context: "request_parsing",
      });
    default:
      return new HttpError(400, "BadRequestError", `The request is not valid HTTP/1.1 (${error.code ?? error.message}).`, { context: "request_parsing" });
  }
}

/** How long a client refused this way may go on sending before its connection is cut. */
const LINGER_MS = 1000;

/**
 * fastify's `clientErrorHandler`: there is no request or reply yet, so the answer is written on the
 * socket itself. The socket is ended rather than destroyed at once, so that a client still sending
 * (the rest of a long URL) reads the answer instead of a reset; it is cut `LINGER_MS` later.
 */
export function answerParserError(error: ParserError, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed || socket.writableEnded) return;
  const refusal = parserError(error);
  const json = JSON.stringify(withoutEmptyInner(refusal.toBody()));
  socket.end(
    `HTTP/1.1 ${refusal.httpStatus} ${STATUS_CODES[refusal.httpStatus]}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
