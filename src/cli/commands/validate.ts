/** `sightline validate <workflow.json>`: `{"status":"ok"}` and exit 0, or the error body and exit 1. */
import { toErrorBody } from "../../errors/index.js";
import { validate } from "../../index.js";
import { printJson, readDefinition } from "../io.js";

export async function validateCommand(path: string): Promise<number> {
  try {
    validate(await readDefinition(path));
  } catch (error) {
    printJson(toErrorBody(error));
    return 1;
  }
  printJson({ status: "ok" });
  return 0;
}
