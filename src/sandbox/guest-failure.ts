/** The guest's failures, made inside the worker as data the host can receive (see `WireFailure`). */
import type { LimitName, SandboxPhase, WireFailure } from "./protocol.js";

/** A failure of the guest, as it will be reported to the host. */
export class GuestFailure extends Error {
  constructor(
    readonly failure: WireFailure,
    /** The runtime may be exhausted or stopped mid-way: discard it. */
    readonly fatal: boolean,
  ) {
    super(failure.reason);
  }
}

/** Limits after which the guest cannot be trusted to be consistent (or has no memory left). */
const FATAL_LIMITS: ReadonlySet<LimitName> = new Set(["time", "wall_time", "memory"]);

export function limitFailure(phase: SandboxPhase, limit: LimitName, value: number): GuestFailure {
  return new GuestFailure({ reason: "limit", phase, limit, value }, FATAL_LIMITS.has(limit));
}

export function dataFailure(phase: SandboxPhase, path: string, problem: string): GuestFailure {
  return new GuestFailure({ reason: "data", phase, path, problem }, false);
}

/** A failure the sandbox reports as if the code had thrown `Error(message)`; no stack, the code threw nothing. */
export function sandboxError(phase: SandboxPhase, message: string): GuestFailure {
  return new GuestFailure({ reason: "execution", phase, guestName: "Error", guestMessage: message, guestStack: "" }, false);
}
