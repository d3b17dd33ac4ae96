/** A real webhook receiver on 127.0.0.1 (node:http) that records every request and answers as told. */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ReceivedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A status to answer with, or "hang": never answer. */
export type Answer = number | "hang";

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  /** Answer to the n-th request (0-based); default 200. */
  answer: (index: number) => Answer = () => 200;

  private constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const index = this.requests.length;
        this.requests.push({ method: request.method ?? "", url: new URL(request.url ?? "/", this.url), headers: request.headers, body: Buffer.concat(chunks) });
        for (const waiter of this.waiters.filter((entry) => this.requests.length >= entry.count)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        this.reply(response, this.answer(index));
      });
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private reply(response: ServerResponse, answer: Answer): void {
    if (answer === "hang") return;
    response.writeHead(answer, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ status: answer }));
  }
}

/** The parts of a multipart/form-data body: name, filename, headers and content. */
export function multipartParts(request: ReceivedRequest): { name: string; filename: string | null; headers: string; content: Buffer }[] {
  const boundary = /boundary=([^;]+)/.exec(request.headers["content-type"] ?? "")?.[1];
  if (!boundary) throw new Error(`not multipart: ${request.headers["content-type"]}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts = [];
  let start = request.body.indexOf(delimiter) + delimiter.length;
  for (;;) {
    const end = request.body.indexOf(delimiter, start);
    if (end < 0) break;
    const part = request.body.subarray(start + 2, end - 2); // after CRLF, before CRLF
    const split = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, split).toString();
    parts.push({
      name: /name="([^"]*)"/.exec(headers)?.[1] ?? "",
      filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? null,
      headers,
      content: part.subarray(split + 4),
    });
    start = end + delimiter.length;
  }
  return parts;
}
