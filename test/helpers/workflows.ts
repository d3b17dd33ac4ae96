/** Pieces of workflow definitions that tests write again and again. */

/** A condition with one binary statement: `operand comparator value`, the operand a named parameter. */
export const statement = (operand: string, comparator: string, value: unknown) => ({
  type: "StatementGroup",
  statements: [
    {
      type: "BinaryStatement",
      left_operand: { type: "DynamicOperand", operand_name: operand },
      comparator: { type: comparator },
      right_operand: { type: "StaticOperand", value },
    },
  ],
});

/** A rate limiter on the video time of `$inputs.image` (one pass per `cooldown_seconds`) gating `next`. */
export const videoTimeSampler = (next: string, cooldown_seconds = 1) => ({
  type: "roboflow_core/rate_limiter@v1",
  name: "sample",
  cooldown_seconds,
  depends_on: "$inputs.image",
  video_reference_image: "$inputs.image",
  next_steps: [`$steps.${next}`],
});
