/**
 * The service's defaults, in a module of their own so that the CLI can show them in `--help`
 * without loading the runner, BullMQ or a Redis client.
 */

/** Default checkpoint cadence: whichever comes first. */
export const CHECKPOINT_EVERY_TICKS = 100;
export const CHECKPOINT_INTERVAL_MS = 10_000;

export const WORKER_DEFAULTS = {
  maxPipelines: 8,
  leaseMs: 15_000,
  /** Frame results a pipeline holds while Redis is slow or unreachable. */
  resultsBuffer: 2048,
} as const;
