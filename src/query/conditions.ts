/**
 * Conditions (docs/reference/workflows.md#conditions): a statement group compiled once into
 * `(values) => boolean`.
 *
 * As upstream: a group evaluates every statement left to right (no short-circuit, so an error
 * in a later statement is raised even when an earlier one decided the result) and folds the
 * results with Python's `and` / `or`; a dynamic operand reads `values[operand_name]` and runs its
 * chain with `values` as the chain's globals.
 */
import { EvaluationEngineError, OperationError, UndeclaredSymbolError } from "../errors/index.js";
import { asWorkflowError, describeValue, evaluationContext } from "./failures.js";
import { compileOperations } from "./operations/index.js";
import { expectString, type QueryGlobals } from "./operations/context.js";
import { pythonCompare, pythonContains, pythonEquals } from "./python/compare.js";
import { pythonGetItem } from "./python/sequences.js";
import { pythonIterate, pythonLen } from "./python/types.js";
import type { BinaryComparatorType, BinaryStatement, Operand, Statement, StatementGroup, UnaryOperatorType, UnaryStatement } from "./schemas.js";

/** The named values a condition reads (a ContinueIf's evaluation parameters, an Expression's variables). */
export type QueryValues = QueryGlobals;

export type CompiledCondition = (values: QueryValues) => boolean;

type Comparator = (left: unknown, right: unknown) => boolean;

/** Detections do not exist in sightline yet; the comparator parses but cannot run. */
function detectionInZone(location: string): Comparator {
  return () => {
    throw new OperationError(
      `BinaryStatement at ${location}: comparator "(Detection) in zone" is not supported by sightline yet: it works on detections, and sightline has no detection models`,
      { context: evaluationContext(location) },
    );
  };
}

const equals: Comparator = pythonEquals;
const notEquals: Comparator = (a, b) => !pythonEquals(a, b);

const BINARY_COMPARATORS: Readonly<Record<Exclude<BinaryComparatorType, "(Detection) in zone">, Comparator>> = {
  "==": equals,
  "(Number) ==": equals,
  "!=": notEquals,
  "(Number) !=": notEquals,
  "(Number) >": (a, b) => pythonCompare(a, b, ">"),
  "(Number) >=": (a, b) => pythonCompare(a, b, ">="),
  "(Number) <": (a, b) => pythonCompare(a, b, "<"),
  "(Number) <=": (a, b) => pythonCompare(a, b, "<="),
  // Python's chained `b[0] <= a <= b[1]`, which skips the upper bound once the lower one fails.
  "(Number) in range": (a, b) => pythonCompare(pythonGetItem(b, 0), a, "<=") && pythonCompare(a, pythonGetItem(b, 1), "<="),
  "(String) startsWith": (a, b) => expectString(a).startsWith(expectString(b)),
  "(String) endsWith": (a, b) => expectString(a).endsWith(expectString(b)),
  "(String) contains": (a, b) => pythonContains(a, b),
  "in (Sequence)": (a, b) => pythonContains(b, a),
  "any in (Sequence)": (a, b) => pythonIterate(a).some((item) => pythonContains(b, item)),
  "all in (Sequence)": (a, b) => pythonIterate(a).every((item) => pythonContains(b, item)),
};

const UNARY_OPERATORS: Readonly<Record<UnaryOperatorType, (value: unknown) => boolean>> = {
  Exists: (a) => a !== null && a !== undefined,
  DoesNotExist: (a) => a === null || a === undefined,
  // Identity with True, as Python's `is`: 1 is not True.
  "(Boolean) is True": (a) => a === true,
  "(Boolean) is False": (a) => a === false,
  "(Sequence) is empty": (a) => pythonLen(a) === 0,
  "(Sequence) is not empty": (a) => pythonLen(a) > 0,
};

type OperandReader = (values: QueryValues) => unknown;

function compileOperand(operand: Operand, statement: string, location: string): OperandReader {
  const chain = compileOperations(operand.operations ?? [], `${location}.operations`);
  if (operand.type === "StaticOperand") {
    const value = operand.value;
    return operand.operations?.length ? (values) => chain(value, values) : () => value;
  }
  const name = operand.operand_name ?? "_";
  return (values) => {
    if (!Object.hasOwn(values, name)) {
      const known = Object.keys(values);
      throw new UndeclaredSymbolError(
        `Attempted to execute evaluation of type: ${statement} in context ${location}, but encountered error: ` +
          `Encountered undefined symbol \`${name}\` (defined: ${known.length ? known.join(", ") : "none"})`,
        { context: evaluationContext(location) },
      );
    }
    return chain(values[name], values);
  };
}

function lookUpOperator<K extends string, V>(table: Readonly<Record<K, V>>, type: unknown, what: string, location: string): V {
  if (typeof type !== "string" || !Object.hasOwn(table, type)) {
    throw new EvaluationEngineError(`Unknown ${what} ${JSON.stringify(type)} at ${location}; valid: ${Object.keys(table).join(", ")}`, {
      context: "step_execution | roboflow_query_language_compilation",
    });
  }
  return table[type as K];
}

function compileBinary(statement: BinaryStatement, location: string): CompiledCondition {
  const type = statement.comparator.type;
  const comparator = type === "(Detection) in zone" ? detectionInZone(location) : lookUpOperator(BINARY_COMPARATORS, type, "comparator", location);
  const left = compileOperand(statement.left_operand, "BinaryStatement", `${location}.left_operand`);
  const right = compileOperand(statement.right_operand, "BinaryStatement", `${location}.right_operand`);
  const negate = statement.negate ?? false;
  return (values) => {
    const a = left(values);
    const b = right(values);
    let result: boolean;
    try {
      result = comparator(a, b);
    } catch (error) {
      throw asWorkflowError(
        error,
        (detail) => `BinaryStatement at ${location}: comparator "${type}" cannot be applied to ${describeValue(a)} and ${describeValue(b)}: ${detail}`,
        location,
        EvaluationEngineError,
      );
    }
    return negate ? !result : result;
  };
}

function compileUnary(statement: UnaryStatement, location: string): CompiledCondition {
  const type = statement.operator.type;
  const operator = lookUpOperator(UNARY_OPERATORS, type, "unary operator", location);
  const operand = compileOperand(statement.operand, "UnaryStatement", `${location}.operand`);
  const negate = statement.negate ?? false;
  return (values) => {
    const a = operand(values);
    let result: boolean;
    try {
      result = operator(a);
    } catch (error) {
      throw asWorkflowError(
        error,
        (detail) => `UnaryStatement at ${location}: operator "${type}" cannot be applied to ${describeValue(a)}: ${detail}`,
        location,
        EvaluationEngineError,
      );
    }
    return negate ? !result : result;
  };
}

function compileStatement(statement: Statement, location: string): CompiledCondition {
  switch (statement.type) {
    case "BinaryStatement":
      return compileBinary(statement, location);
    case "UnaryStatement":
      return compileUnary(statement, location);
    case "StatementGroup":
      return compileCondition(statement, location);
  }
}

/** Compiles a parsed statement group (see `StatementGroupSchema`) into `(values) => boolean`. */
export function compileCondition(group: StatementGroup, location = "<root>"): CompiledCondition {
  const statements = group.statements.map((statement, index) => compileStatement(statement, `${location}.statements[${index}]`));
  const conjunction = (group.operator ?? "or") === "and";
  return (values) => {
    if (statements.length === 0) {
      throw new EvaluationEngineError(`Attempted to execute evaluation of statements in context of ${location}, but empty statements list provided.`, {
        context: evaluationContext(location),
      });
    }
    let result = statements[0](values);
    for (let i = 1; i < statements.length; i++) {
      const next = statements[i](values);
      result = conjunction ? result && next : result || next;
    }
    return result;
  };
}
