/**
 * A model family that exists only for tests, declared exactly as a built-in one is: what
 * `src/models/families/<id>/index.ts` holds. It embeds images only, with its own graph stem,
 * tensor names and preprocessing defaults (a fixed size, bilinear, no crop, mean and std 0.5 —
 * SigLIP's kind rather than CLIP's), so everything the runtime does for it comes from here.
 */
import { isJsonObject } from "../../../src/definition/json.js";
import { ImageProcessor, parseImageProcessorConfig, type ModelFamily } from "../../../src/models/index.js";
import { PREPROCESSOR_CONFIG_FILE } from "../../../src/models/layout.js";

/** The toy's image processor class defaults, laid under the keys its preprocessor_config.json sets. */
export const TOY_PROCESSOR_DEFAULTS = {
  size: { height: 16, width: 16 },
  resample: 2,
  do_center_crop: false,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
};

export const toyFamily: ModelFamily = {
  id: "toy",
  label: "Toy",
  versions: {
    hub: { "toy-v1": "sightline-test/toy-v1" },
    default: "toy-v1",
    folderOnly: ["toy-v0"],
  },
  modelTypes: ["toy"],
  towers: {
    image: {
      name: "backbone",
      graph: "model",
      input: "images",
      output: "features",
      files: [PREPROCESSOR_CONFIG_FILE],
      processor: (files, where) => {
        const config = files[PREPROCESSOR_CONFIG_FILE];
        return new ImageProcessor(parseImageProcessorConfig(isJsonObject(config) ? { ...TOY_PROCESSOR_DEFAULTS, ...config } : config, where));
      },
    },
  },
};
