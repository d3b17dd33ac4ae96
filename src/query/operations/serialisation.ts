/** Turning dictionaries and timestamps into strings: `json.dumps`, `datetime.isoformat`. */
import { OperationError } from "../../errors/index.js";
import { pyTypeError } from "../python/errors.js";
import { pythonJsonDumps } from "../python/json.js";
import { pythonIsoformat } from "../python/str.js";
import { pythonTypeName } from "../python/types.js";
import { evaluationContext } from "../failures.js";
import { expectDict, type OperationBuilders } from "./context.js";

export const SERIALISATION_OPERATIONS: OperationBuilders<"ConvertDictionaryToJSON" | "TimestampToISOFormat"> = {
  ConvertDictionaryToJSON:
    (_definition, { location }) =>
    (value) => {
      const dict = expectDict(value);
      try {
        return pythonJsonDumps(dict);
      } catch (error) {
        // Upstream reports a dict it cannot serialise as an OperationError, not an input-type one.
        throw new OperationError(`Operation ConvertDictionaryToJSON at ${location}: ${(error as Error).message}`, {
          context: evaluationContext(location),
          inner: error,
        });
      }
    },
  TimestampToISOFormat: () => (value) => {
    if (!(value instanceof Date)) throw pyTypeError(`expected a timestamp (datetime), got ${pythonTypeName(value)}`);
    return pythonIsoformat(value);
  },
};
