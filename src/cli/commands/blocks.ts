/** `sightline blocks [--json]` and `sightline schema`. */
import { definitionSchema, describeBlocks } from "../../describe/index.js";
import { getDefaultRegistry } from "../../index.js";
import { printJson } from "../io.js";

export function blocksCommand(options: { json?: boolean }): number {
  const registry = getDefaultRegistry();
  if (options.json) {
    printJson(describeBlocks(registry));
    return 0;
  }
  const rows = registry
    .list()
    .map((block) => ({
      type: block.manifest.type,
      aliases: (block.manifest.aliases ?? []).join(", "),
      name: block.manifest.name,
      family: block.manifest.family,
      outputs: block.manifest.outputs.map((o) => o.name).join(", ") || "(flow control)",
    }))
    .sort((a, b) => a.family.localeCompare(b.family) || a.type.localeCompare(b.type));
  let family = "";
  for (const row of rows) {
    if (row.family !== family) {
      family = row.family;
      process.stdout.write(`\n${family}\n`);
    }
    process.stdout.write(`  ${row.type}${row.aliases ? `  (aliases: ${row.aliases})` : ""}\n      ${row.name} → ${row.outputs}\n`);
  }
  return 0;
}

export function schemaCommand(): number {
  printJson(definitionSchema(getDefaultRegistry()));
  return 0;
}
