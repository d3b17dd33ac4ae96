import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { InvalidInputTypeError, OperationError, OperationTypeNotRecognisedError, WorkflowError } from "../../src/errors/index.js";
import { WorkflowImage } from "../../src/images/index.js";
import {
  applyOperations,
  compileOperations,
  parseOperations,
  SEQUENCE_JOIN_MAX_LENGTH,
  type Operation,
  type OperationInput,
  type QueryGlobals,
} from "../../src/query/index.js";

function run(operations: OperationInput[], value: unknown, globals?: QueryGlobals): unknown {
  return compileOperations(parseOperations(operations))(value, globals);
}

function failure(operations: OperationInput[], value: unknown): WorkflowError {
  try {
    run(operations, value);
  } catch (error) {
    if (error instanceof WorkflowError) return error;
    throw error;
  }
  throw new Error("expected the chain to fail");
}

function image(width: number, height: number, videoMetadata: ConstructorParameters<typeof WorkflowImage>[0]["videoMetadata"] = null): WorkflowImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return new WorkflowImage({ width, height, data, parentId: "frame", videoMetadata });
}

describe("chains", () => {
  it("an empty chain returns its input", () => {
    const value = { a: 1 };
    expect(run([], value)).toBe(value);
  });

  it("applies operations left to right", () => {
    expect(run([{ type: "StringToUpperCase" }, { type: "StringSubSequence", start: 1 }], "abcd")).toBe("BC");
  });

  it("says which operation failed, where, and on what value", () => {
    const error = failure([{ type: "ToString" }, { type: "Divide", other: 2 }], 1);
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toBe("Operation Divide at <root>[1] got a value of type str ('1'): unsupported operand type(s) for /: 'str' and 'int'");
    expect(error.context).toBe("step_execution | roboflow_query_language_evaluation | <root>[1]");
  });

  it("keeps error messages short for large values", () => {
    const big = failure([{ type: "NumericSequenceAggregate", function: "max" }], [...Array.from({ length: 1000 }, (_, i) => i), "a"]);
    expect(big.message).toBe(
      "Operation NumericSequenceAggregate at <root>[0] got a value of type list (a list of 1001 items): '>' not supported between instances of 'str' and 'int'",
    );
    const long = failure([{ type: "ToNumber", cast_to: "int" }], "x".repeat(10_000));
    expect(long.message.length).toBeLessThan(500);
  });

  it("names the chain given at compile time in errors", () => {
    const chain = compileOperations(parseOperations([{ type: "StringToLowerCase" }]), "data_operations.label");
    expect(() => chain(5)).toThrow("Operation StringToLowerCase at data_operations.label[0] got a value of type int (5): expected a str, got int");
  });

  it("refuses an unregistered operation type that bypassed validation", () => {
    expect(() => compileOperations([{ type: "Nope" } as unknown as Operation])).toThrow(OperationTypeNotRecognisedError);
  });

  it("caches the compiled chain per definition object in applyOperations", () => {
    const operations: OperationInput[] = [{ type: "Multiply", other: 2 }];
    expect(applyOperations(2, operations)).toBe(4);
    expect(applyOperations(5, operations)).toBe(10);
  });
});

describe("string operations", () => {
  it("StringToLowerCase / StringToUpperCase need a str", () => {
    expect(run([{ type: "StringToLowerCase" }], "AbC")).toBe("abc");
    expect(run([{ type: "StringToUpperCase" }], "AbC")).toBe("ABC");
    const error = failure([{ type: "StringToUpperCase" }], null);
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toContain("got a value of type NoneType (None): expected a str, got NoneType");
  });

  it("ToString is Python str()", () => {
    expect(run([{ type: "ToString" }], true)).toBe("True");
    expect(run([{ type: "ToString" }], null)).toBe("None");
    expect(run([{ type: "ToString" }], 1.5)).toBe("1.5");
    expect(run([{ type: "ToString" }], [1, "a", null])).toBe("[1, 'a', None]");
    expect(run([{ type: "ToString" }], { a: 1 })).toBe("{'a': 1}");
  });

  it("ToString prints results known to be floats as Python floats", () => {
    expect(run([{ type: "Divide", other: 2 }, { type: "ToString" }], 10)).toBe("5.0");
    expect(run([{ type: "ToNumber", cast_to: "float" }, { type: "ToString" }], "3")).toBe("3.0");
    expect(run([{ type: "ToNumber", cast_to: "int" }, { type: "ToString" }], "3.7")).toBe("3");
    expect(run([{ type: "Divide", other: 4 }, { type: "NumberRound", decimal_digits: 0 }, { type: "ToString" }], 10)).toBe("2.0");
    expect(run([{ type: "Multiply", other: 1.5 }, { type: "ToString" }], 2)).toBe("3.0");
    expect(run([{ type: "Multiply", other: 3 }, { type: "ToString" }], 2)).toBe("6");
  });

  it("StringSubSequence slices like Python; the default end −1 drops the last character", () => {
    expect(run([{ type: "StringSubSequence" }], "abcdef")).toBe("abcde");
    expect(run([{ type: "StringSubSequence", start: 2, end: 4 }], "abcdef")).toBe("cd");
    expect(run([{ type: "StringSubSequence", start: -2, end: 100 }], "abcdef")).toBe("ef");
    expect(failure([{ type: "StringSubSequence" }], ["a"])).toBeInstanceOf(InvalidInputTypeError);
  });

  it("StringMatches is re.search: a match anywhere, Python syntax", () => {
    expect(run([{ type: "StringMatches", regex: "b+" }], "abbc")).toBe(true);
    expect(run([{ type: "StringMatches", regex: "^b" }], "abbc")).toBe(false);
    expect(run([{ type: "StringMatches", regex: "(?P<plate>[A-Z]{2}\\d{3})$" }], "car AB123\n")).toBe(true);
    expect(failure([{ type: "StringMatches", regex: "a" }], 1)).toBeInstanceOf(InvalidInputTypeError);
  });

  it("StringMatches with an untranslatable regex fails when the chain is compiled", () => {
    const compile = () => compileOperations(parseOperations([{ type: "StringMatches", regex: "(?x) a" }]));
    expect(compile).toThrow(OperationError);
    expect(compile).toThrow(/Operation StringMatches at <root>\[0\] cannot be compiled: verbose/);
  });
});

describe("number operations", () => {
  it("ToNumber is float(v), then int() truncation for cast_to int", () => {
    expect(run([{ type: "ToNumber", cast_to: "float" }], " 1.5 ")).toBe(1.5);
    expect(run([{ type: "ToNumber", cast_to: "float" }], "1e3")).toBe(1000);
    expect(run([{ type: "ToNumber", cast_to: "float" }], "inf")).toBe(Infinity);
    expect(run([{ type: "ToNumber", cast_to: "int" }], "-7.9")).toBe(-7);
    expect(run([{ type: "ToNumber", cast_to: "int" }], true)).toBe(1);
  });

  it("ToNumber of text that is no number is an InvalidInputTypeError naming the text", () => {
    const error = failure([{ type: "ToNumber", cast_to: "float" }], "abc");
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toBe("Operation ToNumber at <root>[0] got a value of type str ('abc'): could not convert string to float: 'abc'");
    expect(failure([{ type: "ToNumber", cast_to: "int" }], "inf").message).toContain("cannot convert float infinity to integer");
    expect(failure([{ type: "ToNumber", cast_to: "int" }], null)).toBeInstanceOf(InvalidInputTypeError);
  });

  it("NumberRound rounds half to even on the exact binary value", () => {
    expect(run([{ type: "NumberRound", decimal_digits: 2 }], 2.675)).toBe(2.67);
    expect(run([{ type: "NumberRound", decimal_digits: 0 }], 2.5)).toBe(2);
    expect(run([{ type: "NumberRound", decimal_digits: 0 }], 3.5)).toBe(4);
    expect(run([{ type: "NumberRound", decimal_digits: -1 }], 25)).toBe(20);
    expect(failure([{ type: "NumberRound", decimal_digits: 1 }], "1.5")).toBeInstanceOf(InvalidInputTypeError);
  });

  it("Multiply multiplies numbers and, as Python, repeats strings and lists", () => {
    expect(run([{ type: "Multiply", other: 2.5 }], 4)).toBe(10);
    expect(run([{ type: "Multiply", other: 2 }], true)).toBe(2);
    expect(run([{ type: "Multiply", other: 2 }], "ab")).toBe("abab");
    expect(run([{ type: "Multiply", other: 2 }], [1, [2]])).toEqual([1, [2], 1, [2]]);
    expect(failure([{ type: "Multiply", other: 1.5 }], "ab").message).toContain("can't multiply sequence by non-int of type 'float'");
    expect(failure([{ type: "Multiply", other: 2 }], null)).toBeInstanceOf(InvalidInputTypeError);
  });

  it("Divide is true division; dividing by zero is an OperationError", () => {
    expect(run([{ type: "Divide", other: 4 }], 1)).toBe(0.25);
    const error = failure([{ type: "Divide", other: 0 }], 3);
    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toBe("Operation Divide at <root>[0] got a value of type int (3): division by zero");
  });

  it("RandomNumber ignores its input and samples [min, max)", () => {
    const chain = compileOperations(parseOperations([{ type: "RandomNumber", min_value: 2, max_value: 3 }]));
    const samples = Array.from({ length: 200 }, () => chain("ignored") as number);
    expect(samples.every((x) => x >= 2 && x < 3)).toBe(true);
    expect(new Set(samples).size).toBeGreaterThan(1);
    expect(run([{ type: "RandomNumber", min_value: 4, max_value: 4 }], null)).toBe(4);
    const unit = run([{ type: "RandomNumber" }], null) as number;
    expect(unit >= 0 && unit < 1).toBe(true);
  });
});

describe("generic operations", () => {
  it("ToBoolean is Python bool()", () => {
    expect([0, 1, 0.0, NaN, "", "False", [], [0], {}, null].map((value) => run([{ type: "ToBoolean" }], value))).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      false,
    ]);
  });

  it("LookupTable maps a value; a missing key is an error listing the keys", () => {
    expect(run([{ type: "LookupTable", lookup_table: { a: 1, b: null } }], "b")).toBeNull();
    const error = failure([{ type: "LookupTable", lookup_table: { a: 1 } }], "z");
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toBe("Operation LookupTable at <root>[0] got a value of type str ('z'): 'z' is not a key of the lookup table (keys: ['a'])");
    // Keys of a JSON table are strings: the int 1 is not the key "1", as in upstream.
    expect(failure([{ type: "LookupTable", lookup_table: { "1": "one" } }], 1)).toBeInstanceOf(InvalidInputTypeError);
    expect(failure([{ type: "LookupTable", lookup_table: { toString: 1 } }], "constructor")).toBeInstanceOf(InvalidInputTypeError);
  });
});

describe("sequence operations", () => {
  it("SequenceMap maps every element through the lookup table", () => {
    expect(run([{ type: "SequenceMap", lookup_table: { a: "A", b: "B" } }], ["a", "b", "a"])).toEqual(["A", "B", "A"]);
    expect(failure([{ type: "SequenceMap", lookup_table: { a: "A" } }], ["a", "c"]).message).toContain("'c' is not a key");
    expect(failure([{ type: "SequenceMap", lookup_table: {} }], 5).message).toContain("'int' object is not iterable");
  });

  it("SequenceApply runs a nested chain on every element and passes the globals down", () => {
    expect(run([{ type: "SequenceApply", operations: [{ type: "StringToUpperCase" }, { type: "StringSubSequence", end: 1 }] }], ["ab", "cd"])).toEqual([
      "A",
      "C",
    ]);
    const error = failure([{ type: "SequenceApply", operations: [{ type: "StringToUpperCase" }] }], ["a", 1]);
    expect(error.message).toContain("Operation StringToUpperCase at <root>[0].operations[0] got a value of type int (1)");
  });

  it("NumericSequenceAggregate: min / max / sum, neutral_value for an empty sequence", () => {
    expect(run([{ type: "NumericSequenceAggregate", function: "min" }], [3, 1.5, 2])).toBe(1.5);
    expect(run([{ type: "NumericSequenceAggregate", function: "max" }], [3, 1.5, 7])).toBe(7);
    expect(run([{ type: "NumericSequenceAggregate", function: "sum" }], [3, 1.5, true])).toBe(5.5);
    expect(run([{ type: "NumericSequenceAggregate", function: "max" }], [])).toBeNull();
    expect(run([{ type: "NumericSequenceAggregate", function: "max", neutral_value: 0 }], [])).toBe(0);
    expect(failure([{ type: "NumericSequenceAggregate", function: "max" }], [1, "a"])).toBeInstanceOf(InvalidInputTypeError);
    expect(failure([{ type: "NumericSequenceAggregate", function: "sum" }], ["a"])).toBeInstanceOf(InvalidInputTypeError);
  });

  it("SequenceAggregate first / last / most_common / least_common in Counter order", () => {
    const values = ["b", "a", "a", "b", "c", "d"];
    expect(run([{ type: "SequenceAggregate", mode: "first" }], values)).toBe("b");
    expect(run([{ type: "SequenceAggregate", mode: "last" }], values)).toBe("d");
    expect(run([{ type: "SequenceAggregate", mode: "most_common" }], values)).toBe("b");
    expect(run([{ type: "SequenceAggregate", mode: "least_common" }], values)).toBe("d");
    expect(run([{ type: "SequenceAggregate", mode: "most_common" }], [1, true, "x", "x"])).toBe(1);
    const error = failure([{ type: "SequenceAggregate", mode: "first" }], []);
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toContain("empty sequence cannot be aggregated");
  });

  it("SequenceLength is len(): items, keys, characters", () => {
    expect(run([{ type: "SequenceLength" }], [1, 2, 3])).toBe(3);
    expect(run([{ type: "SequenceLength" }], { a: 1 })).toBe(1);
    expect(run([{ type: "SequenceLength" }], "a😀")).toBe(2);
    expect(failure([{ type: "SequenceLength" }], 7).message).toContain("object of type 'int' has no len()");
  });

  it("SequenceElementsCount counts str() of each element, in first-seen order", () => {
    const counts = run([{ type: "SequenceElementsCount" }], ["b", 1, "a", "b", true, 1, null, "__proto__"]);
    expect(counts).toEqual({ b: 2, "1": 2, a: 1, True: 1, None: 1, ["__proto__"]: 1 });
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    expect(Object.keys(run([{ type: "SequenceElementsCount" }], ["b", "a", "b", "c"]) as object)).toEqual(["b", "a", "c"]);
  });

  it("SequenceJoin joins str() of each element", () => {
    expect(run([{ type: "SequenceJoin" }], ["SKU-1", "SKU-2"])).toBe("SKU-1, SKU-2");
    expect(run([{ type: "SequenceJoin", separator: "|" }], [1, 2.5, true, null, ["x"]])).toBe("1|2.5|True|None|['x']");
    expect(run([{ type: "SequenceJoin" }], [])).toBe("");
    expect(failure([{ type: "SequenceJoin" }], null)).toBeInstanceOf(InvalidInputTypeError);
  });

  it("SequenceJoin refuses to build more than a million characters", () => {
    const chunk = "x".repeat(300_000);
    expect(run([{ type: "SequenceJoin", separator: "" }], [chunk, chunk, chunk])).toHaveLength(900_000);
    const error = failure([{ type: "SequenceJoin", separator: "" }], [chunk, chunk, chunk, chunk]);
    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toContain(`exceed ${SEQUENCE_JOIN_MAX_LENGTH} characters`);
  });
});

describe("dictionary and timestamp operations", () => {
  it("ConvertDictionaryToJSON writes json.dumps output", () => {
    expect(run([{ type: "ConvertDictionaryToJSON" }], { a: 1, b: [1, 2], c: "é", d: null })).toBe('{"a": 1, "b": [1, 2], "c": "\\u00e9", "d": null}');
    expect(failure([{ type: "ConvertDictionaryToJSON" }], [1])).toBeInstanceOf(InvalidInputTypeError);
    const error = failure([{ type: "ConvertDictionaryToJSON" }], { when: new Date(0) });
    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toBe("Operation ConvertDictionaryToJSON at <root>[0]: Object of type datetime is not JSON serializable");
  });

  it("TimestampToISOFormat writes datetime.isoformat()", () => {
    expect(run([{ type: "TimestampToISOFormat" }], new Date("2024-01-01T00:00:00.123Z"))).toBe("2024-01-01T00:00:00.123000+00:00");
    expect(run([{ type: "TimestampToISOFormat" }], new Date("2024-01-01T00:00:00Z"))).toBe("2024-01-01T00:00:00+00:00");
    expect(failure([{ type: "TimestampToISOFormat" }], "2024-01-01").message).toContain("expected a timestamp (datetime), got str");
  });
});

describe("image operations", () => {
  it("ExtractImageProperty: size = width × height, aspect_ratio = width / height", () => {
    const picture = image(6, 4);
    expect(run([{ type: "ExtractImageProperty", property_name: "width" }], picture)).toBe(6);
    expect(run([{ type: "ExtractImageProperty", property_name: "height" }], picture)).toBe(4);
    expect(run([{ type: "ExtractImageProperty", property_name: "size" }], picture)).toBe(24);
    expect(run([{ type: "ExtractImageProperty", property_name: "aspect_ratio" }], picture)).toBe(1.5);
    expect(run([{ type: "ExtractImageProperty", property_name: "aspect_ratio" }], image(0, 0))).toBe(0);
    expect(failure([{ type: "ExtractImageProperty", property_name: "size" }], "img").message).toContain("expected an image (WorkflowImageData), got str");
  });

  it("ExtractFrameMetadata reads the frame's video metadata", () => {
    const timestamp = new Date("2024-05-06T07:08:09.010Z");
    const frame = image(2, 2, {
      video_identifier: "cam",
      frame_number: 31,
      frame_timestamp: timestamp,
      fps: 30,
      measured_fps: null,
      comes_from_video_file: true,
    });
    expect(run([{ type: "ExtractFrameMetadata", property_name: "frame_number" }], frame)).toBe(31);
    expect(run([{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }], frame)).toBe(timestamp);
    expect(run([{ type: "ExtractFrameMetadata", property_name: "seconds_since_start" }], frame)).toBe(1);
    expect(run([{ type: "ExtractFrameMetadata", property_name: "seconds_since_start" }, { type: "ToString" }], frame)).toBe("1.0");
    expect(run([{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }, { type: "TimestampToISOFormat" }], frame)).toBe(
      "2024-05-06T07:08:09.010000+00:00",
    );
  });

  it("ExtractFrameMetadata of a still image uses the synthetic metadata: frame 0 at 30 fps", () => {
    const still = image(2, 2);
    expect(run([{ type: "ExtractFrameMetadata", property_name: "frame_number" }], still)).toBe(0);
    expect(run([{ type: "ExtractFrameMetadata", property_name: "seconds_since_start" }], still)).toBeCloseTo(-1 / 30, 15);
    expect(run([{ type: "ExtractFrameMetadata", property_name: "frame_timestamp" }], still)).toBeInstanceOf(Date);
  });

  it("ExtractFrameMetadata seconds_since_start without fps, or with fps 0, fails clearly", () => {
    const base = { video_identifier: "cam", frame_number: 3, frame_timestamp: new Date(0), measured_fps: null, comes_from_video_file: null };
    expect(failure([{ type: "ExtractFrameMetadata", property_name: "seconds_since_start" }], image(1, 1, { ...base, fps: null }))).toBeInstanceOf(
      InvalidInputTypeError,
    );
    expect(failure([{ type: "ExtractFrameMetadata", property_name: "seconds_since_start" }], image(1, 1, { ...base, fps: 0 }))).toBeInstanceOf(OperationError);
  });

  it("ConvertImageToJPEG gives JPEG bytes at the requested quality; ConvertImageToBase64 their base64", () => {
    const picture = image(8, 6);
    const bytes = run([{ type: "ConvertImageToJPEG" }], picture) as Uint8Array;
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    const decoded = jpeg.decode(bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([8, 6]);
    const small = run([{ type: "ConvertImageToJPEG", compression_level: 5 }], image(64, 64)) as Uint8Array;
    const large = run([{ type: "ConvertImageToJPEG", compression_level: 100 }], image(64, 64)) as Uint8Array;
    expect(small.length).toBeLessThan(large.length);
    const base64 = run([{ type: "ConvertImageToBase64" }], picture) as string;
    expect(Buffer.from(base64, "base64").equals(Buffer.from(bytes))).toBe(true);
    expect(failure([{ type: "ConvertImageToBase64" }], {})).toBeInstanceOf(InvalidInputTypeError);
  });
});

describe("classification and detection operations", () => {
  const clipV2Prediction = {
    predictions: [
      { class: "car", class_id: 0, confidence: 0.23 },
      { class: "crowd", class_id: 1, confidence: 0.17 },
    ],
    top: "car",
    confidence: 0.23,
    parent_id: "image",
  };

  it("ClassificationPropertyExtract reads a single-label prediction (CLIP comparison v2)", () => {
    const extract = (property_name: string) => run([{ type: "ClassificationPropertyExtract", property_name } as OperationInput], clipV2Prediction);
    expect(extract("top_class")).toBe("car");
    expect(extract("top_class_confidence")).toBe(0.23);
    expect(extract("top_class_confidence_single")).toBe(0.23);
    expect(extract("all_classes")).toEqual(["car", "crowd"]);
    expect(extract("all_confidences")).toEqual([0.23, 0.17]);
  });

  it("ClassificationPropertyExtract reads a multi-label prediction by predicted_classes and class_id", () => {
    const multiLabel = { predictions: { dog: { class_id: 1, confidence: 0.4 }, cat: { class_id: 0, confidence: 0.6 } }, predicted_classes: ["cat", "dog"] };
    const extract = (property_name: string) => run([{ type: "ClassificationPropertyExtract", property_name } as OperationInput], multiLabel);
    expect(extract("top_class")).toEqual(["cat", "dog"]);
    expect(extract("top_class_confidence")).toEqual([0.6, 0.4]);
    expect(extract("top_class_confidence_single")).toBe(0.6);
    expect(extract("all_classes")).toEqual(["cat", "dog"]);
    expect(extract("all_confidences")).toEqual([0.6, 0.4]);
    expect(run([{ type: "ClassificationPropertyExtract", property_name: "top_class_confidence_single" }], { predictions: {}, predicted_classes: [] })).toBe(0);
  });

  it("ClassificationPropertyExtract of anything but a dict is an InvalidInputTypeError", () => {
    const error = failure([{ type: "ClassificationPropertyExtract", property_name: "top_class" }], ["car"]);
    expect(error).toBeInstanceOf(InvalidInputTypeError);
    expect(error.message).toContain("expected a classification prediction (dict), got list");
  });

  it.each([
    { type: "DetectionsPropertyExtract", property_name: "class_name" },
    { type: "ExtractDetectionProperty", property_name: "confidence" },
    { type: "DetectionsSelection", mode: "left_most" },
    { type: "SortDetections", mode: "confidence" },
    { type: "DetectionsOffset", offset_x: 1, offset_y: 2 },
    { type: "DetectionsShift", shift_x: 1, shift_y: 2 },
    { type: "DetectionsRename", class_map: { a: "b" } },
    { type: "DetectionsToDictionary" },
    { type: "PickDetectionsByParentClass", parent_class: "car" },
    {
      type: "DetectionsFilter",
      filter_operation: {
        type: "StatementGroup",
        statements: [{ type: "UnaryStatement", operand: { type: "DynamicOperand" }, operator: { type: "Exists" } }],
      },
    },
  ] as OperationInput[])("$type on a value that is not detections is an InvalidInputTypeError, as upstream's", (operation) => {
    const chain = compileOperations(parseOperations([operation]));
    expect(() => chain({ predictions: [] })).toThrow(InvalidInputTypeError);
    expect(() => chain({ predictions: [] })).toThrow(
      new RegExp(`^Operation ${operation.type} at <root>\\[0\\] got a value of type dict \\(.*\\): expected (detections|a detection) \\(.*\\), got dict$`),
    );
  });
});
