/**
 * `sightline run <workflow.json> --inputs <file.json|file.jsonl>`: every input object through
 * ONE engine, in order, so block state carries from line to line. One line out per line in:
 * `{"outputs": [...]}` or `{"error": {...}}`. What stops the command as a whole — a definition
 * that does not compile, a state file of another workflow, an unreadable inputs file — is said on
 * standard error, its error body the last line of standard output; an unknown `--param` is a
 * usage error, on standard error only.
 */
import { RuntimeInputError, toErrorBody, WorkflowError } from "../../errors/index.js";
import { compile, type CompileOptions } from "../../index.js";
import { resumeFrom, StateFile } from "../../state/file.js";
import { EXIT, ErrorLog, cleanUp, reportFailure, signalExitCode } from "../failure.js";
import { printJson, readDefinition, readInputs } from "../io.js";
import { checkCommandLineNames, reportWarnings } from "../workflow-names.js";

export interface RunInputsOptions {
  inputs: string;
  params: Record<string, unknown>;
  failFast: boolean;
  state?: string;
  stateEvery: number;
  engine: CompileOptions;
}

export async function runInputsCommand(workflowPath: string, options: RunInputsOptions): Promise<number> {
  const stateFile = options.state ? new StateFile(options.state, options.stateEvery, (error) => reportFailure("run", error)) : null;
  const definition = await readDefinition(workflowPath);
  const engine = await resumeFrom(stateFile, (snapshot) => compile(definition, { ...options.engine, snapshot }));
  try {
    checkCommandLineNames(engine.plan, { params: options.params });
  } catch (error) {
    await engine.close();
    throw error;
  }
  reportWarnings("run", engine.plan);

  let stopping: NodeJS.Signals | null = null;
  // a signal stops the reading too: a producer that keeps standard input open must not hold the
  // command (and its state) until it closes
  const stopReading = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    stopping = signal;
    stopReading.abort();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  let failures = 0;
  let fatal = false;
  const errors = new ErrorLog((text) => process.stderr.write(`${text}\n`), "every failed line has its error on standard output");
  const lines = readInputs(options.inputs, stopReading.signal)[Symbol.asyncIterator]();
  // A file's next line is read and its images decoded (and CLIP started on them) while this
  // line runs. Not stdin: waiting there for a next line would hold back this line's answer.
  const readAhead = options.inputs !== "-";
  const runInputs = (value: Record<string, unknown> | undefined) => ({ ...options.params, ...value });
  const next = () => {
    const line = lines.next();
    const ready = readAhead ? line.then((read) => (read.done || read.value.error ? null : engine.prepare(runInputs(read.value.value)))) : null;
    return { line, ready };
  };
  try {
    let upcoming = next();
    for (;;) {
      const read = await upcoming.line;
      if (read.done || stopping) break;
      const input = read.value;
      const { ready } = upcoming;
      if (readAhead) upcoming = next();
      try {
        if (input.error) throw new RuntimeInputError(input.error, { context: "workflow_execution | input_parsing" });
        const outputs = await engine.runSerialised((await ready) ?? runInputs(input.value));
        printJson({ outputs });
      } catch (error) {
        failures++;
        const body = toErrorBody(error);
        printJson({ error: body });
        errors.report(`line ${input.line}`, body);
        if (options.failFast) break;
        if (!(error instanceof WorkflowError)) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
      }
      await stateFile?.ranOnce(engine);
      if (!readAhead) upcoming = next();
    }
  } catch (error) {
    fatal = true;
    reportFailure("run", error, { errorBody: true });
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    const closed = await cleanUp("run", [async () => stateFile?.save(engine), () => engine.close()]);
    fatal ||= !closed || stateFile?.failed === true;
  }
  if (stopping) return signalExitCode(stopping);
  return fatal || failures > 0 ? EXIT.failed : EXIT.ok;
}
