/**
 * The query language's detection operations on hand-made detections, each result worked out by
 * hand (docs/reference/workflows.md#detection-operations).
 */
import { describe, expect, it } from "vitest";
import { Detections, type Detection } from "../../src/block-api/index.js";
import { InvalidInputTypeError, OperationError, UndeclaredSymbolError } from "../../src/errors/index.js";
import { applyOperations, evaluateCondition, type OperationInput, type StatementGroupInput } from "../../src/query/index.js";

function detection(name: string, classId: number, confidence: number, x1: number, y1: number, x2: number, y2: number): Detection {
  return {
    box: { x1, y1, x2, y2 },
    confidence,
    classId,
    className: name,
    detectionId: `id-${name}-${x1}`,
    parentId: "image",
    rootParentId: "image",
    inferenceId: null,
  };
}

// centres: cat (15, 25), dog (6, 5), car (30.5, 30.5); areas 200, 48, 1
const cat = detection("cat", 0, 0.9, 10, 20, 20, 30);
const dog = detection("dog", 1, 0.6, 2, 2, 10, 8);
const car = detection("car", 2, 0.6, 30, 30, 31, 31);
const all = new Detections({ width: 40, height: 32 }, [cat, dog, car]);

const run = (operations: OperationInput[], value: unknown = all, globals = {}) => applyOperations(value, operations, globals);
const names = (value: unknown) => (value as Detections).items.map((d) => d.className);
const boxes = (value: unknown) => (value as Detections).items.map((d) => d.box);

describe("property extraction", () => {
  it("DetectionsPropertyExtract: one value per detection; anchors rounded half to even", () => {
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "class_name" }])).toEqual(["cat", "dog", "car"]);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "confidence" }])).toEqual([0.9, 0.6, 0.6]);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "class_id" }])).toEqual([0, 1, 2]);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "size" }])).toEqual([100, 48, 1]);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "x_max" }])).toEqual([20, 10, 31]);
    // car's centre 30.5 rounds to 30 (even), not 31
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "center" }])).toEqual([
      [15, 25],
      [6, 5],
      [30, 30],
    ]);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "bottom_right" }])).toEqual([
      [20, 30],
      [10, 8],
      [31, 31],
    ]);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "image_dimensions" }], all.with([cat]))).toEqual([[32, 40]]);
  });

  it("count, classes and confidences of detections, as a workflow asks for them", () => {
    expect(run([{ type: "SequenceLength" }])).toBe(3);
    expect(run([{ type: "SequenceLength" }], all.with([]))).toBe(0);
    expect(run([{ type: "DetectionsPropertyExtract", property_name: "class_name" }, { type: "SequenceElementsCount" }])).toEqual({ cat: 1, dog: 1, car: 1 });
    expect(
      run([
        { type: "DetectionsPropertyExtract", property_name: "confidence" },
        { type: "NumericSequenceAggregate", function: "max" },
      ]),
    ).toBe(0.9);
  });

  it("a property boxes do not carry: KeyError for the list, None for one detection", () => {
    expect(() => run([{ type: "DetectionsPropertyExtract", property_name: "tracker_id" }])).toThrow(InvalidInputTypeError);
    const condition: StatementGroupInput = {
      type: "StatementGroup",
      statements: [
        {
          type: "UnaryStatement",
          operand: { type: "DynamicOperand", operations: [{ type: "ExtractDetectionProperty", property_name: "tracker_id" }] },
          operator: { type: "Exists" },
        },
      ],
    };
    expect(names(run([{ type: "DetectionsFilter", filter_operation: condition }]))).toEqual([]);
  });

  it("a value that is not detections is an InvalidInputTypeError", () => {
    expect(() => run([{ type: "DetectionsPropertyExtract", property_name: "confidence" }], [1, 2])).toThrow(InvalidInputTypeError);
    expect(() => run([{ type: "ExtractDetectionProperty", property_name: "confidence" }], all)).toThrow(InvalidInputTypeError);
  });
});

describe("filters, selection and sorting", () => {
  const confidenceAtLeastThreshold: StatementGroupInput = {
    type: "StatementGroup",
    statements: [
      {
        type: "BinaryStatement",
        left_operand: { type: "DynamicOperand", operations: [{ type: "ExtractDetectionProperty", property_name: "confidence" }] },
        comparator: { type: "(Number) >=" },
        right_operand: { type: "DynamicOperand", operand_name: "threshold" },
      },
    ],
  };

  it("DetectionsFilter keeps the detections its condition holds for, reading the chain's named values", () => {
    const filter: OperationInput = { type: "DetectionsFilter", filter_operation: confidenceAtLeastThreshold };
    expect(names(run([filter], all, { threshold: 0.7 }))).toEqual(["cat"]);
    expect(names(run([filter], all, { threshold: 0.6 }))).toEqual(["cat", "dog", "car"]);
    // the input is unchanged
    expect(all.length).toBe(3);
  });

  it("a condition on detections, as ContinueIf evaluates it: any cat?", () => {
    const anyCat: StatementGroupInput = {
      type: "StatementGroup",
      statements: [
        {
          type: "BinaryStatement",
          left_operand: { type: "StaticOperand", value: "cat" },
          comparator: { type: "in (Sequence)" },
          right_operand: { type: "DynamicOperand", operand_name: "found", operations: [{ type: "DetectionsPropertyExtract", property_name: "class_name" }] },
        },
      ],
    };
    expect(evaluateCondition(anyCat, { found: all })).toBe(true);
    expect(evaluateCondition(anyCat, { found: all.with([dog]) })).toBe(false);
  });

  it("DetectionsSelection: by place, by centre, by confidence (the first of ties); nothing of nothing", () => {
    expect(names(run([{ type: "DetectionsSelection", mode: "first" }]))).toEqual(["cat"]);
    expect(names(run([{ type: "DetectionsSelection", mode: "last" }]))).toEqual(["car"]);
    expect(names(run([{ type: "DetectionsSelection", mode: "left_most" }]))).toEqual(["dog"]);
    expect(names(run([{ type: "DetectionsSelection", mode: "right_most" }]))).toEqual(["car"]);
    expect(names(run([{ type: "DetectionsSelection", mode: "top_confidence" }], all.with([dog, car, cat])))).toEqual(["cat"]);
    expect(names(run([{ type: "DetectionsSelection", mode: "top_confidence" }], all.with([dog, car])))).toEqual(["dog"]);
    expect(names(run([{ type: "DetectionsSelection", mode: "first" }], all.with([])))).toEqual([]);
  });

  it("SortDetections: ascending keeps ties in order, descending reverses them", () => {
    expect(names(run([{ type: "SortDetections", mode: "confidence" }]))).toEqual(["dog", "car", "cat"]);
    expect(names(run([{ type: "SortDetections", mode: "confidence", ascending: false }]))).toEqual(["cat", "car", "dog"]);
    expect(names(run([{ type: "SortDetections", mode: "size", ascending: false }]))).toEqual(["cat", "dog", "car"]);
    expect(names(run([{ type: "SortDetections", mode: "center_x" }]))).toEqual(["dog", "cat", "car"]);
    expect(names(run([{ type: "SortDetections", mode: "y_min", ascending: false }]))).toEqual(["car", "cat", "dog"]);
  });
});

describe("boxes and classes changed", () => {
  it("DetectionsOffset grows boxes by half the offset on each side; DetectionsShift moves them", () => {
    expect(boxes(run([{ type: "DetectionsOffset", offset_x: 4, offset_y: 2 }], all.with([cat])))).toEqual([{ x1: 8, y1: 19, x2: 22, y2: 31 }]);
    expect(boxes(run([{ type: "DetectionsShift", shift_x: -2, shift_y: 3 }], all.with([dog])))).toEqual([{ x1: 0, y1: 5, x2: 8, y2: 11 }]);
    expect(all.items[0].box).toEqual({ x1: 10, y1: 20, x2: 20, y2: 30 });
  });

  // upstream's test_base.py: test_rename_detections_when_{strict,non_strict}_mode_enabled_and_*
  const ab = new Detections({ width: 4, height: 4 }, [detection("a", 10, 0.3, 0, 1, 2, 3), detection("b", 11, 0.4, 0, 1, 2, 3)]);
  const classes = (value: unknown) => (value as Detections).items.map((d) => [d.className, d.classId]);

  it("DetectionsRename, strict: every class mapped, ids by the new names' sorted places", () => {
    expect(classes(run([{ type: "DetectionsRename", class_map: { a: "A", b: "B" }, strict: true }], ab))).toEqual([
      ["A", 0],
      ["B", 1],
    ]);
    expect(() => run([{ type: "DetectionsRename", class_map: { a: "A" }, strict: true }], ab)).toThrow(OperationError);
  });

  it("DetectionsRename, not strict: new names from the offset on, unmapped classes kept; the map may be a named value", () => {
    expect(classes(run([{ type: "DetectionsRename", class_map: { a: "A", b: "B" }, strict: false }], ab))).toEqual([
      ["A", 1024],
      ["B", 1025],
    ]);
    expect(classes(run([{ type: "DetectionsRename", class_map: "mapping", strict: false, new_classes_id_offset: 7 }], ab, { mapping: { a: "A" } }))).toEqual([
      ["A", 7],
      ["b", 11],
    ]);
    expect(() => run([{ type: "DetectionsRename", class_map: "missing" }], ab)).toThrow(UndeclaredSymbolError);
  });

  it("DetectionsToDictionary is the Detections JSON", () => {
    expect(run([{ type: "DetectionsToDictionary" }], all.with([cat]))).toEqual({
      image: { width: 40, height: 32 },
      predictions: [{ width: 10, height: 10, x: 15, y: 25, confidence: 0.9, class_id: 0, class: "cat", detection_id: "id-cat-10", parent_id: "image" }],
    });
  });

  // upstream's test_detections_operations.py: test_picking_detections_by_parent_class_when_there_are_child_detections_matching_different_parents
  it("PickDetectionsByParentClass: the parents, then the others centred inside one", () => {
    const scene = new Detections({ width: 640, height: 640 }, [
      detection("a", 0, 0.3, 0, 0, 50, 50),
      detection("b", 1, 0.4, 20, 20, 30, 30),
      detection("b", 1, 0.5, 40, 40, 50, 50),
      detection("a", 0, 0.6, 100, 100, 200, 200),
      detection("c", 2, 0.7, 150, 100, 250, 200),
      detection("d", 3, 0.9, 400, 400, 600, 600),
    ]);
    const picked = run([{ type: "PickDetectionsByParentClass", parent_class: "a" }], scene) as Detections;
    expect(picked.items.map((d) => d.confidence)).toEqual([0.3, 0.6, 0.4, 0.5, 0.7]);
    expect(names(run([{ type: "PickDetectionsByParentClass", parent_class: "z" }], scene))).toEqual([]);
  });
});
