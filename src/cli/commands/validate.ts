/**
 * `sightline validate <workflow.json> [--strict]`: `{"status":"ok","warnings":[…]}` and exit 0,
 * or — thrown, printed by the caller with its body on standard output — the error and exit 1.
 * Each warning is also said on standard error.
 */
import { compile } from "../../index.js";
import { EXIT } from "../failure.js";
import { printJson, readDefinition } from "../io.js";
import { reportWarnings } from "../workflow-names.js";

export async function validateCommand(path: string, options: { strict: boolean }): Promise<number> {
  // Compiling alone checks the graph; `ready()` also loads custom code, whose errors are compile errors too.
  const engine = compile(await readDefinition(path), { strict: options.strict });
  const { plan } = engine;
  try {
    await engine.ready();
  } finally {
    await engine.close();
  }
  reportWarnings("validate", plan);
  printJson({ status: "ok", warnings: plan.warnings });
  return EXIT.ok;
}
