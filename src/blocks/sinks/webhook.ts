/**
 * Webhook Sink (`roboflow_core/webhook_sink@v1`, docs/reference/blocks.md#webhook-sink): sends
 * the step's query parameters, headers and JSON, form or multipart payload to a URL, as
 * upstream's block does (`http-request.ts`), after the operations given for each payload field.
 * Beyond upstream: a failed attempt (no connection, no answer within `request_timeout`, 429 or
 * 5xx) is tried again up to `max_retries` times, waiting 0.5 s, 1 s, 2 s … between attempts; and
 * the host must be one the sink policy allows (`serve`: none unless `--allow-sink-hosts`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { OperationsChainSchema } from "../../query/index.js";
import { COOLDOWN_RESTRICTION } from "../restrictions.js";
import { buildWebhookRequest, HttpStatusError, sendWebhookRequest, type WebhookPayload } from "./http-request.js";
import { withOperations } from "./operations.js";
import { COOLDOWN_STATE, NOTIFICATION_OUTPUTS, NOTIFICATION_PROPERTIES, notify, type Delivered } from "./sink-step.js";

const QUERY_PARAMS_KINDS = [
  "string",
  "integer",
  "float",
  "roboflow_model_id",
  "roboflow_project",
  "roboflow_api_key",
  "float_zero_to_one",
  "list_of_values",
  "boolean",
  "top_class",
] as const;
// upstream's header kinds are the query parameters' but lists
const HEADER_KINDS = QUERY_PARAMS_KINDS.filter((kind) => kind !== "list_of_values");

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const anyLiteral = z.union([scalar, z.record(z.string(), z.unknown()), z.array(z.unknown())]);
const payloadFields = (description: string) =>
  z
    .record(z.string(), z.union([selector(), anyLiteral]))
    .default({})
    .describe(description);
const operationsOf = (field: string) =>
  z
    .record(z.string(), OperationsChainSchema)
    .default({})
    .describe(`UQL definitions of operations to be performed on defined data w.r.t. each value of \`${field}\` parameter`);

const BACKOFF_BASE_MS = 500;

function isRetryable(error: unknown): boolean {
  return !(error instanceof HttpStatusError) || error.status === 429 || error.status >= 500;
}

/**
 * Applies the operations, builds the request and sends it, trying again after retryable
 * failures; the outcome worded as upstream's `execute_request`. The operations run here, in the
 * delivery, so that encoding an image for a background delivery never holds up the frame.
 */
async function deliver(
  method: string,
  url: URL,
  payload: () => Promise<WebhookPayload>,
  options: { timeoutMs: number; retries: number; ca?: readonly string[] },
): Promise<Delivered> {
  try {
    const request = await buildWebhookRequest(method, url, await payload());
    for (let attempt = 0; ; attempt++) {
      try {
        await sendWebhookRequest(request, options.timeoutMs, options.ca);
        return { error: false, message: "Notification sent successfully" };
      } catch (error) {
        if (attempt >= options.retries || !isRetryable(error)) throw error;
        await sleep(BACKOFF_BASE_MS * 2 ** attempt);
      }
    }
  } catch (error) {
    return { error: true, message: `Failed to send webhook notification. Internal error details: ${(error as Error).message}` };
  }
}

function parseUrl(text: string): URL | string {
  try {
    const url = new URL(text);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
    return `Failed to send webhook notification. Internal error details: unsupported URL scheme ${url.protocol} (http or https only)`;
  } catch {
    return `Failed to send webhook notification. Internal error details: Invalid URL '${text}': No scheme supplied. Perhaps you meant https://${text}?`;
  }
}

export const webhookSinkBlock = defineBlock({
  manifest: {
    type: "roboflow_core/webhook_sink@v1",
    name: "Webhook Sink",
    family: "sinks",
    description: "Send a request to a remote API with Workflow results.",
    properties: z.object({
      url: literalOrSelector(z.string(), ["string"]).describe("URL of the resource to make request"),
      method: z.enum(["GET", "POST", "PUT"]).describe("HTTP method to be used"),
      query_parameters: z
        .record(z.string(), literalOrSelector(z.union([scalar, z.array(scalar)]), QUERY_PARAMS_KINDS))
        .default({})
        .describe("Request query parameters"),
      headers: z.record(z.string(), literalOrSelector(scalar, HEADER_KINDS)).default({}).describe("Request headers"),
      json_payload: payloadFields("Fields to put into JSON payload"),
      json_payload_operations: operationsOf("json_payload"),
      multi_part_encoded_files: payloadFields("Data to POST as Multipart-Encoded File"),
      multi_part_encoded_files_operations: operationsOf("multi_part_encoded_files"),
      form_data: payloadFields("Fields to put into form-data"),
      form_data_operations: operationsOf("form_data"),
      request_timeout: literalOrSelector(z.int().min(1), ["integer"]).default(2).describe("Number of seconds to wait for remote API response"),
      ...NOTIFICATION_PROPERTIES,
      max_retries: literalOrSelector(z.int().min(0).max(10), ["integer"])
        .default(2)
        .describe("sightline: attempts after a failed one (no connection, timeout, 429 or 5xx), with backoff 0.5 s, 1 s, 2 s …"),
    }),
    outputs: NOTIFICATION_OUTPUTS,
    compatibility: ">=1.3.0,<2.0.0",
    restrictions: [COOLDOWN_RESTRICTION],
  },
  state: COOLDOWN_STATE,
  run(inputs, ctx) {
    const payload = async (): Promise<WebhookPayload> => ({
      query_parameters: inputs.query_parameters,
      headers: inputs.headers,
      json_payload: await withOperations(inputs.json_payload, inputs.json_payload_operations),
      multi_part_encoded_files: await withOperations(inputs.multi_part_encoded_files, inputs.multi_part_encoded_files_operations),
      form_data: await withOperations(inputs.form_data, inputs.form_data_operations),
    });
    return notify(ctx, inputs, () => {
      const url = parseUrl(inputs.url);
      if (typeof url === "string") return url;
      const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
      return {
        destination: { host: url.hostname, port },
        send: (policy) => deliver(inputs.method, url, payload, { timeoutMs: inputs.request_timeout * 1000, retries: inputs.max_retries, ca: policy.ca }),
      };
    });
  },
});
