/** Sequence operations: mapping, nested chains, aggregation, counting and joining. */
import { OperationError } from "../../errors/index.js";
import { pyValueError } from "../python/errors.js";
import { pythonSum } from "../python/numbers.js";
import { pythonCounterOrder, pythonExtreme, pythonGetItem } from "../python/sequences.js";
import { pythonStr } from "../python/str.js";
import { codePointLength, pythonIterate, pythonLen } from "../python/types.js";
import { evaluationContext } from "../failures.js";
import type { OperationBuilders } from "./context.js";
import { lookUp } from "./generic.js";

/** Longest string `SequenceJoin` produces, in characters. */
export const SEQUENCE_JOIN_MAX_LENGTH = 1_000_000;

type SequenceOperation =
  "SequenceMap" | "SequenceApply" | "NumericSequenceAggregate" | "SequenceAggregate" | "SequenceLength" | "SequenceElementsCount" | "SequenceJoin";

export const SEQUENCE_OPERATIONS: OperationBuilders<SequenceOperation> = {
  SequenceMap:
    ({ lookup_table }) =>
    (value) =>
      pythonIterate(value).map((item) => lookUp(lookup_table, item)),

  SequenceApply: ({ operations }, { location, compileChain }) => {
    const chain = compileChain(operations, `${location}.operations`);
    return (value, globals) => pythonIterate(value).map((item) => chain(item, globals));
  },

  NumericSequenceAggregate:
    ({ function: aggregate, neutral_value }) =>
    (value) => {
      if (pythonLen(value) === 0) return neutral_value;
      const items = pythonIterate(value);
      return aggregate === "sum" ? pythonSum(items) : pythonExtreme(items, aggregate);
    },

  SequenceAggregate:
    ({ mode }) =>
    (value) => {
      if (pythonLen(value) < 1) throw pyValueError("empty sequence cannot be aggregated");
      switch (mode) {
        case "first":
          return pythonGetItem(value, 0);
        case "last":
          return pythonGetItem(value, -1);
        case "most_common":
          return pythonCounterOrder(pythonIterate(value))[0];
        case "least_common":
          return pythonCounterOrder(pythonIterate(value)).at(-1);
      }
    },

  SequenceLength: () => (value) => pythonLen(value),

  SequenceElementsCount: () => (value) => {
    const counts = new Map<string, number>();
    for (const item of pythonIterate(value)) {
      const key = pythonStr(item);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // fromEntries defines own properties, so even a "__proto__" element stays a plain key.
    return Object.fromEntries(counts);
  },

  SequenceJoin:
    ({ separator }, { location }) =>
    (value) => {
      const items = pythonIterate(value);
      let joined = "";
      for (let i = 0; i < items.length; i++) {
        joined += (i === 0 ? "" : separator) + pythonStr(items[i]);
        if (joined.length > SEQUENCE_JOIN_MAX_LENGTH && codePointLength(joined) > SEQUENCE_JOIN_MAX_LENGTH) {
          throw new OperationError(
            `Operation SequenceJoin at ${location}: the joined string would exceed ${SEQUENCE_JOIN_MAX_LENGTH} characters (after ${i + 1} of ${items.length} elements)`,
            { context: evaluationContext(location) },
          );
        }
      }
      return joined;
    },
};
