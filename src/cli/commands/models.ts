/** `sightline models pull <version>` and `sightline models list`. */
import { formatBytes, listCachedModels, pullModel, type ModelOptions } from "../../models/index.js";
import { printJson } from "../io.js";

export async function pullCommand(version: string, settings: ModelOptions): Promise<number> {
  try {
    const result = await pullModel(version, settings);
    if (result.repo === null) {
      process.stderr.write(`${version} is mapped to ${result.folder}: nothing to download.\n`);
    } else {
      const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
      process.stderr.write(`${version} (${result.repo}): ${result.files.length} files, ${formatBytes(bytes)} in ${result.folder}\n`);
    }
    printJson(result);
    return 0;
  } catch (error) {
    process.stderr.write(`sightline models pull: ${(error as Error).message}\n`);
    return 1;
  }
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
    const precisions = `vision: ${model.dtypes.vision.join(", ") || "-"}; text: ${model.dtypes.text.join(", ") || "-"}`;
    process.stdout.write(
      `${(model.version ?? model.repo).padEnd(16)} ${formatBytes(model.bytes).padStart(9)}  ${model.repo}  (${precisions})\n    ${model.folder}\n`,
    );
  }
  return 0;
}
