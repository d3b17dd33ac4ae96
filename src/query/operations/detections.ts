/**
 * Detection operations (docs/reference/workflows.md#detection-operations): upstream's
 * `operations/detections` and `operations/detection` on the engine's `Detections`. A filter's
 * condition sees each detection as one `DetectionValue` under the operand name `_`, as upstream's
 * loop over `sv.Detections` does. Results are new `Detections`; the input is never changed.
 */
import { Detections, type Box, type Detection } from "../../block-api/detections.js";
import { OperationError, UndeclaredSymbolError } from "../../errors/index.js";
import { roundHalfEven } from "../../maths/rounding.js";
import { pyKeyError, pyTypeError } from "../python/errors.js";
import { isDict, pythonTypeName } from "../python/types.js";
import type { CompiledOperation, OperationBuilders, QueryGlobals } from "./context.js";

type DetectionOperation =
  | "DetectionsPropertyExtract"
  | "ExtractDetectionProperty"
  | "DetectionsFilter"
  | "DetectionsSelection"
  | "SortDetections"
  | "DetectionsOffset"
  | "DetectionsShift"
  | "DetectionsRename"
  | "DetectionsToDictionary"
  | "PickDetectionsByParentClass";

/** One detection of a `Detections`, as a filter's condition sees it (upstream: one row of `sv.Detections`). */
export class DetectionValue {
  constructor(
    readonly detection: Detection,
    readonly image: Detections["image"],
  ) {}
}

/** The operand name upstream's filter gives each detection (`DEFAULT_OPERAND_NAME`). */
const OPERAND_NAME = "_";

function expectDetections(value: unknown): Detections {
  if (!(value instanceof Detections)) throw pyTypeError(`expected detections (sv.Detections), got ${pythonTypeName(value)}`);
  return value;
}

function expectDetection(value: unknown): DetectionValue {
  if (!(value instanceof DetectionValue)) throw pyTypeError(`expected a detection (one element of sv.Detections), got ${pythonTypeName(value)}`);
  return value;
}

const width = (box: Box) => box.x2 - box.x1;
const height = (box: Box) => box.y2 - box.y1;
const centreX = (box: Box) => (box.x1 + box.x2) / 2;
const centreY = (box: Box) => (box.y1 + box.y2) / 2;
/** supervision's `box_area` and upstream's single-detection `size`: height × width. */
const area = (box: Box) => height(box) * width(box);

/** A property of one detection, shared by both extractions; anchors are [x, y] in floating point. */
const PROPERTIES: Readonly<Record<string, (detection: Detection, image: Detections["image"]) => unknown>> = {
  confidence: (d) => d.confidence,
  class_name: (d) => d.className,
  x_min: (d) => d.box.x1,
  y_min: (d) => d.box.y1,
  x_max: (d) => d.box.x2,
  y_max: (d) => d.box.y2,
  class_id: (d) => d.classId,
  size: (d) => area(d.box),
  center: (d) => [centreX(d.box), centreY(d.box)],
  top_left: (d) => [d.box.x1, d.box.y1],
  top_right: (d) => [d.box.x2, d.box.y1],
  bottom_left: (d) => [d.box.x1, d.box.y2],
  bottom_right: (d) => [d.box.x2, d.box.y2],
  image_dimensions: (_d, image) => [image.height, image.width],
  prediction_type: () => "object-detection",
};

const ANCHORS = new Set(["center", "top_left", "top_right", "bottom_left", "bottom_right"]);

/**
 * `DetectionsPropertyExtract`: the property of every detection, a list. Anchors are rounded to
 * whole pixels (half to even) as upstream's `get_anchors_coordinates(...).round()`; a property
 * these detections do not carry (tracker ids, zones, keypoints) is upstream's `KeyError`.
 */
function extractAll(name: string): CompiledOperation {
  const property = PROPERTIES[name];
  return (value) => {
    const detections = expectDetections(value);
    if (!property) throw pyKeyError(`detections carry no property '${name}'`);
    const values = detections.items.map((detection) => property(detection, detections.image));
    return ANCHORS.has(name) ? values.map((point) => (point as number[]).map(roundHalfEven)) : values;
  };
}

/** `ExtractDetectionProperty`: the property of one detection; a property it does not carry is None, as upstream's `data.get`. */
function extractOne(name: string): CompiledOperation {
  const property = PROPERTIES[name];
  return (value) => {
    const { detection, image } = expectDetection(value);
    return property ? property(detection, image) : null;
  };
}

/** The first index holding the smallest (or largest) key, as NumPy's `argmin` / `argmax`. */
function extremeIndex(items: readonly Detection[], key: (d: Detection) => number, largest: boolean): number {
  let best = 0;
  for (let i = 1; i < items.length; i++) {
    const delta = key(items[i]) - key(items[best]);
    if (largest ? delta > 0 : delta < 0) best = i;
  }
  return best;
}

const SELECTIONS: Readonly<Record<string, (items: readonly Detection[]) => number>> = {
  first: () => 0,
  last: (items) => items.length - 1,
  left_most: (items) => extremeIndex(items, (d) => centreX(d.box), false),
  right_most: (items) => extremeIndex(items, (d) => centreX(d.box), true),
  top_confidence: (items) => extremeIndex(items, (d) => d.confidence, true),
};

const SORT_KEYS: Readonly<Record<string, (d: Detection) => number>> = {
  confidence: (d) => d.confidence,
  x_min: (d) => d.box.x1,
  x_max: (d) => d.box.x2,
  y_min: (d) => d.box.y1,
  y_max: (d) => d.box.y2,
  size: (d) => area(d.box),
  center_x: (d) => centreX(d.box),
  center_y: (d) => centreY(d.box),
};

/**
 * Ascending by the key, ties in their order (NumPy's `argsort` on the short arrays detections
 * are); descending is that order reversed, as upstream's `argsort(...)[::-1]`.
 */
function sortDetections(detections: Detections, key: (d: Detection) => number, ascending: boolean): Detections {
  const order = detections.items.map((detection, index) => ({ detection, index }));
  order.sort((a, b) => key(a.detection) - key(b.detection) || a.index - b.index);
  if (!ascending) order.reverse();
  return detections.with(order.map(({ detection }) => detection));
}

function moveBoxes(detections: Detections, delta: Box): Detections {
  return detections.with(
    detections.items.map((d) => ({ ...d, box: { x1: d.box.x1 + delta.x1, y1: d.box.y1 + delta.y1, x2: d.box.x2 + delta.x2, y2: d.box.y2 + delta.y2 } })),
  );
}

/** A parameter given either literally or as the name of a global (upstream's `class_map` and `strict`). */
function parameter<T>(given: T | string, globals: QueryGlobals, what: string): unknown {
  if (typeof given !== "string") return given;
  if (!Object.hasOwn(globals, given)) {
    throw new UndeclaredSymbolError(
      `Attempted to retrieve variable \`${given}\` that was expected to hold ${what} of rename_detections(...), but that turned out not to be registered.`,
      { context: "step_execution | roboflow_query_language_evaluation" },
    );
  }
  return globals[given];
}

/**
 * `DetectionsRename`: class names mapped by `class_map`. Strict: every class must be mapped, and
 * ids are the new names' places in sorted order; otherwise kept classes keep their ids and new
 * names get ids from `new_classes_id_offset` on, in sorted order (upstream's two mappings).
 */
function renameDetections(detections: Detections, classMap: Readonly<Record<string, string>>, strict: boolean, offset: number): Detections {
  const ids = new Map<string, number>();
  if (strict) {
    for (const { className } of detections.items) {
      if (!Object.hasOwn(classMap, className))
        throw new OperationError(`Class '${className}' not found in class_map.`, { context: "step_execution | roboflow_query_language_evaluation" });
    }
    [...new Set(Object.values(classMap))].sort().forEach((name, id) => ids.set(name, id));
  } else {
    for (const { className, classId } of detections.items) ids.set(className, classId);
    let next = offset;
    for (const name of [...new Set(Object.values(classMap))].filter((name) => !ids.has(name)).sort()) ids.set(name, next++);
  }
  return detections.with(
    detections.items.map((d) => {
      const className = Object.hasOwn(classMap, d.className) ? classMap[d.className] : d.className;
      return { ...d, className, classId: ids.get(className)! };
    }),
  );
}

const inside = (x: number, y: number, box: Box) => box.x1 <= x && x <= box.x2 && box.y1 <= y && y <= box.y2;

/** `PickDetectionsByParentClass`: the parents, then the others whose centre lies in a parent; nothing when there is no parent. */
function pickByParentClass(detections: Detections, parentClass: string): Detections {
  const parents = detections.items.filter((d) => d.className === parentClass);
  if (parents.length === 0) return detections.with([]);
  const children = detections.items.filter((d) => d.className !== parentClass && parents.some((p) => inside(centreX(d.box), centreY(d.box), p.box)));
  return detections.with([...parents, ...children]);
}

export const DETECTION_OPERATIONS: OperationBuilders<DetectionOperation> = {
  DetectionsPropertyExtract: ({ property_name }) => extractAll(property_name),
  ExtractDetectionProperty: ({ property_name }) => extractOne(property_name),
  DetectionsFilter: ({ filter_operation }, { location, compileCondition }) => {
    const keep = compileCondition(filter_operation, `${location}.filter_operation`);
    return (value, globals) => {
      const detections = expectDetections(value);
      return detections.filter((detection) => keep({ ...globals, [OPERAND_NAME]: new DetectionValue(detection, detections.image) }));
    };
  },
  DetectionsSelection: ({ mode }) => {
    const select = SELECTIONS[mode];
    return (value) => {
      const detections = expectDetections(value);
      return detections.length === 0 ? detections : detections.with([detections.items[select(detections.items)]]);
    };
  },
  SortDetections: ({ mode, ascending }) => {
    const key = SORT_KEYS[mode];
    return (value) => sortDetections(expectDetections(value), key, ascending);
  },
  DetectionsOffset: ({ offset_x, offset_y }) => {
    const delta = { x1: -offset_x / 2, y1: -offset_y / 2, x2: offset_x / 2, y2: offset_y / 2 };
    return (value) => moveBoxes(expectDetections(value), delta);
  },
  DetectionsShift: ({ shift_x, shift_y }) => {
    const delta = { x1: shift_x, y1: shift_y, x2: shift_x, y2: shift_y };
    return (value) => moveBoxes(expectDetections(value), delta);
  },
  DetectionsRename: ({ class_map, strict, new_classes_id_offset }) => {
    return (value, globals) => {
      const detections = expectDetections(value);
      const classMap = parameter(class_map, globals, "class mapping");
      if (!isDict(classMap)) throw pyTypeError(`expected a dict as class map, got ${pythonTypeName(classMap)}`);
      const isStrict = parameter(strict, globals, "parameter for `strict` flag");
      if (typeof isStrict !== "boolean") throw pyTypeError(`expected a bool as \`strict\` flag, got ${pythonTypeName(isStrict)}`);
      return renameDetections(detections, classMap as Record<string, string>, isStrict, new_classes_id_offset);
    };
  },
  DetectionsToDictionary: () => (value) => expectDetections(value).toJSON(),
  PickDetectionsByParentClass:
    ({ parent_class }) =>
    (value) =>
      pickByParentClass(expectDetections(value), parent_class),
};
