import { describe, expect, it } from "vitest";
import { EvaluationEngineError, InvalidInputTypeError, UndeclaredSymbolError, WorkflowError } from "../../src/errors/index.js";
import {
  compileCondition,
  evaluateCondition,
  parseStatementGroup,
  type OperationInput,
  type QueryValues,
  type StatementGroup,
  type StatementGroupInput,
} from "../../src/query/index.js";

type StatementInput = StatementGroupInput["statements"][number];

const dynamic = (operand_name: string, operations: OperationInput[] = []) => ({ type: "DynamicOperand" as const, operand_name, operations });
const literal = (value: unknown, operations: OperationInput[] = []) => ({ type: "StaticOperand" as const, value, operations });

function binary(left: unknown, comparator: string, right: unknown, negate = false): StatementInput {
  return { type: "BinaryStatement", left_operand: literal(left), comparator: { type: comparator }, right_operand: literal(right), negate } as StatementInput;
}

function unary(value: unknown, operator: string, negate = false): StatementInput {
  return { type: "UnaryStatement", operand: literal(value), operator: { type: operator }, negate } as StatementInput;
}

function group(statements: StatementInput[], operator: "and" | "or" = "or"): StatementGroupInput {
  return { type: "StatementGroup", statements, operator };
}

const holds = (statement: StatementInput, values: QueryValues = {}) => evaluateCondition(group([statement]), values);

function failure(definition: StatementGroupInput, values: QueryValues = {}): WorkflowError {
  try {
    compileCondition(parseStatementGroup(definition))(values);
  } catch (error) {
    if (error instanceof WorkflowError) return error;
    throw error;
  }
  throw new Error("expected the condition to fail");
}

describe("binary comparators", () => {
  it("== and (Number) == are Python equality: 1 == 1.0, True == 1", () => {
    for (const comparator of ["==", "(Number) =="]) {
      expect(holds(binary(1, comparator, 1.0))).toBe(true);
      expect(holds(binary(true, comparator, 1))).toBe(true);
      expect(holds(binary(false, comparator, 0))).toBe(true);
      expect(holds(binary("1", comparator, 1))).toBe(false);
      expect(holds(binary([1, "a"], comparator, [1, "a"]))).toBe(true);
      expect(holds(binary({ a: [1] }, comparator, { a: [true] }))).toBe(true);
      expect(holds(binary(null, comparator, null))).toBe(true);
    }
  });

  it("!= and (Number) != are the negation", () => {
    for (const comparator of ["!=", "(Number) !="]) {
      expect(holds(binary(1, comparator, 2))).toBe(true);
      expect(holds(binary(true, comparator, 1))).toBe(false);
    }
  });

  it("(Number) >, >=, <, <= order numbers (and bools)", () => {
    expect(holds(binary(2, "(Number) >", 1))).toBe(true);
    expect(holds(binary(1, "(Number) >", 1))).toBe(false);
    expect(holds(binary(1, "(Number) >=", 1.0))).toBe(true);
    expect(holds(binary(0.5, "(Number) <", true))).toBe(true);
    expect(holds(binary(2, "(Number) <=", 1))).toBe(false);
  });

  it("(Number) > on a str and an int is an EvaluationEngineError in upstream's words, naming the comparator and the types", () => {
    const error = failure(group([binary("a", "(Number) >", 1)]));
    expect(error).toBeInstanceOf(EvaluationEngineError);
    expect(error.message).toBe(
      `Attempted to execute evaluation of type: BinaryStatement in context <root>.statements[0], but encountered error: '>' not supported between instances of 'str' and 'int' (comparator "(Number) >" on a value of type str ('a') and a value of type int (1))`,
    );
    expect(error.context).toBe("step_execution | roboflow_query_language_evaluation | <root>.statements[0]");
    expect(error.toBody().inner_error_type).toBe("TypeError");
    expect(failure(group([binary(null, "(Number) <=", 1)]))).toBeInstanceOf(EvaluationEngineError);
  });

  it("(Number) > on two strings compares them, as Python does", () => {
    expect(holds(binary("b", "(Number) >", "a"))).toBe(true);
  });

  it("(Number) in range is b[0] <= a <= b[1], both ends inclusive", () => {
    expect(holds(binary(5, "(Number) in range", [1, 5]))).toBe(true);
    expect(holds(binary(1, "(Number) in range", [1, 5]))).toBe(true);
    expect(holds(binary(5.01, "(Number) in range", [1, 5]))).toBe(false);
    expect(holds(binary(0, "(Number) in range", [1]))).toBe(false); // the upper bound is never read
    expect(failure(group([binary(3, "(Number) in range", [1])]))).toBeInstanceOf(EvaluationEngineError);
    expect(failure(group([binary(3, "(Number) in range", 7)])).message).toContain("'int' object is not subscriptable");
  });

  it("(String) startsWith / endsWith / contains (contains is `b in a`)", () => {
    expect(holds(binary("license_plate", "(String) startsWith", "license"))).toBe(true);
    expect(holds(binary("license_plate", "(String) endsWith", "plate"))).toBe(true);
    expect(holds(binary("license_plate", "(String) endsWith", "license"))).toBe(false);
    expect(holds(binary("license_plate", "(String) contains", "se_pl"))).toBe(true);
    expect(holds(binary("abc", "(String) contains", "x"))).toBe(false);
    expect(failure(group([binary(12, "(String) startsWith", "1")])).message).toContain("'int' object has no attribute 'startswith'");
    expect(failure(group([binary("12", "(String) endsWith", 2)])).message).toContain("endswith first arg must be str or a tuple of str, not int");
    expect(failure(group([binary("abc", "(String) contains", 1)])).message).toContain("'in <string>' requires string as left operand, not int");
  });

  it("in (Sequence) is `a in b` over lists, dicts and strings", () => {
    expect(holds(binary("dog", "in (Sequence)", ["cat", "dog"]))).toBe(true);
    expect(holds(binary(1, "in (Sequence)", [true]))).toBe(true);
    expect(holds(binary("k", "in (Sequence)", { k: 0 }))).toBe(true);
    expect(holds(binary("og", "in (Sequence)", "dog"))).toBe(true);
    expect(holds(binary("x", "in (Sequence)", []))).toBe(false);
    expect(failure(group([binary("x", "in (Sequence)", null)])).message).toContain("argument of type 'NoneType' is not iterable");
  });

  it("any in / all in (Sequence)", () => {
    expect(holds(binary(["a", "z"], "any in (Sequence)", ["a", "b"]))).toBe(true);
    expect(holds(binary(["y", "z"], "any in (Sequence)", ["a", "b"]))).toBe(false);
    expect(holds(binary([], "any in (Sequence)", ["a"]))).toBe(false);
    expect(holds(binary(["a", "b"], "all in (Sequence)", ["a", "b", "c"]))).toBe(true);
    expect(holds(binary(["a", "z"], "all in (Sequence)", ["a", "b"]))).toBe(false);
    expect(holds(binary([], "all in (Sequence)", []))).toBe(true);
  });

  it("(Detection) in zone parses; running it says sightline has no zones", () => {
    const error = failure(group([binary([0, 0], "(Detection) in zone", [[0, 0]])]));
    expect(error).toBeInstanceOf(EvaluationEngineError);
    expect(error.message).toContain("'(Detection) in zone' needs a zone polygon; sightline has no zone blocks");
  });

  it("negate inverts the statement", () => {
    expect(holds(binary(1, "==", 1, true))).toBe(false);
    expect(holds(unary(null, "Exists", true))).toBe(true);
  });
});

describe("unary operators", () => {
  it("Exists / DoesNotExist test for None", () => {
    expect(holds(unary(0, "Exists"))).toBe(true);
    expect(holds(unary(null, "Exists"))).toBe(false);
    expect(holds(unary(null, "DoesNotExist"))).toBe(true);
    expect(holds(unary(false, "DoesNotExist"))).toBe(false);
  });

  it("(Boolean) is True / is False are identity checks: 1 is not True", () => {
    expect(holds(unary(true, "(Boolean) is True"))).toBe(true);
    expect(holds(unary(1, "(Boolean) is True"))).toBe(false);
    expect(holds(unary("True", "(Boolean) is True"))).toBe(false);
    expect(holds(unary(false, "(Boolean) is False"))).toBe(true);
    expect(holds(unary(0, "(Boolean) is False"))).toBe(false);
    expect(holds(unary(null, "(Boolean) is False"))).toBe(false);
    // …while == treats bools as ints.
    expect(holds(binary(1, "==", true))).toBe(true);
  });

  it("(Sequence) is empty / is not empty use len()", () => {
    expect(holds(unary([], "(Sequence) is empty"))).toBe(true);
    expect(holds(unary({}, "(Sequence) is empty"))).toBe(true);
    expect(holds(unary("", "(Sequence) is empty"))).toBe(true);
    expect(holds(unary([0], "(Sequence) is not empty"))).toBe(true);
    const error = failure(group([unary(null, "(Sequence) is empty")]));
    expect(error).toBeInstanceOf(EvaluationEngineError);
    expect(error.message).toBe(
      `Attempted to execute evaluation of type: UnaryStatement in context <root>.statements[0], but encountered error: object of type 'NoneType' has no len() (operator "(Sequence) is empty" on a value of type NoneType (None))`,
    );
  });
});

describe("operands", () => {
  it("a dynamic operand reads values[operand_name], default name `_`", () => {
    const definition = group([{ type: "UnaryStatement", operand: { type: "DynamicOperand" }, operator: { type: "(Boolean) is True" } }]);
    expect(evaluateCondition(definition, { _: true })).toBe(true);
    expect(evaluateCondition(definition, { _: 1 })).toBe(false);
  });

  it("a missing operand is an UndeclaredSymbolError naming the symbol and the known ones", () => {
    const definition = group([{ type: "BinaryStatement", left_operand: dynamic("missing"), comparator: { type: "==" }, right_operand: literal(1) }]);
    const error = failure(definition, { present: 1 });
    expect(error).toBeInstanceOf(UndeclaredSymbolError);
    expect(error.message).toBe(
      "Attempted to execute evaluation of type: BinaryStatement in context <root>.statements[0], but encountered error: Encountered undefined symbol `missing` (defined: present)",
    );
  });

  it("a value that is present but None is not undeclared", () => {
    expect(evaluateCondition(group([{ type: "UnaryStatement", operand: dynamic("x"), operator: { type: "DoesNotExist" } }]), { x: null })).toBe(true);
  });

  it("inherited object properties are not operands", () => {
    expect(failure(group([{ type: "UnaryStatement", operand: dynamic("toString"), operator: { type: "Exists" } }]), {})).toBeInstanceOf(UndeclaredSymbolError);
  });

  it("operand chains run on the value, with the values as globals, and errors keep their place", () => {
    const definition = group([
      {
        type: "BinaryStatement",
        left_operand: dynamic("label", [{ type: "StringToLowerCase" }, { type: "StringSubSequence", end: 3 }]),
        comparator: { type: "==" },
        right_operand: literal(["c", "a", "r"], [{ type: "SequenceJoin", separator: "" }]),
      },
    ]);
    expect(evaluateCondition(definition, { label: "CARS" })).toBe(true);
    const error = failure(definition, { label: 7 });
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toContain("Operation StringToLowerCase at <root>.statements[0].left_operand.operations[0]");
  });
});

describe("statement groups", () => {
  it("folds with or (the default) and with and", () => {
    const statements = [binary(1, "==", 2), binary(1, "==", 1)];
    expect(evaluateCondition({ type: "StatementGroup", statements }, {})).toBe(true);
    expect(evaluateCondition(group(statements, "and"), {})).toBe(false);
    expect(evaluateCondition(group([binary(1, "==", 1), binary(2, "==", 2)], "and"), {})).toBe(true);
  });

  it("nests groups", () => {
    const inner = group([binary(1, "==", 2), binary(3, "==", 3)], "or");
    expect(evaluateCondition(group([inner, binary("a", "==", "a")], "and"), {})).toBe(true);
    expect(evaluateCondition(group([inner, binary("a", "==", "b")], "and"), {})).toBe(false);
  });

  it("evaluates every statement: no short-circuit, so a later error still surfaces", () => {
    const orDecided = group([binary(1, "==", 1), binary("a", "(Number) >", 1)], "or");
    expect(failure(orDecided)).toBeInstanceOf(EvaluationEngineError);
    const andDecided = group([binary(1, "==", 2), unary(null, "(Sequence) is empty")], "and");
    expect(failure(andDecided).message).toContain("<root>.statements[1]");
  });

  it("an empty group is rejected when parsed and fails when evaluated unparsed", () => {
    expect(() => parseStatementGroup({ type: "StatementGroup", statements: [] })).toThrow(/condition\.statements: Too small/);
    const unparsed = { type: "StatementGroup", statements: [], operator: "or" } as StatementGroup;
    expect(() => compileCondition(unparsed)({})).toThrow(EvaluationEngineError);
    expect(() => compileCondition(unparsed)({})).toThrow("empty statements list provided");
  });

  it("compiles once and evaluates many times against different values", () => {
    const condition = compileCondition(
      parseStatementGroup(group([{ type: "BinaryStatement", left_operand: dynamic("n"), comparator: { type: "(Number) >=" }, right_operand: literal(10) }])),
    );
    expect([5, 10, 15].map((n) => condition({ n }))).toEqual([false, true, true]);
  });

  it("refuses unknown comparators that bypassed validation, at compile time", () => {
    const unparsed = {
      type: "StatementGroup",
      operator: "or",
      statements: [{ ...(binary(1, "==", 1) as object), comparator: { type: "~=" } }],
    } as unknown as StatementGroup;
    expect(() => compileCondition(unparsed)).toThrow(EvaluationEngineError);
  });
});
