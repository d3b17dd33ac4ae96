/**
 * Email Notification (`roboflow_core/email_notification@v2`,
 * docs/reference/blocks.md#email-notification): upstream's block with its "Custom SMTP" provider —
 * an HTML message with `{{ $parameters.<name> }}` placeholders (`mime.ts`), inline images and
 * attachments, sent over implicit TLS (`smtp.ts`) to the SMTP server the sink policy allows. The
 * "Roboflow Managed API Key" provider relays through Roboflow's API, which sightline never calls:
 * it answers with an error in the outputs.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { OperationsChainSchema } from "../../query/index.js";
import { COOLDOWN_RESTRICTION } from "../restrictions.js";
import { attachmentFiles, composeMessage, formatHtmlMessage } from "./mime.js";
import type { SinkPolicy } from "./policy.js";
import { COOLDOWN_STATE, NOTIFICATION_OUTPUTS, NOTIFICATION_PROPERTIES, notify, type Delivered } from "./sink-step.js";
import { sendSmtp } from "./smtp.js";

const MANAGED = "Roboflow Managed API Key";
const CUSTOM_SMTP = "Custom SMTP";
const SMTP_TIMEOUT_MS = 30_000;

export const MANAGED_PROVIDER_MESSAGE =
  'email_provider "Roboflow Managed API Key" is not supported in sightline: it relays through Roboflow\'s API, which sightline never calls. Set email_provider to "Custom SMTP" with smtp_server, smtp_port, sender_email and sender_email_password.';

const addresses = (description: string) =>
  z
    .union([
      selector(["string", "list_of_values"]),
      z.string(),
      z.array(z.string()).min(1, { error: "E-mail notification must have at least one receiver defined." }),
    ])
    .describe(description);

function asList(value: string | readonly string[] | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  return typeof value === "string" ? [value] : [...value];
}

export const emailNotificationBlock = defineBlock({
  manifest: {
    type: "roboflow_core/email_notification@v2",
    name: "Email Notification",
    family: "sinks",
    description: "Send notification via e-mail.",
    properties: z.object({
      email_provider: z
        .enum([MANAGED, CUSTOM_SMTP])
        .default(MANAGED)
        .describe("E-mail delivery: Roboflow's relay (not supported in sightline) or your own SMTP server"),
      subject: z.string().describe("Subject of the message."),
      receiver_email: addresses("Destination e-mail address."),
      message: z.string().describe("Content of the message to be send."),
      message_parameters: z
        .record(z.string(), z.union([selector(), z.string(), z.number(), z.boolean()]))
        .default({})
        .describe("Data to be used inside the message."),
      message_parameters_operations: z
        .record(z.string(), OperationsChainSchema)
        .default({})
        .describe("Preprocessing operations to be performed on message parameters."),
      sender_email: literalOrSelector(z.string(), ["string"]).nullable().default(null).describe("E-mail to be used to send the message."),
      smtp_server: literalOrSelector(z.string(), ["string"]).nullable().default(null).describe("Custom SMTP server to be used."),
      sender_email_password: literalOrSelector(z.string(), ["string", "secret"])
        .nullable()
        .default(null)
        .describe("Sender e-mail password be used when authenticating to SMTP server."),
      cc_receiver_email: addresses("CC e-mail address.").nullable().default(null),
      bcc_receiver_email: addresses("BCC e-mail address.").nullable().default(null),
      smtp_port: z.int().default(465).describe("SMTP server port."),
      attachments: z
        .record(z.string(), selector(["string", "bytes", "image"]))
        .default({})
        .describe("Attachments"),
      ...NOTIFICATION_PROPERTIES,
    }),
    outputs: NOTIFICATION_OUTPUTS,
    compatibility: ">=1.4.0,<2.0.0",
    restrictions: [COOLDOWN_RESTRICTION],
  },
  state: COOLDOWN_STATE,
  run(inputs, ctx) {
    return notify(ctx, inputs, () => {
      if (inputs.email_provider === MANAGED) return MANAGED_PROVIDER_MESSAGE;
      const { sender_email: sender, smtp_server: server, sender_email_password: password } = inputs;
      if (!sender || !server || !password) return "Custom SMTP requires sender_email, smtp_server, and sender_email_password";
      const to = asList(inputs.receiver_email as string | string[]);
      const cc = asList(inputs.cc_receiver_email as string | string[] | null);
      const bcc = asList(inputs.bcc_receiver_email as string | string[] | null);
      // the message (operations, JPEG encoding) is made in the delivery, never on the frame's time
      const send = async (policy: SinkPolicy): Promise<Delivered> => {
        try {
          const message = composeMessage({
            from: sender,
            to,
            cc,
            subject: inputs.subject,
            html: await formatHtmlMessage(inputs.message, inputs.message_parameters, inputs.message_parameters_operations),
            attachments: await attachmentFiles(inputs.attachments),
          });
          const recipients = [...to, ...cc, ...bcc];
          await sendSmtp({
            host: server,
            port: inputs.smtp_port,
            username: sender,
            password,
            from: sender,
            recipients,
            message,
            timeoutMs: SMTP_TIMEOUT_MS,
            ca: policy.ca,
          });
          return { error: false, message: "Notification sent successfully" };
        } catch (error) {
          return { error: true, message: `Failed to send e-mail. Internal error details: ${(error as Error).message}` };
        }
      };
      return { destination: { host: server, port: inputs.smtp_port }, send };
    });
  },
});
