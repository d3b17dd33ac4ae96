/**
 * `roboflow_core/continue_if@v1` (alias `ContinueIf`): runs `next_steps` when the condition holds,
 * and keeps them running for `stop_delay` seconds after it last held
 * (docs/reference/blocks.md#continue-if).
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selectSteps, selector, stepSelector, terminateBranch } from "../../block-api/index.js";
import { StatementGroupSchema, evaluateCondition } from "../../query/index.js";
import { finite } from "../state-schemas.js";

const continueIfState = z.strictObject({
  /** When the condition last held (ms, the engine's clock), while `stop_delay` keeps the branch open. */
  started_at: finite.nullable(),
});

export const continueIfBlock = defineBlock({
  manifest: {
    type: "roboflow_core/continue_if@v1",
    aliases: ["ContinueIf"],
    name: "Continue If",
    family: "flow_control",
    description: "Continues to the next steps only when a condition holds (optionally holding the branch open for a while).",
    properties: z.object({
      condition_statement: StatementGroupSchema,
      evaluation_parameters: z.record(z.string(), selector()).default({}).describe("Named values for the condition (selectors only)"),
      next_steps: z.array(stepSelector()).describe("Steps to run when the condition holds"),
      stop_delay: literalOrSelector(z.number().min(0), ["float"]).default(0).describe("Seconds the branch stays open after the condition last held"),
    }),
    outputs: [],
    flowControl: true,
  },
  state: { schema: continueIfState, initial: () => ({ started_at: null }) },
  run({ condition_statement, evaluation_parameters, next_steps, stop_delay }, ctx) {
    if (next_steps.length === 0) return terminateBranch();
    const now = ctx.now();
    if (evaluateCondition(condition_statement, evaluation_parameters)) {
      if (stop_delay > 0) ctx.state = { started_at: now };
      return selectSteps(next_steps);
    }
    const { started_at } = ctx.state;
    if (started_at !== null && now - started_at <= stop_delay * 1000) return selectSteps(next_steps);
    return terminateBranch();
  },
});
