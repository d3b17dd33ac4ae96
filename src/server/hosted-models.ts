/**
 * Routes of upstream's server for models sightline does not run
 * (docs/reference/http.md#models-sightline-does-not-run): Roboflow-hosted models by model id (and
 * the model registry that loads them), and the foundation models other than CLIP. Roboflow's
 * Python SDK calls them from `infer`, `list_loaded_models`, `load_model`, `ocr_image`,
 * `sam2_segment_image`, `infer_from_yolo_world` and the like; each answers 501
 * `ModelNotAvailableError` saying what to do instead, rather than a bare 404.
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "./errors.js";

interface UnavailableRoute {
  method: "GET" | "POST";
  path: string;
  /** What the route would run, for the message. */
  what: string;
}

const ROBOFLOW_MODEL = "a Roboflow model by its id";

/** Upstream's routes that the SDK calls, grouped by the model they need. */
export const UNAVAILABLE_MODEL_ROUTES: readonly UnavailableRoute[] = [
  { method: "GET", path: "/model/registry", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/model/add", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/model/remove", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/model/clear", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/infer/object_detection", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/infer/instance_segmentation", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/infer/classification", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/infer/keypoints_detection", what: ROBOFLOW_MODEL },
  { method: "POST", path: "/infer/lmm", what: "large multimodal models" },
  { method: "POST", path: "/infer/depth-estimation", what: "depth estimation" },
  { method: "POST", path: "/sam2/segment_image", what: "SAM 2" },
  { method: "POST", path: "/sam3/concept_segment", what: "SAM 3" },
  { method: "POST", path: "/sam3/visual_segment", what: "SAM 3" },
  { method: "POST", path: "/sam3/embed_image", what: "SAM 3" },
  { method: "POST", path: "/sam3_3d/infer", what: "SAM 3D" },
  { method: "POST", path: "/yolo_world/infer", what: "YOLO-World" },
  { method: "POST", path: "/perception_encoder/embed_image", what: "Perception Encoder" },
  { method: "POST", path: "/perception_encoder/embed_text", what: "Perception Encoder" },
  { method: "POST", path: "/doctr/ocr", what: "OCR models" },
  { method: "POST", path: "/ocr/trocr", what: "OCR models" },
  { method: "POST", path: "/easy_ocr/ocr", what: "OCR models" },
  { method: "POST", path: "/ocr/pp-ocr", what: "OCR models" },
];

const INSTEAD =
  "The models sightline runs are CLIP's: POST /clip/embed_image, /clip/embed_text and /clip/compare, or a workflow with roboflow_core/clip@v1 " +
  "(POST /workflows/run with {specification, inputs}; the Python SDK's run_workflow(specification=…)).";

function modelNotAvailable(route: UnavailableRoute): HttpError {
  const why =
    route.what === ROBOFLOW_MODEL
      ? `sightline does not run ${ROBOFLOW_MODEL} (${route.method} ${route.path}): those models and their weights are served by Roboflow's API, which sightline never calls.`
      : `sightline does not run ${route.what} (${route.method} ${route.path}).`;
  return new HttpError(501, "ModelNotAvailableError", `${why} ${INSTEAD}`, { context: "model_retrieval" });
}

export function registerHostedModelRoutes(app: FastifyInstance): void {
  for (const route of UNAVAILABLE_MODEL_ROUTES) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async () => {
        throw modelNotAvailable(route);
      },
    });
  }
}
