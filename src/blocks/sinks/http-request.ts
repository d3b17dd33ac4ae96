/**
 * The webhook's request, built as upstream's `requests.request(method, url, params=…,
 * headers=…, json=…, files=…, data=…)` builds it (docs/reference/blocks.md#webhook-sink): query
 * parameters appended (a list repeats its key), a JSON body (Python's `json.dumps`, even `{}`)
 * unless form data or files are given, form data URL-encoded, or a multipart body when files
 * are given (form fields first, each file named after its key). Values are turned to text as
 * Python's `str` does; images become JPEG (q95), as `ConvertImageToJPEG` / `ConvertImageToBase64`.
 */
import { randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { encodeJpeg } from "../../images/codec.js";
import { isWorkflowImage } from "../../images/index.js";
import { pythonJsonDumps, pythonStr } from "../../query/index.js";

export interface WebhookRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface WebhookPayload {
  readonly query_parameters: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly json_payload: Readonly<Record<string, unknown>>;
  readonly multi_part_encoded_files: Readonly<Record<string, unknown>>;
  readonly form_data: Readonly<Record<string, unknown>>;
}

/** A value as text, as `requests` writes query and form values: `str(value)`. */
function asText(value: unknown): string {
  return pythonStr(value);
}

/** One value or each item of a list: `requests` repeats the key for lists. */
function eachValue(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function pairs(fields: Readonly<Record<string, unknown>>): [string, string][] {
  return Object.entries(fields).flatMap(([key, value]) =>
    eachValue(value)
      .filter((item) => item !== null && item !== undefined)
      .map((item): [string, string] => [key, asText(item)]),
  );
}

/** Images → base64 JPEG text and bytes → base64 text, anywhere in a JSON value. */
async function jsonReady(value: unknown): Promise<unknown> {
  if (isWorkflowImage(value)) return (await encodeJpeg(value)).toString("base64");
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return Promise.all(value.map(jsonReady));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await jsonReady(item)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** A file part's content: images as JPEG, bytes as they are, anything else as `str(value)` in UTF-8. */
async function fileContent(value: unknown): Promise<Buffer> {
  if (isWorkflowImage(value)) return encodeJpeg(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.from(asText(value), "utf8");
}

function quoted(name: string): string {
  return name.replace(/[\r\n"]/g, (char) => encodeURIComponent(char));
}

/** `multipart/form-data` as urllib3 writes it: form fields, then files (filename = key, no content type). */
async function multipartBody(
  form: Readonly<Record<string, unknown>>,
  files: Readonly<Record<string, unknown>>,
): Promise<{ body: Buffer; contentType: string }> {
  const boundary = randomBytes(16).toString("hex");
  const parts: Buffer[] = [];
  const part = (disposition: string, content: Buffer) => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\n\r\n`), content, Buffer.from("\r\n"));
  };
  for (const [key, value] of pairs(form)) part(`name="${quoted(key)}"`, Buffer.from(value, "utf8"));
  for (const [key, value] of Object.entries(files)) part(`name="${quoted(key)}"; filename="${quoted(key)}"`, await fileContent(value));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function buildWebhookRequest(method: string, url: URL, payload: WebhookPayload): Promise<WebhookRequest> {
  const target = new URL(url);
  for (const [key, value] of pairs(payload.query_parameters)) target.searchParams.append(key, value);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.headers)) headers[key] = asText(value);
  const hasForm = Object.keys(payload.form_data).length > 0;
  let body: Buffer;
  let contentType: string;
  if (Object.keys(payload.multi_part_encoded_files).length > 0) {
    ({ body, contentType } = await multipartBody(payload.form_data, payload.multi_part_encoded_files));
  } else if (hasForm) {
    body = Buffer.from(new URLSearchParams(pairs(payload.form_data)).toString());
    contentType = "application/x-www-form-urlencoded";
  } else {
    body = Buffer.from(pythonJsonDumps(await jsonReady(payload.json_payload)));
    contentType = "application/json";
  }
  // a header the step sets wins over the body's own, as in `requests`
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === "content-type");
  return { method, url: target, headers: hasContentType ? headers : { ...headers, "Content-Type": contentType }, body };
}

/** Thrown for a 4xx/5xx answer, worded as `requests`' `raise_for_status`. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    statusText: string,
    url: URL,
  ) {
    super(`${status} ${status < 500 ? "Client" : "Server"} Error: ${statusText} for url: ${url.href}`);
  }
}

/** Sends the request; resolves on a 2xx/3xx answer, rejects on anything else or after `timeoutMs`. */
export function sendWebhookRequest(request: WebhookRequest, timeoutMs: number, ca?: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = request.url.protocol === "https:" ? httpsRequest : httpRequest;
    const outgoing = send(request.url, {
      method: request.method,
      headers: { ...request.headers, "Content-Length": String(request.body.length) },
      ...(ca ? { ca: [...ca] } : {}),
    });
    const timer = setTimeout(() => outgoing.destroy(new Error(`no answer within ${timeoutMs / 1000} s (request_timeout)`)), timeoutMs);
    outgoing.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.once("response", (response: IncomingMessage) => {
      clearTimeout(timer);
      response.resume();
      const status = response.statusCode ?? 0;
      if (status >= 400) reject(new HttpStatusError(status, response.statusMessage ?? "", request.url));
      else resolve();
    });
    outgoing.end(request.body);
  });
}
