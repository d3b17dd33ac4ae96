/** `sightline validate <workflow.json>`: `{"status":"ok"}` and exit 0, or the error body and exit 1. */
import { toErrorBody } from "../../errors/index.js";
import { compile } from "../../index.js";
import { printJson, readDefinition } from "../io.js";

export async function validateCommand(path: string): Promise<number> {
  try {
    // Compiling alone checks the graph; `ready()` also loads custom code, whose errors are compile errors too.
    const engine = compile(await readDefinition(path));
    try {
      await engine.ready();
    } finally {
      await engine.close();
    }
  } catch (error) {
    printJson(toErrorBody(error));
    return 1;
  }
  printJson({ status: "ok" });
  return 0;
}
