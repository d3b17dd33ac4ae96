/**
 * The real SMTP server of the e-mail tests (`smtp-server.py`, Debian's python3-aiosmtpd, listed in
 * .ci/run): implicit TLS with a certificate made here by openssl for 127.0.0.1, AUTH for one user.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** Debian's interpreter, which python3-aiosmtpd is for (a pyenv `python3` may come first on PATH). */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

export interface ReceivedMail {
  mail_from: string;
  rcpt_tos: string[];
  auth_user: string | null;
  subject: string;
  to: string;
  cc: string | null;
  parts: { content_type: string; filename: string | null; content_id: string | null; disposition: string | null; content: string }[];
}

export class SmtpServer {
  readonly mails: ReceivedMail[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly folder: string,
    readonly port: number,
    /** The server certificate (PEM), for the sink policy's `ca`. */
    readonly certificate: string,
  ) {}

  static async start(user: string, password: string): Promise<SmtpServer> {
    const folder = mkdtempSync(join(tmpdir(), "sightline-smtp-"));
    const cert = join(folder, "cert.pem");
    const key = join(folder, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    const child = spawn(PYTHON, [join(import.meta.dirname, "smtp-server.py"), cert, key, user, password], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const port = await new Promise<number>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`smtp-server.py exited with ${code}: ${stderr} (needs python3-aiosmtpd, see .ci/run)`)));
      lines.once("line", (line) => resolve(Number(/^ready (\d+)$/.exec(line)?.[1])));
    });
    const server = new SmtpServer(child, folder, port, readFileSync(cert, "utf8"));
    lines.on("line", (line) => server.take(JSON.parse(line) as ReceivedMail));
    return server;
  }

  received(count: number): Promise<void> {
    if (this.mails.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill();
    await exited;
    rmSync(this.folder, { recursive: true, force: true });
  }

  private take(mail: ReceivedMail): void {
    this.mails.push(mail);
    for (const waiter of this.waiters.filter((entry) => this.mails.length >= entry.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
