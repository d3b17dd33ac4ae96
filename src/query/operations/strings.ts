/** String operations: case, `str()`, slicing, `re.search`. */
import { compilePythonRegex } from "../python/regex.js";
import { pythonStringSlice } from "../python/sequences.js";
import { pythonStr } from "../python/str.js";
import { expectString, type OperationBuilders } from "./context.js";

type StringOperation = "StringToLowerCase" | "StringToUpperCase" | "ToString" | "StringSubSequence" | "StringMatches";

export const STRING_OPERATIONS: OperationBuilders<StringOperation> = {
  StringToLowerCase: () => (value) => expectString(value).toLowerCase(),
  StringToUpperCase: () => (value) => expectString(value).toUpperCase(),
  ToString:
    (_definition, { inputIsFloat }) =>
    (value) =>
      pythonStr(value, inputIsFloat),
  // Upstream's default end is −1, which drops the last character: Python slice semantics.
  StringSubSequence:
    ({ start, end }) =>
    (value) =>
      pythonStringSlice(expectString(value), start, end),
  StringMatches: ({ regex }) => {
    const pattern = compilePythonRegex(regex);
    return (value) => pattern.test(expectString(value));
  },
};
