/**
 * The query language's definitions as zod schemas (docs/reference/workflows.md#query-language):
 * operations, comparators and unary operators, operands, statements and statement groups. They are
 * the single source of the TypeScript types, of validation (defaults filled in as upstream's
 * pydantic models do) and of the JSON Schema; each operation / operator carries the metadata
 * `/workflows/blocks/describe` reports (description, kinds), as upstream's `json_schema_extra`
 * does.
 *
 * Schemas refer to each other recursively (a `SequenceApply` holds operations, a
 * `DetectionsFilter` a statement group, an operand an operation chain) through getters, which
 * zod resolves lazily.
 */
import { z } from "zod";

export type OperationMetadata = {
  description: string;
  /** Operations that hold a nested chain or condition. */
  compound?: boolean;
  input_kind: readonly string[];
  output_kind: readonly string[];
  nested_operation_input_kind?: readonly string[];
  nested_operation_output_kind?: readonly string[];
  /** The names `property_name` takes, where the schema does not list them itself (an enum does). */
  property_name_options?: readonly string[];
};

export type OperatorMetadata = {
  description: string;
  operands_number: 1 | 2;
  operands_kinds: readonly (readonly string[])[];
};

const DETECTIONS = ["object_detection_prediction", "instance_segmentation_prediction", "keypoint_detection_prediction"] as const;
const NUMBERS = ["integer", "float", "float_zero_to_one"] as const;

/** Type-checks an operation's describe metadata. */
function operationMeta(meta: OperationMetadata): OperationMetadata {
  return meta;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Error map for a `type`-discriminated union: name the bad type and list the valid ones. */
function unknownTypeMessage(what: string, validTypes: () => readonly string[]) {
  return (issue: { code?: string; input?: unknown }): string | undefined => {
    if (issue.code !== "invalid_union" && issue.code !== "invalid_type") return undefined;
    const valid = [...validTypes()].sort().join(", ");
    const input = issue.input;
    if (!isObject(input)) return `expected ${what} object with a "type", got ${JSON.stringify(input)}; valid types: ${valid}`;
    if (!("type" in input)) return `${what} has no "type"; valid types: ${valid}`;
    return `unknown ${what} type ${JSON.stringify(input.type)}; valid types: ${valid}`;
  };
}

const int = () => z.number().int();

// ---- operations: strings and generic ------------------------------------------------------

export const StringToLowerCaseSchema = z
  .object({ type: z.literal("StringToLowerCase") })
  .meta(operationMeta({ description: "Executes lowercase operation on input string", input_kind: ["string"], output_kind: ["string"] }));

export const StringToUpperCaseSchema = z
  .object({ type: z.literal("StringToUpperCase") })
  .meta(operationMeta({ description: "Executes uppercase operation on input string", input_kind: ["string"], output_kind: ["string"] }));

export const ToStringSchema = z
  .object({ type: z.literal("ToString") })
  .meta(operationMeta({ description: "Stringifies data (Python str())", input_kind: ["*"], output_kind: ["string"] }));

export const ToBooleanSchema = z.object({ type: z.literal("ToBoolean") }).meta(
  operationMeta({
    description: "Changes input data into boolean (Python bool())",
    input_kind: ["float", "float_zero_to_one", "integer"],
    output_kind: ["boolean"],
  }),
);

export const StringSubSequenceSchema = z
  .object({ type: z.literal("StringSubSequence"), start: int().default(0), end: int().default(-1) })
  .meta(
    operationMeta({ description: "Takes sub-string of the input string (Python slice value[start:end])", input_kind: ["string"], output_kind: ["string"] }),
  );

export const StringMatchesSchema = z
  .object({ type: z.literal("StringMatches"), regex: z.string() })
  .meta(operationMeta({ description: "Checks if string matches regex (Python re.search)", input_kind: ["string"], output_kind: ["boolean"] }));

export const LookupTableSchema = z
  .object({ type: z.literal("LookupTable"), lookup_table: z.record(z.string(), z.unknown()) })
  .meta(operationMeta({ description: "Changes value according to mapping stated in lookup table", input_kind: ["*"], output_kind: ["*"] }));

export const RandomNumberSchema = z.object({ type: z.literal("RandomNumber"), min_value: z.number().default(0), max_value: z.number().default(1) }).meta(
  operationMeta({
    description:
      "Special operation to let random sampling - ignoring input data and changing it into random floating point value. To be used mainly to sample predictions or images.",
    input_kind: [...DETECTIONS, "*"],
    output_kind: ["float", "float_zero_to_one"],
  }),
);

// ---- numbers ------------------------------------------------------------------------------

export const ToNumberSchema = z.object({ type: z.literal("ToNumber"), cast_to: z.enum(["int", "float"]) }).meta(
  operationMeta({
    description: "Changes value into number - float or int depending on configuration",
    input_kind: ["string", "boolean", ...NUMBERS],
    output_kind: NUMBERS,
  }),
);

export const NumberRoundSchema = z
  .object({ type: z.literal("NumberRound"), decimal_digits: int() })
  .meta(operationMeta({ description: "Rounds the number (Python round(), half to even)", input_kind: NUMBERS, output_kind: NUMBERS }));

export const MultiplySchema = z
  .object({ type: z.literal("Multiply"), other: z.number() })
  .meta(operationMeta({ description: "Multiplication", input_kind: NUMBERS, output_kind: NUMBERS }));

export const DivideSchema = z
  .object({ type: z.literal("Divide"), other: z.number() })
  .meta(operationMeta({ description: "Dividing value against other", input_kind: NUMBERS, output_kind: NUMBERS }));

// ---- sequences ----------------------------------------------------------------------------

export const SequenceMapSchema = z.object({ type: z.literal("SequenceMap"), lookup_table: z.record(z.string(), z.unknown()) }).meta(
  operationMeta({
    description: "Changes each value of sequence according to mapping stated in lookup table",
    compound: true,
    input_kind: ["list_of_values"],
    output_kind: ["list_of_values"],
    nested_operation_input_kind: ["*"],
    nested_operation_output_kind: ["*"],
  }),
);

export const SequenceApplySchema = z
  .object({
    type: z.literal("SequenceApply"),
    get operations() {
      return z.array(OperationSchema);
    },
  })
  .meta(
    operationMeta({
      description: "Operation applies chain of operations at every element of sequence",
      compound: true,
      input_kind: ["list_of_values"],
      output_kind: ["list_of_values"],
      nested_operation_input_kind: ["*"],
      nested_operation_output_kind: ["*"],
    }),
  );

export const NumericSequenceAggregateSchema = z
  .object({
    type: z.literal("NumericSequenceAggregate"),
    function: z.enum(["min", "max", "sum"]),
    neutral_value: z.unknown().default(null),
  })
  .meta(
    operationMeta({
      description: "Aggregates numeric sequence using aggregation function like min or max - adjusted to work on numbers",
      input_kind: ["list_of_values"],
      output_kind: NUMBERS,
    }),
  );

export const SequenceAggregateSchema = z.object({ type: z.literal("SequenceAggregate"), mode: z.enum(["first", "last", "most_common", "least_common"]) }).meta(
  operationMeta({
    description: "Aggregates sequence using generic aggregation methods - adjusted to majority data types",
    input_kind: ["list_of_values"],
    output_kind: ["*"],
  }),
);

export const SequenceLengthSchema = z.object({ type: z.literal("SequenceLength") }).meta(
  operationMeta({
    description: "Operation determines the length of input sequence",
    input_kind: [...DETECTIONS, "list_of_values", "dictionary"],
    output_kind: ["integer"],
  }),
);

export const SequenceElementsCountSchema = z
  .object({ type: z.literal("SequenceElementsCount") })
  .meta(operationMeta({ description: "Operation counts unique elements of input sequence", input_kind: ["list_of_values"], output_kind: ["dictionary"] }));

export const SequenceJoinSchema = z.object({ type: z.literal("SequenceJoin"), separator: z.string().default(", ") }).meta(
  operationMeta({
    description: "Joins elements of a sequence (each as Python str()) into one string",
    input_kind: ["list_of_values"],
    output_kind: ["string"],
  }),
);

// ---- dictionaries, timestamps, images -------------------------------------------------------

export const ConvertDictionaryToJSONSchema = z
  .object({ type: z.literal("ConvertDictionaryToJSON") })
  .meta(operationMeta({ description: "Converts dictionary to serialized JSON", input_kind: ["dictionary"], output_kind: ["string"] }));

export const TimestampToISOFormatSchema = z
  .object({ type: z.literal("TimestampToISOFormat") })
  .meta(operationMeta({ description: "Converts timestamp into ISO 8601 string", input_kind: ["timestamp"], output_kind: ["string"] }));

export const ExtractImagePropertySchema = z
  .object({ type: z.literal("ExtractImageProperty"), property_name: z.enum(["size", "height", "width", "aspect_ratio"]) })
  .meta(operationMeta({ description: "Extracts specific property of image (like size)", input_kind: ["image"], output_kind: ["integer", "float"] }));

export const ExtractFrameMetadataSchema = z
  .object({ type: z.literal("ExtractFrameMetadata"), property_name: z.enum(["frame_number", "frame_timestamp", "seconds_since_start"]) })
  .meta(
    operationMeta({
      description: "Extracts property of the video frame the image comes from",
      input_kind: ["image"],
      output_kind: ["integer", "timestamp", "float"],
    }),
  );

export const ConvertImageToJPEGSchema = z
  .object({ type: z.literal("ConvertImageToJPEG"), compression_level: int().min(1).max(100).default(95) })
  .meta(operationMeta({ description: "Converts image to JPEG", input_kind: ["image"], output_kind: ["bytes"] }));

export const ConvertImageToBase64Schema = z
  .object({ type: z.literal("ConvertImageToBase64") })
  .meta(operationMeta({ description: "Converts image to base64-encoded JPEG", input_kind: ["image"], output_kind: ["string"] }));

// ---- classification and detections ---------------------------------------------------------

export const ClassificationPropertyExtractSchema = z
  .object({
    type: z.literal("ClassificationPropertyExtract"),
    property_name: z.enum(["top_class", "top_class_confidence", "top_class_confidence_single", "all_classes", "all_confidences"]),
  })
  .meta(
    operationMeta({
      description: "Extracts property from classification prediction",
      input_kind: ["classification_prediction"],
      output_kind: ["string", "list_of_values", "float_zero_to_one"],
    }),
  );

/** Upstream's `DetectionsProperty` values, in its order (what `/workflows/blocks/describe` offers). */
export const DETECTIONS_PROPERTIES = [
  "confidence",
  "class_name",
  "x_min",
  "x_max",
  "y_min",
  "y_max",
  "size",
  "class_id",
  "center",
  "top_left",
  "top_right",
  "bottom_left",
  "bottom_right",
  "in_out",
  "path_deviation",
  "polygon",
  "time_in_zone",
  "tracker_id",
  "velocity",
  "speed",
  "smoothed_velocity",
  "smoothed_speed",
  "image_dimensions",
  "prediction_type",
  "keypoints_xy",
  "rect",
  "width",
  "height",
  "angle",
  "area_px",
  "area_converted",
] as const;

/** The list grows with upstream's analytics blocks, so any name is accepted here. */
const detectionsProperty = () => z.string().min(1).describe(DETECTIONS_PROPERTIES.join(", "));

export const DetectionsPropertyExtractSchema = z.object({ type: z.literal("DetectionsPropertyExtract"), property_name: detectionsProperty() }).meta(
  operationMeta({
    description: "Extracts property from detections-based prediction (as a list of elements - one element represents single detection)",
    input_kind: DETECTIONS,
    output_kind: ["list_of_values"],
    property_name_options: DETECTIONS_PROPERTIES,
  }),
);

export const ExtractDetectionPropertySchema = z.object({ type: z.literal("ExtractDetectionProperty"), property_name: detectionsProperty() }).meta(
  operationMeta({
    description: "Extracts property from single detection",
    input_kind: ["detection"],
    output_kind: ["*"],
    property_name_options: DETECTIONS_PROPERTIES,
  }),
);

export const DetectionsFilterSchema = z
  .object({
    type: z.literal("DetectionsFilter"),
    get filter_operation() {
      return StatementGroupSchema;
    },
  })
  .meta(
    operationMeta({
      description:
        "Filters out unwanted elements from detections-based prediction by applying filter operation in context of every single detection within prediction",
      compound: true,
      input_kind: DETECTIONS,
      output_kind: DETECTIONS,
      nested_operation_input_kind: ["detection"],
      nested_operation_output_kind: ["boolean"],
    }),
  );

export const DetectionsSelectionSchema = z
  .object({ type: z.literal("DetectionsSelection"), mode: z.enum(["left_most", "right_most", "top_confidence", "first", "last"]) })
  .meta(operationMeta({ description: "Selects bounding boxes based on predefined criterias", input_kind: DETECTIONS, output_kind: DETECTIONS }));

export const SortDetectionsSchema = z
  .object({
    type: z.literal("SortDetections"),
    mode: z.enum(["confidence", "x_min", "x_max", "y_min", "y_max", "size", "center_x", "center_y"]),
    ascending: z.boolean().default(true),
  })
  .meta(operationMeta({ description: "Changes the order of detected bounding boxes.", input_kind: DETECTIONS, output_kind: DETECTIONS }));

export const DetectionsOffsetSchema = z
  .object({ type: z.literal("DetectionsOffset"), offset_x: int(), offset_y: int() })
  .meta(operationMeta({ description: "Makes detected bounding boxes bigger by applying offset to its size", input_kind: DETECTIONS, output_kind: DETECTIONS }));

export const DetectionsShiftSchema = z
  .object({ type: z.literal("DetectionsShift"), shift_x: int(), shift_y: int() })
  .meta(operationMeta({ description: "Shifting detected bounding boxes in assigned direction", input_kind: DETECTIONS, output_kind: DETECTIONS }));

export const DetectionsRenameSchema = z
  .object({
    type: z.literal("DetectionsRename"),
    class_map: z
      .union([z.record(z.string(), z.string()), z.string()])
      .describe("Dictionary with classes replacement mapping or name of parameter delivering the mapping"),
    strict: z.union([z.boolean(), z.string()]).default(true),
    new_classes_id_offset: int().default(1024),
  })
  .meta(operationMeta({ description: "Renames classes in detections based on provided mapping", input_kind: DETECTIONS, output_kind: DETECTIONS }));

export const DetectionsToDictionarySchema = z
  .object({ type: z.literal("DetectionsToDictionary") })
  .meta(operationMeta({ description: "Converts detections into `inference` response format dictionary", input_kind: DETECTIONS, output_kind: ["dictionary"] }));

export const PickDetectionsByParentClassSchema = z
  .object({ type: z.literal("PickDetectionsByParentClass"), parent_class: z.string().describe("Class of parent detections") })
  .meta(
    operationMeta({
      description: "Picks only those detections which are located inside parent detections of specific class",
      input_kind: DETECTIONS,
      output_kind: DETECTIONS,
    }),
  );

// ---- the operation union ----------------------------------------------------------------------

/** One schema per operation, in upstream's union order. */
export const OPERATION_SCHEMAS = [
  StringToLowerCaseSchema,
  StringToUpperCaseSchema,
  LookupTableSchema,
  ToNumberSchema,
  NumberRoundSchema,
  SequenceMapSchema,
  SequenceApplySchema,
  NumericSequenceAggregateSchema,
  ToStringSchema,
  ToBooleanSchema,
  StringSubSequenceSchema,
  DetectionsPropertyExtractSchema,
  SequenceAggregateSchema,
  ExtractDetectionPropertySchema,
  DetectionsFilterSchema,
  DetectionsOffsetSchema,
  DetectionsShiftSchema,
  DetectionsRenameSchema,
  RandomNumberSchema,
  StringMatchesSchema,
  ExtractImagePropertySchema,
  SequenceLengthSchema,
  SequenceElementsCountSchema,
  SequenceJoinSchema,
  MultiplySchema,
  DivideSchema,
  DetectionsSelectionSchema,
  SortDetectionsSchema,
  ClassificationPropertyExtractSchema,
  ConvertImageToJPEGSchema,
  ConvertImageToBase64Schema,
  DetectionsToDictionarySchema,
  ConvertDictionaryToJSONSchema,
  PickDetectionsByParentClassSchema,
  TimestampToISOFormatSchema,
  ExtractFrameMetadataSchema,
] as const;

export const OperationSchema = z.discriminatedUnion("type", OPERATION_SCHEMAS, {
  error: unknownTypeMessage("operation", () => OPERATION_TYPES),
});

/** A chain of operations, applied left to right. */
export const OperationsChainSchema = z.array(OperationSchema);

// ---- operands -----------------------------------------------------------------------------------

export const StaticOperandSchema = z.object({
  type: z.literal("StaticOperand"),
  value: z.unknown(),
  operations: OperationsChainSchema.default(() => []),
});

export const DynamicOperandSchema = z.object({
  type: z.literal("DynamicOperand"),
  operations: OperationsChainSchema.default(() => []),
  operand_name: z.string().default("_"),
});

export const OperandSchema = z.discriminatedUnion("type", [StaticOperandSchema, DynamicOperandSchema], {
  error: unknownTypeMessage("operand", () => ["StaticOperand", "DynamicOperand"]),
});

// ---- comparators and unary operators ----------------------------------------------------------

const EQUALITY_KINDS = ["integer", "string", "float", "float_zero_to_one", "boolean", "list_of_values"] as const;

function binary<const T extends readonly [string, ...string[]]>(types: T, description: string, operandsKinds: readonly (readonly string[])[]) {
  return z.object({ type: z.literal(types) }).meta({ description, operands_number: 2, operands_kinds: operandsKinds } satisfies OperatorMetadata);
}

function unary<const T extends string>(type: T, description: string, kinds: readonly string[]) {
  return z.object({ type: z.literal(type) }).meta({ description, operands_number: 1, operands_kinds: [kinds] } satisfies OperatorMetadata);
}

export const BINARY_COMPARATOR_SCHEMAS = [
  binary(["in (Sequence)"], "Checks if first value is element of second value (usually list or dictionary)", [
    ["string", "integer", "float", "float_zero_to_one"],
    ["list_of_values", "dictionary"],
  ]),
  binary(["all in (Sequence)"], "Checks if all elements of first value are elements of second value (usually list)", [["list_of_values"], ["list_of_values"]]),
  binary(["any in (Sequence)"], "Checks if any element of first value is element of second value (usually list)", [["list_of_values"], ["list_of_values"]]),
  binary(["(String) contains"], "Checks if string given as first value contains string provided as second value", [["string"], ["string"]]),
  binary(["(String) endsWith"], "Checks if string given as first value ends with string provided as second value", [["string"], ["string"]]),
  binary(["(String) startsWith"], "Checks if string given as first value starts with string provided as second value", [["string"], ["string"]]),
  binary(["(Number) <="], "Checks if first value (number) is lower or equal than the second value (number)", [NUMBERS, NUMBERS]),
  binary(["(Number) <"], "Checks if first value (number) is lower than the second value (number)", [NUMBERS, NUMBERS]),
  binary(["(Number) >="], "Checks if first value (number) is greater or equal than the second value (number)", [NUMBERS, NUMBERS]),
  binary(["(Number) >"], "Checks if first value (number) is greater than the second value (number)", [NUMBERS, NUMBERS]),
  binary(["(Number) in range"], "Checks if first value (number) lies in the range [min, max] given by second value (both ends inclusive)", [
    NUMBERS,
    ["list_of_values"],
  ]),
  binary(["(Number) !=", "!="], "Checks if two values given are not equal", [EQUALITY_KINDS, EQUALITY_KINDS]),
  binary(["(Number) ==", "=="], "Checks if two values given are equal", [EQUALITY_KINDS, EQUALITY_KINDS]),
  binary(["(Detection) in zone"], "Checks if detection is in zone", [["detection"], ["zone"]]),
] as const;

export const UNARY_OPERATOR_SCHEMAS = [
  unary("Exists", "Checks if value is given (not `None`)", ["*"]),
  unary("DoesNotExist", "Checks if value is not given (`None`)", ["*"]),
  unary("(Boolean) is True", "Checks if value is `True`", ["boolean"]),
  unary("(Boolean) is False", "Checks if value is `False`", ["boolean"]),
  unary("(Sequence) is empty", "Checks if sequence is empty", ["list_of_values", "dictionary", ...DETECTIONS]),
  unary("(Sequence) is not empty", "Checks if sequence is not empty", ["list_of_values", "dictionary", ...DETECTIONS]),
] as const;

export const BINARY_COMPARATOR_TYPES = BINARY_COMPARATOR_SCHEMAS.flatMap((schema) => [...schema.shape.type.values]);
export const UNARY_OPERATOR_TYPES = UNARY_OPERATOR_SCHEMAS.map((schema) => schema.shape.type.value);

export const BinaryComparatorSchema = z.discriminatedUnion("type", BINARY_COMPARATOR_SCHEMAS, {
  error: unknownTypeMessage("comparator", () => BINARY_COMPARATOR_TYPES),
});

export const UnaryOperatorSchema = z.discriminatedUnion("type", UNARY_OPERATOR_SCHEMAS, {
  error: unknownTypeMessage("unary operator", () => UNARY_OPERATOR_TYPES),
});

// ---- statements ---------------------------------------------------------------------------------

export const BinaryStatementSchema = z.object({
  type: z.literal("BinaryStatement"),
  left_operand: OperandSchema,
  comparator: BinaryComparatorSchema,
  right_operand: OperandSchema,
  negate: z.boolean().default(false),
});

export const UnaryStatementSchema = z.object({
  type: z.literal("UnaryStatement"),
  operand: OperandSchema,
  operator: UnaryOperatorSchema,
  negate: z.boolean().default(false),
});

export const StatementGroupSchema = z.object({
  type: z.literal("StatementGroup"),
  get statements() {
    return z
      .array(
        z.discriminatedUnion("type", [BinaryStatementSchema, UnaryStatementSchema, StatementGroupSchema], {
          error: unknownTypeMessage("statement", () => ["BinaryStatement", "UnaryStatement", "StatementGroup"]),
        }),
      )
      .min(1);
  },
  operator: z.enum(["or", "and"]).default("or"),
});

/**
 * Every operation type. Computed last: reading a schema's shape resolves its getters, which
 * need every schema above to exist.
 */
export const OPERATION_TYPES: readonly string[] = OPERATION_SCHEMAS.map((schema) => schema.shape.type.value);

// ---- types --------------------------------------------------------------------------------------

export type Operation = z.infer<typeof OperationSchema>;
/** An operation as written in a definition (defaults may be left out). */
export type OperationInput = z.input<typeof OperationSchema>;
export type OperationType = Operation["type"];
export type OperationOf<T extends OperationType> = Extract<Operation, { type: T }>;

export type StaticOperand = z.infer<typeof StaticOperandSchema>;
export type DynamicOperand = z.infer<typeof DynamicOperandSchema>;
export type Operand = z.infer<typeof OperandSchema>;

export type BinaryComparator = z.infer<typeof BinaryComparatorSchema>;
export type BinaryComparatorType = BinaryComparator["type"];
export type UnaryOperator = z.infer<typeof UnaryOperatorSchema>;
export type UnaryOperatorType = UnaryOperator["type"];

export type BinaryStatement = z.infer<typeof BinaryStatementSchema>;
export type UnaryStatement = z.infer<typeof UnaryStatementSchema>;
export type StatementGroup = z.infer<typeof StatementGroupSchema>;
export type Statement = StatementGroup["statements"][number];
/** A statement group as written in a definition (defaults may be left out). */
export type StatementGroupInput = z.input<typeof StatementGroupSchema>;
