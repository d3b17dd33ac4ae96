/**
 * A small SMTP client for the e-mail sink: implicit TLS from the first byte, as upstream's
 * `smtplib.SMTP_SSL` (port 465), then EHLO, AUTH (PLAIN, else LOGIN), MAIL FROM, one RCPT TO per
 * recipient, DATA and QUIT (RFC 5321, RFC 4954). A reply other than the one expected is an error
 * carrying the server's reply; so is silence for `timeoutMs`.
 */
import { hostname } from "node:os";
import { connect, type TLSSocket } from "node:tls";

export interface SmtpDelivery {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly from: string;
  readonly recipients: readonly string[];
  /** The whole message (headers and body), CRLF line ends. */
  readonly message: string;
  readonly timeoutMs: number;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: readonly string[];
}

interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
}

export class SmtpError extends Error {}

/** Reads replies (possibly multi-line: `250-…` then `250 …`) off the socket, one at a time. */
class ReplyReader {
  private buffer = "";
  private pending: Reply[] = [];
  private lines: string[] = [];
  private waiter: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(socket: TLSSocket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.take(chunk));
    socket.on("error", (error: Error) => this.fail(error));
    socket.on("close", () => this.fail(new SmtpError("the SMTP server closed the connection")));
  }

  next(): Promise<Reply> {
    const ready = this.pending.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.reject(this.failure);
    this.waiter = null;
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end;
    while ((end = this.buffer.indexOf("\r\n")) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.lines.push(line.slice(4));
      if (line[3] === "-") continue;
      const reply = { code: Number(line.slice(0, 3)), lines: this.lines };
      this.lines = [];
      if (this.waiter) {
        this.waiter.resolve(reply);
        this.waiter = null;
      } else this.pending.push(reply);
    }
  }
}

/** Lines starting with a dot get another one (RFC 5321 §4.5.2). */
function dotStuffed(message: string): string {
  return message.replace(/^\./gm, "..");
}

export async function sendSmtp(delivery: SmtpDelivery): Promise<void> {
  const socket = connect({ host: delivery.host, port: delivery.port, servername: delivery.host, ...(delivery.ca ? { ca: [...delivery.ca] } : {}) });
  const replies = new ReplyReader(socket);
  socket.setTimeout(delivery.timeoutMs, () => {
    replies.fail(new SmtpError(`no reply from the SMTP server within ${delivery.timeoutMs / 1000} s`));
    socket.destroy();
  });
  const expect = async (codes: readonly number[], command: string): Promise<Reply> => {
    const reply = await replies.next();
    if (!codes.includes(reply.code)) throw new SmtpError(`${command}: (${reply.code}, ${JSON.stringify(reply.lines.join("\n"))})`);
    return reply;
  };
  const send = (line: string, codes: readonly number[], command = line.split(" ")[0]) => {
    socket.write(`${line}\r\n`);
    return expect(codes, command);
  };
  try {
    await expect([220], "greeting");
    const ehlo = await send(`EHLO ${hostname() || "localhost"}`, [250]);
    const mechanisms =
      ehlo.lines
        .find((line) => /^AUTH[ =]/i.test(line))
        ?.slice(5)
        .toUpperCase()
        .split(/\s+/) ?? [];
    if (mechanisms.includes("PLAIN") || !mechanisms.includes("LOGIN")) {
      await send(`AUTH PLAIN ${Buffer.from(`\0${delivery.username}\0${delivery.password}`).toString("base64")}`, [235], "AUTH");
    } else {
      await send("AUTH LOGIN", [334], "AUTH");
      await send(Buffer.from(delivery.username).toString("base64"), [334], "AUTH");
      await send(Buffer.from(delivery.password).toString("base64"), [235], "AUTH");
    }
    await send(`MAIL FROM:<${delivery.from}>`, [250], "MAIL");
    for (const recipient of delivery.recipients) await send(`RCPT TO:<${recipient}>`, [250, 251], "RCPT");
    await send("DATA", [354]);
    socket.write(dotStuffed(delivery.message));
    await send(".", [250], "DATA");
    await send("QUIT", [221]).catch(() => undefined);
  } finally {
    socket.destroy();
  }
}
