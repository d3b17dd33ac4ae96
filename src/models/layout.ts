/**
 * The transformers.js model-folder layout, the one format sightline reads whether the files came
 * from the hub or from a folder the user maps: JSON metadata files at the top (config.json and
 * what each tower's preprocessing reads) and one ONNX graph per tower and precision under
 * `onnx/`, with large weights optionally in `<graph>_data` files. Which files and graphs a model
 * has is its family's declaration (`family.ts`); how precisions and external data are named is
 * the same for all.
 */
import type { ModelFamily, TowerLayout } from "./family.js";
import type { Dtype } from "./options.js";
import { isJsonObject } from "../definition/json.js";

export const CONFIG_FILE = "config.json";
export const PREPROCESSOR_CONFIG_FILE = "preprocessor_config.json";
export const TOKENIZER_FILE = "tokenizer.json";
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

/** The family's towers, image first. */
export function towersOf(family: ModelFamily): TowerLayout[] {
  return [family.towers.image, family.towers.text].filter((tower): tower is NonNullable<typeof tower> => tower !== undefined);
}

/** config.json, then every file a tower reads, in tower order: what a folder of the family holds besides its graphs. */
export function metadataFiles(family: ModelFamily): string[] {
  return [...new Set([CONFIG_FILE, ...towersOf(family).flatMap((tower) => tower.files)])];
}

const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = {
  fp32: "",
  fp16: "_fp16",
  int8: "_int8",
  uint8: "_uint8",
  q8: "_quantized",
};

/** `onnx/vision_model_int8.onnx` for (`vision_model`, int8). */
export function onnxFile(graph: string, dtype: Dtype): string {
  return `onnx/${graph}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** The precision an ONNX file name stands for, or null for other variants (q4, bnb4, …). */
export function dtypeOfOnnxFile(graph: string, file: string): Dtype | null {
  const name = file.slice(file.lastIndexOf("/") + 1);
  for (const [dtype, suffix] of Object.entries(DTYPE_SUFFIX) as [Dtype, string][]) {
    if (name === `${graph}${suffix}.onnx`) return dtype;
  }
  return null;
}

/** "vision_model.onnx (fp32), vision_model_q4.onnx" — for error messages. */
export function describeOnnxFiles(graph: string, files: readonly string[]): string {
  const graphs = files.filter((file) => /\.onnx$/.test(file) && file.slice(file.lastIndexOf("/") + 1).startsWith(graph));
  if (graphs.length === 0) return `no ${graph}*.onnx at all`;
  return graphs
    .map((file) => {
      const dtype = dtypeOfOnnxFile(graph, file);
      const name = file.slice(file.lastIndexOf("/") + 1);
      return dtype ? `${name} (${dtype})` : name;
    })
    .join(", ");
}

/**
 * External-data files that must sit beside a graph. transformers.js declares them in
 * `config.json` → `transformers.js_config.use_external_data_format`: `true` (one `_data` file),
 * a chunk count, or a map from graph file name to either.
 */
export function externalDataFiles(config: unknown, graph: string): string[] {
  const name = graph.slice(graph.lastIndexOf("/") + 1);
  const jsConfig = isJsonObject(config) ? config["transformers.js_config"] : undefined;
  const setting = isJsonObject(jsConfig) ? jsConfig.use_external_data_format : undefined;
  const value = isJsonObject(setting) ? setting[name] : setting;
  const chunks = value === true ? 1 : typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 0;
  return Array.from({ length: chunks }, (_, i) => `${graph}_data${i === 0 ? "" : `_${i}`}`);
}
