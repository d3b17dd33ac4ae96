/**
 * Kinds: the names upstream gives to the data that flows between steps. The compiler checks
 * selector compatibility by kind *name* (docs/reference/workflows.md#kind-compatibility); the
 * describe routes list them (docs/reference/http.md#workflowsblocksdescribe).
 */
import type { VideoMetadata, WorkflowImage } from "../images/index.js";
import type { Kind } from "./kind.js";

export type { Kind } from "./kind.js";

function kind(name: string, description: string, serialised: string, internal: string = serialised): Kind {
  return { name, description, docs: null, serialised_data_type: serialised, internal_data_type: internal };
}

export const KINDS = [
  kind("*", "Equivalent of any element", "Any"),
  kind("image", "Image in workflows", "dict", "WorkflowImageData"),
  kind("video_metadata", "Video image metadata", "dict", "VideoMetadata"),
  kind("embedding", "A list of floating point numbers representing a vector embedding.", "List[float]"),
  kind("float", "Float value", "float"),
  kind("float_zero_to_one", "`float` value in range `[0.0, 1.0]`", "float"),
  kind("integer", "Integer value", "int"),
  kind("boolean", "Boolean flag", "bool"),
  kind("string", "String value", "str"),
  kind("list_of_values", "List of values of any type", "List[Any]"),
  kind("dictionary", "Dictionary", "Dict[str, Any]"),
  kind("timestamp", "Timestamp", "str", "datetime"),
  kind("parent_id", "Identifier of parent for step output", "str"),
  kind("prediction_type", "String value with type of prediction", "str"),
  kind("top_class", "String value representing top class predicted by classification model", "str"),
  kind("inference_id", "Inference identifier", "str"),
  kind("roboflow_model_id", "Roboflow model id", "str"),
  kind("roboflow_project", "Roboflow project name", "str"),
  kind("roboflow_api_key", "Roboflow API key", "str"),
  kind("bytes", "This kind represent bytes", "str", "bytes"),
  kind("secret", "Secret value", "str"),
  kind("numpy_array", "Numpy array", "List[Any]", "np.ndarray"),
  kind("rgb_color", "RGB color", "Union[str, Tuple[int, int, int]]"),
  kind("point", "Single point in 2D", "Tuple[int, int]"),
  kind("zone", "Definition of polygon zone", "List[Tuple[int, int]]"),
  kind("contours", "List of numpy arrays where each array represents contour points", "List[List[List[int]]]"),
  kind("image_keypoints", "Image keypoints detected by classical Computer Vision method", "List[dict]"),
  kind("language_model_output", "LLM / VLM output", "str"),
  kind("serialised_payloads", "Serialised element that is usually accepted by sink", "Union[List[Union[str, bytes, dict]], str, bytes, dict]"),
  kind("classification_prediction", "Predictions from classifier", "dict"),
  kind("object_detection_prediction", "Prediction with detected bounding boxes in form of sv.Detections(...) object", "dict", "sv.Detections"),
  kind(
    "instance_segmentation_prediction",
    "Prediction with detected bounding boxes and segmentation masks in form of sv.Detections(...) object",
    "dict",
    "sv.Detections",
  ),
  kind(
    "keypoint_detection_prediction",
    "Prediction with detected bounding boxes and detected keypoints in form of sv.Detections(...) object",
    "dict",
    "sv.Detections",
  ),
  kind("detection", "Single element of detections-based prediction (like `object_detection_prediction`)", "Tuple[np.ndarray, ...]"),
] as const satisfies readonly Kind[];

export type KindName = (typeof KINDS)[number]["name"];

const KIND_BY_NAME: ReadonlyMap<string, Kind> = new Map(KINDS.map((k) => [k.name, k]));

export function isKnownKind(name: string): name is KindName {
  return KIND_BY_NAME.has(name);
}

export function getKind(name: string): Kind | undefined {
  return KIND_BY_NAME.get(name);
}

/** Kind objects for names, as the describe routes list them; an unknown name gets a bare entry. */
export function kindObjects(names: readonly string[]): Kind[] {
  return names.map((name) => getKind(name) ?? { name, description: "", docs: null, serialised_data_type: null, internal_data_type: null });
}

/** A kind entry in a definition may be a name or a kind object `{name: ...}`. */
export function kindNameOf(entry: string | { name: string }): string {
  return typeof entry === "string" ? entry : entry.name;
}

export { kindsCompatible } from "./compatibility.js";

/** The TypeScript value a step receives for a selector of a given kind. */
export interface KindValueMap {
  "*": unknown;
  image: WorkflowImage;
  video_metadata: VideoMetadata;
  embedding: number[];
  float: number;
  float_zero_to_one: number;
  integer: number;
  boolean: boolean;
  string: string;
  secret: string;
  list_of_values: unknown[];
  dictionary: Record<string, unknown>;
  timestamp: Date;
  parent_id: string;
  prediction_type: string;
  top_class: string;
  inference_id: string;
}

export type KindValue<K extends string> = K extends keyof KindValueMap ? KindValueMap[K] : unknown;
