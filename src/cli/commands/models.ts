/** `sightline models pull <version>` and `sightline models list`. */
import { listCachedModels, MODEL_FAMILIES, pullModel, type CachedModel, type ModelOptions } from "../../models/index.js";
import { formatBytes } from "../../models/progress.js";
import { printJson } from "../io.js";

export async function pullCommand(version: string, settings: ModelOptions): Promise<number> {
  const result = await pullModel(version, settings);
  if (result.repo === null) {
    process.stderr.write(`${version} is mapped to ${result.folder}: nothing to download.\n`);
  } else {
    const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
    process.stderr.write(`${version} (${result.repo}): ${result.files.length} files, ${formatBytes(bytes)} in ${result.folder}\n`);
  }
  printJson(result);
  return 0;
}

export async function listCommand(settings: ModelOptions, json: boolean): Promise<number> {
  const models = await listCachedModels(settings);
  if (json) {
    printJson(models);
    return 0;
  }
  if (models.length === 0) {
    process.stdout.write("No models cached. Fetch one with: sightline models pull ViT-B-32\n");
    return 0;
  }
  for (const model of models) {
    process.stdout.write(
      `${(model.version ?? model.repo).padEnd(16)} ${formatBytes(model.bytes).padStart(9)}  ${familyLabel(model)}  ${model.repo}  (${precisions(model)})\n    ${model.folder}\n`,
    );
  }
  return 0;
}

function familyLabel(model: CachedModel): string {
  return MODEL_FAMILIES.find((family) => family.id === model.family)?.label ?? "unknown family";
}

/** "vision: fp32, int8; text: fp32", one entry per tower of the family. */
function precisions(model: CachedModel): string {
  const towers = Object.entries(model.dtypes);
  return towers.length === 0 ? "no tower sightline knows" : towers.map(([tower, dtypes]) => `${tower}: ${dtypes.join(", ") || "-"}`).join("; ");
}
