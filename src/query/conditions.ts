/**
 * Conditions (docs/reference/workflows.md#conditions): a statement group compiled once into
 * `(values) => boolean`.
 *
 * As upstream: a group evaluates every statement left to right (no short-circuit, so an error
 * in a later statement is raised even when an earlier one decided the result) and folds the
 * results with Python's `and` / `or`; a dynamic operand reads `values[operand_name]` and runs its
 * chain with `values` as the chain's globals. A comparator or operator that fails is an
 * `EvaluationEngineError` in upstream's words; the operand chains' own errors pass unchanged.
 */
import { EvaluationEngineError, UndeclaredSymbolError } from "../errors/index.js";
import { asEvaluationError, describeValue, evaluationContext, type StatementType } from "./failures.js";
import { compileOperations } from "./operations/index.js";
import { provideConditionCompiler, type QueryGlobals } from "./operations/context.js";
import { pythonCompare, pythonContains, pythonEquals } from "./python/compare.js";
import { pyTypeError } from "./python/errors.js";
import { pythonGetItem } from "./python/sequences.js";
import { pythonIterate, pythonLen, pythonTypeName } from "./python/types.js";
import type { BinaryComparatorType, BinaryStatement, Operand, Statement, StatementGroup, UnaryOperatorType, UnaryStatement } from "./schemas.js";

/** The named values a condition reads (a ContinueIf's evaluation parameters, an Expression's variables). */
export type QueryValues = QueryGlobals;

export type CompiledCondition = (values: QueryValues) => boolean;

type Comparator = (left: unknown, right: unknown) => boolean;

/** Zones (polygons) come from upstream's zone blocks, which sightline does not have. */
const detectionInZone: Comparator = () => {
  throw pyTypeError("'(Detection) in zone' needs a zone polygon; sightline has no zone blocks");
};

/** Python's `str.startswith` / `str.endswith`, with its errors for non-strings. */
function stringAffix(method: "startswith" | "endswith"): Comparator {
  return (text, affix) => {
    if (typeof text !== "string") throw pyTypeError(`'${pythonTypeName(text)}' object has no attribute '${method}'`);
    if (typeof affix !== "string") throw pyTypeError(`${method} first arg must be str or a tuple of str, not ${pythonTypeName(affix)}`);
    return method === "startswith" ? text.startsWith(affix) : text.endsWith(affix);
  };
}

const equals: Comparator = pythonEquals;
const notEquals: Comparator = (a, b) => !pythonEquals(a, b);

const BINARY_COMPARATORS: Readonly<Record<BinaryComparatorType, Comparator>> = {
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
  "(String) startsWith": stringAffix("startswith"),
  "(String) endsWith": stringAffix("endswith"),
  "(String) contains": (a, b) => pythonContains(a, b),
  "in (Sequence)": (a, b) => pythonContains(b, a),
  "any in (Sequence)": (a, b) => pythonIterate(a).some((item) => pythonContains(b, item)),
  "all in (Sequence)": (a, b) => pythonIterate(a).every((item) => pythonContains(b, item)),
  "(Detection) in zone": detectionInZone,
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

/** `statementLocation` names the statement in messages, as upstream; the operand's chain keeps its own place. */
function compileOperand(operand: Operand, statement: StatementType, statementLocation: string, location: string): OperandReader {
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
        `Attempted to execute evaluation of type: ${statement} in context ${statementLocation}, but encountered error: ` +
          `Encountered undefined symbol \`${name}\` (defined: ${known.length ? known.join(", ") : "none"})`,
        { context: evaluationContext(statementLocation) },
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
  const comparator = lookUpOperator(BINARY_COMPARATORS, type, "comparator", location);
  const left = compileOperand(statement.left_operand, "BinaryStatement", location, `${location}.left_operand`);
  const right = compileOperand(statement.right_operand, "BinaryStatement", location, `${location}.right_operand`);
  const negate = statement.negate ?? false;
  return (values) => {
    const a = left(values);
    const b = right(values);
    let result: boolean;
    try {
      result = comparator(a, b);
    } catch (error) {
      throw asEvaluationError(error, "BinaryStatement", location, `comparator "${type}" on ${describeValue(a)} and ${describeValue(b)}`);
    }
    return negate ? !result : result;
  };
}

function compileUnary(statement: UnaryStatement, location: string): CompiledCondition {
  const type = statement.operator.type;
  const operator = lookUpOperator(UNARY_OPERATORS, type, "unary operator", location);
  const operand = compileOperand(statement.operand, "UnaryStatement", location, `${location}.operand`);
  const negate = statement.negate ?? false;
  return (values) => {
    const a = operand(values);
    let result: boolean;
    try {
      result = operator(a);
    } catch (error) {
      throw asEvaluationError(error, "UnaryStatement", location, `operator "${type}" on ${describeValue(a)}`);
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

provideConditionCompiler(compileCondition);
