/**
 * roboflow_core/email_notification@v2 against a real SMTP server (aiosmtpd, implicit TLS, AUTH):
 * subject, the HTML message with parameters, an inline image, attachments, recipients; a wrong
 * password and the Roboflow relay as errors in the outputs; the host allow-list.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGED_PROVIDER_MESSAGE } from "../../src/blocks/sinks/email-notification.js";
import { OPEN_SINK_POLICY } from "../../src/blocks/sinks/policy.js";
import { provideSinkPolicy } from "../../src/blocks/sinks/service.js";
import { compile, Services, WorkflowImage } from "../../src/index.js";
import { SmtpServer } from "./smtp-server.js";

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await SmtpServer.start("alerts@farm.example", "s3cret");
});
afterAll(() => smtp.close());

function services(allowedHosts: string[] | "*" = "*") {
  const made = new Services();
  provideSinkPolicy(made, { ...OPEN_SINK_POLICY, allowedHosts, ca: [smtp.certificate] }, { capacity: 8, concurrency: 2, drainMs: 0 });
  return made;
}

function emailWorkflow(step: Record<string, unknown>) {
  return {
    version: "1.0",
    inputs: [
      { type: "WorkflowImage", name: "image" },
      { type: "WorkflowParameter", name: "score" },
      { type: "WorkflowParameter", name: "password" },
      { type: "WorkflowParameter", name: "report" },
    ],
    steps: [
      {
        type: "roboflow_core/email_notification@v2",
        name: "email",
        email_provider: "Custom SMTP",
        subject: "Raccoon in the hen house",
        receiver_email: ["farmer@farm.example"],
        cc_receiver_email: "neighbour@farm.example",
        bcc_receiver_email: ["log@farm.example"],
        message: "Outlier score {{ $parameters.score }} <b>&</b>\nSnapshot: {{ $parameters.snapshot }} {{ $parameters.unknown }}",
        message_parameters: { score: "$inputs.score", snapshot: "$inputs.image" },
        message_parameters_operations: { score: [{ type: "NumberRound", decimal_digits: 2 }] },
        attachments: { "report.csv": "$inputs.report", frame: "$inputs.image" },
        sender_email: "alerts@farm.example",
        sender_email_password: "$inputs.password",
        smtp_server: "127.0.0.1",
        smtp_port: smtp.port,
        fire_and_forget: false,
        ...step,
      },
    ],
    outputs: [
      { type: "JsonField", name: "error_status", selector: "$steps.email.error_status" },
      { type: "JsonField", name: "throttling_status", selector: "$steps.email.throttling_status" },
      { type: "JsonField", name: "message", selector: "$steps.email.message" },
    ],
  };
}

const image = new WorkflowImage({ width: 10, height: 4, data: new Uint8Array(120).fill(200), parentId: "image" });
const inputs = { image, score: 0.98765, password: "s3cret", report: "frame,score\n12,0.98\n" };

describe("email_notification@v2 over SMTP", () => {
  it("delivers the subject, the HTML message with its parameters, an inline image and the attachments", async () => {
    const engine = compile(emailWorkflow({}), { services: services() });
    expect((await engine.run(inputs))[0]).toEqual({ error_status: false, throttling_status: false, message: "Notification sent successfully" });
    await smtp.received(1);
    const [mail] = smtp.mails;
    expect(mail).toMatchObject({
      mail_from: "alerts@farm.example",
      auth_user: "alerts@farm.example",
      rcpt_tos: ["farmer@farm.example", "neighbour@farm.example", "log@farm.example"],
      subject: "Raccoon in the hen house",
      to: "farmer@farm.example",
      cc: "neighbour@farm.example",
    });
    const [html, inline, report, frame] = mail.parts;
    expect(html.content_type).toBe("text/html");
    expect(Buffer.from(html.content, "base64").toString()).toBe(
      'Outlier score 0.99 <b>&</b><br>\nSnapshot: <img src="cid:image_snapshot" alt="snapshot" style="max-width: 600px; height: auto;"> {{ $parameters.unknown }}',
    );
    expect(inline).toMatchObject({ content_type: "image/jpeg", content_id: "<image_snapshot>", disposition: "inline" });
    expect(report).toMatchObject({ filename: "report.csv", disposition: "attachment" });
    expect(Buffer.from(report.content, "base64").toString()).toBe("frame,score\n12,0.98\n");
    expect(frame.filename).toBe("frame.jpg");
    expect((await sharp(Buffer.from(frame.content, "base64")).metadata()).width).toBe(10);
    await engine.close();
  });

  it("a refused login, the Roboflow relay and missing SMTP settings are errors in the outputs", async () => {
    const made = services();
    const wrong = compile(emailWorkflow({}), { services: made });
    const [refusedLogin] = await wrong.run({ ...inputs, password: "wrong" });
    expect(refusedLogin).toMatchObject({ error_status: true, message: expect.stringMatching(/^Failed to send e-mail\. Internal error details: AUTH: \(535/) });
    const relay = compile(emailWorkflow({ email_provider: "Roboflow Managed API Key" }), { services: made });
    expect((await relay.run(inputs))[0]).toEqual({ error_status: true, throttling_status: false, message: MANAGED_PROVIDER_MESSAGE });
    const incomplete = compile(emailWorkflow({ smtp_server: null }), { services: made });
    expect((await incomplete.run(inputs))[0]).toMatchObject({
      error_status: true,
      message: "Custom SMTP requires sender_email, smtp_server, and sender_email_password",
    });
    await Promise.all([wrong.close(), relay.close(), incomplete.close()]);
  });

  it("refuses an SMTP server the policy does not allow", async () => {
    const engine = compile(emailWorkflow({}), { services: services([]) });
    const [result] = await engine.run(inputs);
    expect(result).toMatchObject({ error_status: true, message: expect.stringContaining(`host 127.0.0.1:${smtp.port}`) });
    expect((result as { message: string }).message).toContain("--allow-sink-hosts 127.0.0.1");
    await engine.close();
  });
});
