/**
 * `sightline run <workflow.json> --inputs <file.json|file.jsonl>`: every input object through
 * ONE engine, in order, so block state carries from line to line. One line out per line in:
 * `{"outputs": [...]}` or `{"error": {...}}`.
 */
import { readFile } from "node:fs/promises";
import { RuntimeInputError, toErrorBody, WorkflowError } from "../../errors/index.js";
import { compile, type CompileOptions } from "../../index.js";
import { SnapshotError, type EngineSnapshot } from "../../state/store.js";
import { printJson, readDefinition, readInputs, writeFileAtomic } from "../io.js";

export interface RunInputsOptions {
  inputs: string;
  params: Record<string, unknown>;
  failFast: boolean;
  state?: string;
  stateEvery: number;
  engine: CompileOptions;
}

async function loadSnapshot(path: string): Promise<EngineSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SnapshotError(`Cannot read state file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as EngineSnapshot;
  } catch (error) {
    throw new SnapshotError(`State file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export async function runInputsCommand(workflowPath: string, options: RunInputsOptions): Promise<number> {
  let engine;
  try {
    const definition = await readDefinition(workflowPath);
    const snapshot = options.state ? await loadSnapshot(options.state) : undefined;
    engine = compile(definition, { ...options.engine, snapshot });
  } catch (error) {
    printJson(toErrorBody(error));
    return 1;
  }

  let stopping: NodeJS.Signals | null = null;
  const stop = (signal: NodeJS.Signals) => {
    stopping = signal;
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  let sinceSnapshot = 0;
  const saveState = async () => {
    if (options.state) await writeFileAtomic(options.state, JSON.stringify(engine.snapshot()));
    sinceSnapshot = 0;
  };

  let failures = 0;
  try {
    for await (const input of readInputs(options.inputs)) {
      if (stopping) break;
      try {
        if (input.error) throw new RuntimeInputError(input.error, { context: "workflow_execution | input_parsing" });
        const outputs = await engine.runSerialised({ ...options.params, ...input.value });
        printJson({ outputs });
      } catch (error) {
        failures++;
        const body = toErrorBody(error);
        printJson({ error: body });
        process.stderr.write(`line ${input.line}: ${body.error_type}: ${body.message}\n`);
        if (options.failFast) break;
        if (!(error instanceof WorkflowError)) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
      }
      if (options.state && ++sinceSnapshot >= options.stateEvery) await saveState();
    }
  } catch (error) {
    printJson({ error: toErrorBody(error) });
    failures++;
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    await saveState();
    await engine.services.close();
  }
  if (stopping) return stopping === "SIGINT" ? 130 : 143;
  return failures > 0 ? 1 : 0;
}
