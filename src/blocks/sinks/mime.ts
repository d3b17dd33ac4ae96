/**
 * The e-mail sink's message, as upstream's v2 SMTP path composes it: the message's
 * `{{ $parameters.<name> }}` placeholders filled (after each parameter's operations; text
 * HTML-escaped, an image inlined as a JPEG `<img src="cid:image_<name>">`), newlines as `<br>`, an
 * HTML part in a `multipart/related` with the inline images and the attachments (images as JPEG,
 * `.jpg` added to their names; strings as UTF-8).
 */
import { randomBytes } from "node:crypto";
import { encodeJpeg } from "../../images/codec.js";
import { isWorkflowImage } from "../../images/index.js";
import { pythonStr } from "../../query/index.js";
import { withOperations, type OperationsChain } from "./operations.js";

const PARAMETER_PATTERN = /\{\{\s*\$parameters\.(\w+)\s*\}\}/g;

/** Python's `html.escape(text)` (quotes too). */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" })[char]!);
}

export interface HtmlMessage {
  readonly html: string;
  /** Content id → JPEG. */
  readonly inlineImages: ReadonlyMap<string, Buffer>;
}

/** Upstream's `format_email_message_html_with_images`. */
export async function formatHtmlMessage(
  message: string,
  parameters: Readonly<Record<string, unknown>>,
  operations: Readonly<Record<string, OperationsChain>>,
): Promise<HtmlMessage> {
  const used = new Set([...message.matchAll(PARAMETER_PATTERN)].map((match) => match[1]).filter((name) => Object.hasOwn(parameters, name)));
  const usedOperations = Object.fromEntries(Object.entries(operations).filter(([name]) => used.has(name)));
  const processed = await withOperations(parameters, usedOperations);
  const values = new Map<string, string>();
  const inlineImages = new Map<string, Buffer>();
  for (const name of used) {
    const value = processed[name];
    if (isWorkflowImage(value)) {
      const cid = `image_${name}`;
      inlineImages.set(cid, await encodeJpeg(value));
      values.set(name, `<img src="cid:${cid}" alt="${name}" style="max-width: 600px; height: auto;">`);
    } else values.set(name, escapeHtml(pythonStr(value)));
  }
  const filled = message.replace(PARAMETER_PATTERN, (placeholder, name: string) => values.get(name) ?? placeholder);
  return { html: filled.replace(/\n/g, "<br>\n"), inlineImages };
}

/** Upstream's attachment handling: images → JPEG (name ending `.jpg`), bytes as they are, anything else as text. */
export async function attachmentFiles(attachments: Readonly<Record<string, unknown>>): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(attachments)) {
    if (isWorkflowImage(value)) files.set(/\.jpe?g$/i.test(name) ? name : `${name}.jpg`, await encodeJpeg(value));
    else if (value instanceof Uint8Array) files.set(name, Buffer.from(value));
    else files.set(name, Buffer.from(pythonStr(value), "utf8"));
  }
  return files;
}

/** A header value: as is when ASCII, else RFC 2047 encoded-word (UTF-8, base64). */
function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?utf-8?b?${Buffer.from(text).toString("base64")}?=`;
}

function base64Lines(content: Buffer): string {
  return (content.toString("base64").match(/.{1,76}/g) ?? []).join("\r\n");
}

export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly html: HtmlMessage;
  readonly attachments: ReadonlyMap<string, Buffer>;
}

/** The message as sent after DATA: headers, then the multipart body; CRLF line ends. BCC recipients get no header. */
export function composeMessage(mail: MailMessage): string {
  const boundary = `===============${randomBytes(12).toString("hex")}==`;
  const headers = [
    `Content-Type: multipart/related; boundary="${boundary}"`,
    "MIME-Version: 1.0",
    `From: ${mail.from}`,
    `To: ${mail.to.join(",")}`,
    ...(mail.cc.length > 0 ? [`Cc: ${mail.cc.join(",")}`] : []),
    `Subject: ${headerText(mail.subject)}`,
    `Date: ${new Date().toUTCString()}`,
  ];
  const part = (partHeaders: string[], content: Buffer) =>
    [`--${boundary}`, ...partHeaders, "Content-Transfer-Encoding: base64", "", base64Lines(content)].join("\r\n");
  const parts = [
    part(['Content-Type: text/html; charset="utf-8"', "MIME-Version: 1.0"], Buffer.from(mail.html.html, "utf8")),
    ...[...mail.html.inlineImages].map(([cid, jpeg]) =>
      part(["Content-Type: image/jpeg", "MIME-Version: 1.0", `Content-ID: <${cid}>`, "Content-Disposition: inline"], jpeg),
    ),
    ...[...mail.attachments].map(([name, content]) =>
      part(
        ["Content-Type: application/octet-stream", "MIME-Version: 1.0", `Content-Disposition: attachment; filename="${name.replace(/["\r\n]/g, "_")}"`],
        content,
      ),
    ),
  ];
  return `${headers.join("\r\n")}\r\n\r\n${parts.join("\r\n")}\r\n--${boundary}--\r\n`;
}
