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
