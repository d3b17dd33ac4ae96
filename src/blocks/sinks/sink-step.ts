/**
 * What every sink block shares (docs/reference/blocks.md#sinks): upstream's `disable_sink`,
 * `cooldown_seconds` and `fire_and_forget` properties, its outputs and messages, the cooldown's
 * state, and `dispatch` — send now (the frame waits) or hand the send to the step's bounded
 * background queue (it does not). A sink never throws for a failed delivery: the failure is its
 * `error_status` and `message`, and a count in `/metrics`.
 */
import { z } from "zod";
import { literalOrSelector, type StepContext } from "../../block-api/index.js";
import { finite } from "../state-schemas.js";
import { hostRefusal, type Destination, type SinkPolicy } from "./policy.js";
import { sinkServiceKey, type SinkService } from "./service.js";

const disableSinkProperty = literalOrSelector(z.boolean(), ["boolean"]).default(false).describe("Boolean flag to disable block execution.");

const fireAndForgetProperty = literalOrSelector(z.boolean(), ["boolean"])
  .default(true)
  .describe("Boolean flag to run the block asynchronously (True) for faster workflows or synchronously (False) for debugging and error handling.");

const cooldownProperty = literalOrSelector(z.int(), ["integer"]).default(5).describe("Number of seconds to wait until follow-up notification can be sent.");

/** Properties every notifying sink (webhook, e-mail) has, as upstream declares them. */
export const NOTIFICATION_PROPERTIES = { fire_and_forget: fireAndForgetProperty, disable_sink: disableSinkProperty, cooldown_seconds: cooldownProperty };

/** Outputs of the notifying sinks (webhook, e-mail). */
export const NOTIFICATION_OUTPUTS = [
  { name: "error_status", kinds: ["boolean"] },
  { name: "throttling_status", kinds: ["boolean"] },
  { name: "message", kinds: ["string"] },
] as const;

export interface NotificationResult {
  error_status: boolean;
  throttling_status: boolean;
  message: string;
}

/** When the step last sent (ms), one for the whole step as upstream's block instance keeps it. */
export const cooldownState = z.strictObject({ last_sent_at: finite.nullable() });
export type CooldownState = z.output<typeof cooldownState>;
export const COOLDOWN_STATE = { schema: cooldownState, initial: (): CooldownState => ({ last_sent_at: null }), scope: "step" as const };

/** A delivery's result as upstream's send functions return it. */
export interface Delivered {
  readonly error: boolean;
  readonly message: string;
}

const BACKGROUND_MESSAGE = "Notification sent in the background task";

export function sinkServiceOf(ctx: StepContext<unknown>): SinkService {
  return ctx.services.get(sinkServiceKey);
}

/** Upstream's `disabled_sink_message`. */
export function disabledMessage(by: "policy" | "run" | "parameter"): string {
  // a run's `disable_sinks` is the execution policy of that run
  return by === "parameter" ? "Sink was disabled by parameter `disable_sink`" : "Sink was disabled by workflow execution policy";
}

function notification(error: boolean, message: string, throttled = false): NotificationResult {
  return { error_status: error, throttling_status: throttled, message };
}

/**
 * Disabled or cooling down: the result to return without sending; null to go on. Reads the
 * cooldown only; `markSent` records a send.
 */
function holdBack(ctx: StepContext<CooldownState>, inputs: { disable_sink: boolean; cooldown_seconds: number }): NotificationResult | null {
  const disabledBy = sinkServiceOf(ctx).disabledBy() ?? (inputs.disable_sink ? "parameter" : null);
  if (disabledBy) return notification(false, disabledMessage(disabledBy));
  const last = ctx.state.last_sent_at;
  if (last !== null && (ctx.now() - last) / 1000 < inputs.cooldown_seconds) return notification(false, "Sink cooldown applies", true);
  return null;
}

function markSent(ctx: StepContext<CooldownState>): void {
  ctx.state = { last_sent_at: ctx.now() };
}

/**
 * Sends now and waits (`fireAndForget` false), or queues the send on the step's background queue
 * and answers at once; a full queue is an error in the outputs, not a wait.
 */
async function dispatch(ctx: StepContext<unknown>, fireAndForget: boolean, send: () => Promise<Delivered>): Promise<NotificationResult> {
  const sinks = sinkServiceOf(ctx);
  const counted = async (): Promise<Delivered> => {
    const delivered = await send();
    sinks.count(ctx.blockType, delivered.error ? "failed" : "sent");
    return delivered;
  };
  if (!fireAndForget) {
    const delivered = await counted();
    return notification(delivered.error, delivered.message);
  }
  const accepted = sinks.enqueue(ctx.shared, ctx.step, ctx.blockType, async () => void (await counted()));
  if (accepted) return notification(false, BACKGROUND_MESSAGE);
  return notification(
    true,
    `Notification dropped: the step's background queue is full (${sinks.queueOptions.capacity} waiting); the receiver is slower than the notifications`,
  );
}

/** A notification ready to go: where to, and how to send it (under the policy, for its `ca`). */
export interface PreparedNotification {
  readonly destination: Destination;
  send(policy: SinkPolicy): Promise<Delivered>;
}

/**
 * A notifying sink's run: disabled or cooling down → said so; `prepare` gives the notification
 * or the error message for the outputs; a destination the policy refuses → the refusal, counted;
 * else the cooldown starts and the notification is sent now or in the background.
 */
export async function notify(
  ctx: StepContext<CooldownState>,
  inputs: { disable_sink: boolean; cooldown_seconds: number; fire_and_forget: boolean },
  prepare: () => PreparedNotification | string,
): Promise<NotificationResult> {
  const held = holdBack(ctx, inputs);
  if (held) return held;
  const prepared = prepare();
  if (typeof prepared === "string") return notification(true, prepared);
  const sinks = sinkServiceOf(ctx);
  const refusal = hostRefusal(sinks.policy, prepared.destination);
  if (refusal) {
    sinks.count(ctx.blockType, "refused");
    return notification(true, refusal);
  }
  markSent(ctx);
  return dispatch(ctx, inputs.fire_and_forget, () => prepared.send(sinks.policy));
}
