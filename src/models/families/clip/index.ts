/**
 * OpenAI's CLIP, as the transformers.js exports (Xenova's) lay it out: a vision tower and a text
 * tower whose raw projections share one space, compared by cosine similarity.
 */
import { z } from "zod";
import type { ModelFamily, TowerFiles } from "../../family.js";
import { CONFIG_FILE, PREPROCESSOR_CONFIG_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "../../layout.js";
import { ImageProcessor, parseImageProcessorConfig } from "../../preprocessing/image-processor.js";
import { isJsonObject } from "../../../definition/json.js";
import { ClipTokenizer } from "./tokenizer.js";

/** Every version name upstream's CLIP blocks accept, in upstream's order (docs/reference/models.md#versions). */
export const UPSTREAM_CLIP_VERSIONS = ["RN101", "RN50", "RN50x16", "RN50x4", "RN50x64", "ViT-B-16", "ViT-B-32", "ViT-L-14-336px", "ViT-L-14"] as const;

/** Upstream's default `CLIP_VERSION_ID`, used by `clip_comparison@v1`. */
export const DEFAULT_COMPARISON_VERSION = "ViT-B-16";

export interface ClipOptions {
  /** Model `clip_comparison@v1` uses (upstream's `CLIP_VERSION_ID`). */
  comparisonVersion: string;
}

export const clipFamily: ModelFamily<ClipOptions> = {
  id: "clip",
  label: "CLIP",
  versions: {
    hub: {
      "ViT-B-32": "Xenova/clip-vit-base-patch32",
      "ViT-B-16": "Xenova/clip-vit-base-patch16",
      "ViT-L-14": "Xenova/clip-vit-large-patch14",
      "ViT-L-14-336px": "Xenova/clip-vit-large-patch14-336",
    },
    default: "ViT-B-32",
    folderOnly: ["RN50", "RN101", "RN50x4", "RN50x16", "RN50x64"],
  },
  modelTypes: ["clip"],
  towers: {
    image: {
      name: "vision",
      graph: "vision_model",
      input: "pixel_values",
      output: "image_embeds",
      files: [PREPROCESSOR_CONFIG_FILE],
      processor: (files, where) => new ImageProcessor(parseImageProcessorConfig(files[PREPROCESSOR_CONFIG_FILE], `${where}: ${PREPROCESSOR_CONFIG_FILE}`)),
    },
    text: {
      name: "text",
      graph: "text_model",
      input: "input_ids",
      output: "text_embeds",
      attentionMask: "attention_mask",
      files: [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE],
      tokenizer: (files, where) => ClipTokenizer.fromFiles(files[TOKENIZER_FILE], files[TOKENIZER_CONFIG_FILE], contextLength(files), where),
    },
  },
  options: {
    comparisonVersion: { schema: z.string(), default: DEFAULT_COMPARISON_VERSION, env: "CLIP_VERSION_ID" },
  },
};

/** The text tower's `max_position_embeddings` when config.json gives it. */
function contextLength(files: TowerFiles): number | null {
  const config = files[CONFIG_FILE];
  const textConfig = isJsonObject(config) && isJsonObject(config.text_config) ? config.text_config : {};
  return typeof textConfig.max_position_embeddings === "number" ? textConfig.max_position_embeddings : null;
}
