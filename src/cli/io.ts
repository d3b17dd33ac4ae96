/** Small helpers the CLI commands share: argument parsers, reading definitions and inputs, printing, exit codes. */
import { InvalidArgumentError } from "commander";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseDefinitionText } from "../definition/index.js";
import { WorkflowDefinitionError } from "../errors/index.js";

export async function readDefinition(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new WorkflowDefinitionError(`Cannot read workflow definition ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseDefinitionText(text, `Workflow definition ${path}`);
}

/** Commander argument parser for counts (`--threads`, `--batch-size`, …). */
export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError("expected a positive integer");
  return value;
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError("expected a positive number");
  return value;
}

export function printJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

/** `--param name=value`: the value is JSON when it parses as JSON, a string otherwise. */
export function parseParam(text: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = text.indexOf("=");
  if (at <= 0) throw new Error(`--param expects name=value, got "${text}"`);
  const name = text.slice(0, at);
  const raw = text.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare string
  }
  return { ...previous, [name]: value };
}

export interface InputLine {
  /** 1-based line number in the file (1 for a `.json` file). */
  line: number;
  value?: Record<string, unknown>;
  error?: string;
}

/**
 * Yields the input objects of a `.json` file (one object), a `.jsonl` file (one per line), or
 * standard input as JSON Lines (`-`), line by line as they arrive. Aborting `signal` ends the
 * lines at once, even while waiting for one that a producer has not written.
 */
export async function* readInputs(path: string, signal?: AbortSignal): AsyncGenerator<InputLine> {
  if (path === "-") {
    yield* readLines(process.stdin, signal);
    return;
  }
  if (!path.endsWith(".jsonl") && !path.endsWith(".ndjson")) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new WorkflowDefinitionError(`Cannot read inputs ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    yield parseInputObject(text, 1);
    return;
  }
  const stream = createReadStream(path, { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (error: NodeJS.ErrnoException) => reject(new WorkflowDefinitionError(`Cannot read inputs ${path}: ${error.code ?? error.message}`)));
  });
  await opened;
  yield* readLines(stream, signal);
}

async function* readLines(input: NodeJS.ReadableStream, signal: AbortSignal | undefined): AsyncGenerator<InputLine> {
  const lines = createInterface({ input, crlfDelay: Infinity, signal });
  let number = 0;
  for await (const text of lines) {
    number++;
    if (text.trim() === "") continue;
    yield parseInputObject(text, number);
  }
}

function parseInputObject(text: string, line: number): InputLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, error: `line ${line}: not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { line, error: `line ${line}: expected a JSON object mapping input names to values` };
  }
  return { line, value: value as Record<string, unknown> };
}
