/**
 * HTTP requests as an attacker sends them, which `fetch` cannot: any `Host` header (fetch sets its
 * own), a request line of any length, and a request whose announced body is never sent.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed when the answer is JSON, else the text. */
  body: unknown;
  text: string;
}

/** One request to `base` (`http://host:port`) with exactly these headers; `json` is sent as JSON. */
export function rawCall(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; json?: unknown; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  const url = new URL(base);
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(options.json);
  }
  // Node sends a GET's body without a length unless told one.
  if (body !== undefined) headers["content-length"] ??= String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const json = (response.headers["content-type"] ?? "").includes("application/json");
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: json ? (JSON.parse(text) as unknown) : text, text });
      });
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/**
 * Writes `head` (request line and headers, without the blank line) and then nothing more, and
 * resolves with the status line and body the server answers: the server must answer from the
 * head alone, before any body (a server that waits for the body never answers, and the test
 * times out).
 */
export function answerToHeadOnly(base: string, head: string): Promise<{ statusLine: string; body: unknown }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head}\r\n\r\n`));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, end));
      const bodyText = received.slice(end + 4);
      if (!length || Buffer.byteLength(bodyText) < Number(length[1])) return;
      socket.destroy();
      resolve({ statusLine: received.slice(0, received.indexOf("\r\n")), body: JSON.parse(bodyText) as unknown });
    });
    socket.on("error", reject);
  });
}
