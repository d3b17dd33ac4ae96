/**
 * Detections as blocks pass them to each other (kind `object_detection_prediction`): what
 * upstream keeps in `sv.Detections`, held as plain readonly records — boxes as corners (xyxy) in
 * pixels of the image they were found on, confidence, class, ids and lineage. Models make them;
 * filters, crops, drawing and the query language read them and make new ones (`filter`, `with`),
 * never change them. The JSON a run answers is upstream's `serialise_sv_detections`
 * (docs/reference/blocks.md#detections-json), made by `toJSON`, which the result serialiser calls.
 */

import type { ImageOrigin } from "../images/index.js";

export type { ImageOrigin } from "../images/index.js";

/** The kinds of detections a block takes and gives (sightline makes object detections only; upstream's blocks accept all three). */
export const DETECTION_KINDS = ["object_detection_prediction", "instance_segmentation_prediction", "keypoint_detection_prediction"] as const;

/** Corners in pixels of the image the detection was found on: left, top, right, bottom. */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface Detection {
  readonly box: Box;
  readonly confidence: number;
  readonly classId: number;
  readonly className: string;
  /** A UUID per detection: what a crop of it names as its parent. */
  readonly detectionId: string;
  /** The image it was found on (its `parent_id`); a crop's detections name the crop. */
  readonly parentId: string;
  /** The workflow input the image descends from (equal to `parentId` for an input image). */
  readonly rootParentId: string;
  /** For detections on a crop: where the crop sits in its parent image and in the root (else absent or null). */
  readonly parentOrigin?: ImageOrigin | null;
  readonly rootParentOrigin?: ImageOrigin | null;
  /** The model call that made it; null for detections not made by a model. */
  readonly inferenceId: string | null;
}

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** One detection in upstream's `/workflows/run` JSON (`serialise_sv_detections`), keys in its order. */
export interface SerialisedDetection {
  width: number;
  height: number;
  x: number;
  y: number;
  confidence: number;
  class_id: number;
  class: string;
  detection_id: string;
  parent_id: string;
  /** Only for detections on a crop (`parent_id` ≠ `root_parent_id`), as upstream adds them. */
  parent_origin?: ImageOrigin;
  root_parent_id?: string;
  root_parent_origin?: ImageOrigin;
}

export interface SerialisedDetections {
  /** Null and null when there are no detections: upstream reads the size from the detections themselves. */
  image: { width: number | null; height: number | null };
  predictions: SerialisedDetection[];
}

export class Detections {
  /** The detections in order (a model gives them by confidence, highest first). */
  readonly items: readonly Detection[];

  constructor(
    /** The image the boxes are in; a model's detections and every subset of them keep it. */
    readonly image: ImageSize,
    items: readonly Detection[],
  ) {
    this.items = Object.freeze([...items]);
  }

  get length(): number {
    return this.items.length;
  }

  /** The detections `keep` accepts, in order, on the same image. */
  filter(keep: (detection: Detection, index: number) => boolean): Detections {
    return new Detections(this.image, this.items.filter(keep));
  }

  /** Other detections on the same image (sorted, cut, or with fields changed). */
  with(items: readonly Detection[]): Detections {
    return new Detections(this.image, items);
  }

  /** Upstream's serialised form: centre, size and class of each box, and the image size. */
  toJSON(): SerialisedDetections {
    const image = this.items.length > 0 ? { width: this.image.width, height: this.image.height } : { width: null, height: null };
    return { image, predictions: this.items.map(serialiseDetection) };
  }
}

export function isDetections(value: unknown): value is Detections {
  return value instanceof Detections;
}

/** `serialise_sv_detections` for one box: size first, then the centre from the corner, as upstream computes them. */
function serialiseDetection(detection: Detection): SerialisedDetection {
  const { x1, y1, x2, y2 } = detection.box;
  const width = Math.abs(x2 - x1);
  const height = Math.abs(y2 - y1);
  const serialised: SerialisedDetection = {
    width,
    height,
    x: x1 + width / 2,
    y: y1 + height / 2,
    confidence: detection.confidence,
    class_id: detection.classId,
    class: detection.className,
    detection_id: detection.detectionId,
    parent_id: detection.parentId,
  };
  if (detection.parentId === detection.rootParentId) return serialised;
  if (detection.parentOrigin) serialised.parent_origin = { ...detection.parentOrigin };
  serialised.root_parent_id = detection.rootParentId;
  if (detection.rootParentOrigin) serialised.root_parent_origin = { ...detection.rootParentOrigin };
  return serialised;
}
