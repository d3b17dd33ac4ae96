import { describe, expect, it } from "vitest";
import { z } from "zod";
import { WorkflowSyntaxError } from "../../src/errors/index.js";
import {
  BINARY_COMPARATOR_TYPES,
  describeQueryLanguage,
  OPERATION_TYPES,
  OperationSchema,
  OperationsChainSchema,
  parseOperations,
  parseStatementGroup,
  StatementGroupSchema,
  UNARY_OPERATOR_TYPES,
} from "../../src/query/index.js";

function syntaxError(action: () => unknown): WorkflowSyntaxError {
  try {
    action();
  } catch (error) {
    if (error instanceof WorkflowSyntaxError) return error;
    throw error;
  }
  throw new Error("expected a WorkflowSyntaxError");
}

describe("operation schemas", () => {
  it("fill upstream's defaults", () => {
    expect(
      parseOperations([
        { type: "StringSubSequence" },
        { type: "RandomNumber" },
        { type: "NumericSequenceAggregate", function: "min" },
        { type: "SequenceJoin" },
        { type: "ConvertImageToJPEG" },
        { type: "SortDetections", mode: "confidence" },
        { type: "DetectionsRename", class_map: "mapping_parameter" },
      ]),
    ).toEqual([
      { type: "StringSubSequence", start: 0, end: -1 },
      { type: "RandomNumber", min_value: 0, max_value: 1 },
      { type: "NumericSequenceAggregate", function: "min", neutral_value: null },
      { type: "SequenceJoin", separator: ", " },
      { type: "ConvertImageToJPEG", compression_level: 95 },
      { type: "SortDetections", mode: "confidence", ascending: true },
      { type: "DetectionsRename", class_map: "mapping_parameter", strict: true, new_classes_id_offset: 1024 },
    ]);
  });

  it("cover every operation type of upstream's query language", () => {
    expect([...OPERATION_TYPES].sort()).toEqual(
      [
        "ClassificationPropertyExtract",
        "ConvertDictionaryToJSON",
        "ConvertImageToBase64",
        "ConvertImageToJPEG",
        "DetectionsFilter",
        "DetectionsOffset",
        "DetectionsPropertyExtract",
        "DetectionsRename",
        "DetectionsSelection",
        "DetectionsShift",
        "DetectionsToDictionary",
        "Divide",
        "ExtractDetectionProperty",
        "ExtractFrameMetadata",
        "ExtractImageProperty",
        "LookupTable",
        "Multiply",
        "NumberRound",
        "NumericSequenceAggregate",
        "PickDetectionsByParentClass",
        "RandomNumber",
        "SequenceAggregate",
        "SequenceApply",
        "SequenceElementsCount",
        "SequenceJoin",
        "SequenceLength",
        "SequenceMap",
        "SortDetections",
        "StringMatches",
        "StringSubSequence",
        "StringToLowerCase",
        "StringToUpperCase",
        "TimestampToISOFormat",
        "ToBoolean",
        "ToNumber",
        "ToString",
      ].sort(),
    );
  });

  it("reject an unknown operation type, naming it and listing the valid ones", () => {
    const error = syntaxError(() => parseOperations([{ type: "ToString" }, { type: "StringReverse" }]));
    expect(error.message).toContain(
      'operations[1].type: unknown operation type "StringReverse"; valid types: ClassificationPropertyExtract, ConvertDictionaryToJSON,',
    );
    for (const type of OPERATION_TYPES) expect(error.message).toContain(type);
  });

  it("reject an unknown type inside a nested chain, with its path", () => {
    const error = syntaxError(() => parseOperations([{ type: "SequenceApply", operations: [{ type: "Nope" }] }], "data_operations.labels"));
    expect(error.message).toContain('data_operations.labels[0].operations[0].type: unknown operation type "Nope"');
  });

  it("say what is missing: the type, or a required parameter", () => {
    expect(syntaxError(() => parseOperations([{ cast_to: "int" }])).message).toContain('operations[0].type: operation has no "type"');
    expect(syntaxError(() => parseOperations(["ToString"])).message).toContain('operations[0]: expected operation object with a "type", got "ToString"');
    expect(syntaxError(() => parseOperations([{ type: "ToNumber" }])).message).toContain("operations[0].cast_to");
    expect(syntaxError(() => parseOperations([{ type: "ConvertImageToJPEG", compression_level: 101 }])).message).toContain("compression_level");
    expect(syntaxError(() => parseOperations([{ type: "NumberRound", decimal_digits: 1.5 }])).message).toContain("decimal_digits");
  });

  it("ignore extra keys, as pydantic does", () => {
    expect(OperationSchema.parse({ type: "ToString", note: "x" })).toEqual({ type: "ToString" });
  });
});

describe("condition schemas", () => {
  it("fill defaults: operator or, negate false, operand name _, empty operations", () => {
    const parsed = parseStatementGroup({
      type: "StatementGroup",
      statements: [
        { type: "UnaryStatement", operand: { type: "DynamicOperand" }, operator: { type: "Exists" } },
        {
          type: "BinaryStatement",
          left_operand: { type: "StaticOperand", value: 1 },
          comparator: { type: "==" },
          right_operand: { type: "StaticOperand", value: 1 },
        },
      ],
    });
    expect(parsed).toEqual({
      type: "StatementGroup",
      operator: "or",
      statements: [
        { type: "UnaryStatement", operand: { type: "DynamicOperand", operand_name: "_", operations: [] }, operator: { type: "Exists" }, negate: false },
        {
          type: "BinaryStatement",
          left_operand: { type: "StaticOperand", value: 1, operations: [] },
          comparator: { type: "==" },
          right_operand: { type: "StaticOperand", value: 1, operations: [] },
          negate: false,
        },
      ],
    });
  });

  it("accept every comparator and unary operator of upstream's query language", () => {
    expect([...BINARY_COMPARATOR_TYPES].sort()).toEqual(
      [
        "==",
        "(Number) ==",
        "!=",
        "(Number) !=",
        "(Number) >",
        "(Number) >=",
        "(Number) <",
        "(Number) <=",
        "(Number) in range",
        "(String) startsWith",
        "(String) endsWith",
        "(String) contains",
        "in (Sequence)",
        "any in (Sequence)",
        "all in (Sequence)",
        "(Detection) in zone",
      ].sort(),
    );
    expect([...UNARY_OPERATOR_TYPES].sort()).toEqual(
      ["Exists", "DoesNotExist", "(Boolean) is True", "(Boolean) is False", "(Sequence) is empty", "(Sequence) is not empty"].sort(),
    );
  });

  it("reject unknown comparators, operators, statements and operands by name", () => {
    const statement = (overrides: object) => ({
      type: "StatementGroup",
      statements: [
        {
          type: "BinaryStatement",
          left_operand: { type: "StaticOperand", value: 1 },
          comparator: { type: "==" },
          right_operand: { type: "StaticOperand", value: 1 },
          ...overrides,
        },
      ],
    });
    expect(syntaxError(() => parseStatementGroup(statement({ comparator: { type: "===" } }))).message).toContain(
      'condition.statements[0].comparator.type: unknown comparator type "==="',
    );
    expect(syntaxError(() => parseStatementGroup(statement({ left_operand: { type: "ConstOperand", value: 1 } }))).message).toContain(
      'unknown operand type "ConstOperand"; valid types: DynamicOperand, StaticOperand',
    );
    expect(syntaxError(() => parseStatementGroup(statement({ type: "TernaryStatement" }))).message).toContain('unknown statement type "TernaryStatement"');
    const unary = { type: "StatementGroup", statements: [{ type: "UnaryStatement", operand: { type: "DynamicOperand" }, operator: { type: "IsNone" } }] };
    expect(syntaxError(() => parseStatementGroup(unary)).message).toContain('unknown unary operator type "IsNone"');
  });

  it("require a value on a static operand and at least one statement", () => {
    expect(syntaxError(() => parseStatementGroup({ type: "StatementGroup", statements: [] })).message).toContain("condition.statements");
    const noValue = { type: "StatementGroup", statements: [{ type: "UnaryStatement", operand: { type: "StaticOperand" }, operator: { type: "Exists" } }] };
    expect(syntaxError(() => parseStatementGroup(noValue)).message).toContain("condition.statements[0].operand.value");
  });
});

describe("JSON Schema", () => {
  it("is generated for the recursive schemas, with defaults and describe metadata", () => {
    const chain = z.toJSONSchema(OperationsChainSchema, { io: "input" });
    const text = JSON.stringify(chain);
    expect(text).toContain('"input_kind":["string"]');
    expect(text).toContain('"const":"SequenceApply"');
    expect(text).toContain('"default":-1');
    const group = z.toJSONSchema(StatementGroupSchema, { io: "input" }) as { properties: Record<string, unknown>; required: string[] };
    expect(group.required).toEqual(["type", "statements"]);
    expect(JSON.stringify(group)).toContain('"enum":["(Number) ==","=="]');
  });
});

describe("describeQueryLanguage", () => {
  it("lists each operation with kinds, and each operator alias with its operands' kinds", () => {
    const { operations_description, operators_descriptions } = describeQueryLanguage();
    expect(operations_description.map((operation) => operation.operation_type)).toEqual([...OPERATION_TYPES]);
    const apply = operations_description.find((operation) => operation.operation_type === "SequenceApply");
    expect(apply).toMatchObject({ compound: true, input_kind: [{ name: "list_of_values" }], nested_operation_input_kind: [{ name: "*" }] });
    const lower = operations_description.find((operation) => operation.operation_type === "StringToLowerCase");
    expect(lower).toMatchObject({ compound: false, nested_operation_input_kind: null, description: "Executes lowercase operation on input string" });
    expect(lower?.input_kind[0]).toMatchObject({ name: "string", description: "String value", serialised_data_type: "str" });
    expect(operators_descriptions.map((operator) => operator.operator_type).sort()).toEqual([...BINARY_COMPARATOR_TYPES, ...UNARY_OPERATOR_TYPES].sort());
    const equals = operators_descriptions.filter((operator) => operator.description === "Checks if two values given are equal");
    expect(equals.map((operator) => operator.operator_type)).toEqual(["(Number) ==", "=="]);
    expect(operators_descriptions.find((operator) => operator.operator_type === "Exists")).toMatchObject({
      operands_number: 1,
      operands_kinds: [[{ name: "*" }]],
    });
  });
});
