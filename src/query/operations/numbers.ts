/** Number operations: `float()` / `int()` casting, `round()`, `*`, `/` and random sampling. */
import { pythonFloat, pythonIntOfFloat, pythonMultiply, pythonRound, pythonTrueDivide } from "../python/numbers.js";
import type { OperationBuilders } from "./context.js";

type NumberOperation = "ToNumber" | "NumberRound" | "Multiply" | "Divide" | "RandomNumber";

export const NUMBER_OPERATIONS: OperationBuilders<NumberOperation> = {
  ToNumber: ({ cast_to }) => (cast_to === "int" ? (value) => pythonIntOfFloat(pythonFloat(value)) : (value) => pythonFloat(value)),
  NumberRound:
    ({ decimal_digits }) =>
    (value) =>
      pythonRound(value, decimal_digits),
  Multiply:
    ({ other }) =>
    (value) =>
      pythonMultiply(value, other),
  Divide:
    ({ other }) =>
    (value) =>
      pythonTrueDivide(value, other),
  RandomNumber: ({ min_value, max_value }) => {
    if (min_value === max_value) return () => min_value;
    const span = Math.abs(max_value - min_value);
    return () => min_value + Math.random() * span;
  },
};
