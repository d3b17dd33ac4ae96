#!/usr/bin/env node
/** The `sightline` command line. Each command lives in `commands/`; this file only parses arguments. */
import { Command, InvalidArgumentError, Option } from "commander";
import { blocksCommand, schemaCommand } from "./commands/blocks.js";
import { runInputsCommand } from "./commands/run-inputs.js";
import { validateCommand } from "./commands/validate.js";
import { parseParam } from "./io.js";

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError("expected a positive integer");
  return value;
}

function param(text: string, previous: Record<string, unknown>): Record<string, unknown> {
  try {
    return parseParam(text, previous);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

const program = new Command()
  .name("sightline")
  .description("Run Roboflow-compatible computer-vision workflows with embeddings on images and video.")
  .version("0.1.0")
  .showHelpAfterError();

program
  .command("validate")
  .description('Check a workflow definition: prints {"status":"ok"} or the error body (exit 1)')
  .argument("<workflow>", "workflow definition (JSON file)")
  .action(async (workflow: string) => {
    process.exitCode = await validateCommand(workflow);
  });

program
  .command("run")
  .description("Run a workflow on input objects, one engine for all of them (state carries over)")
  .argument("<workflow>", "workflow definition (JSON file)")
  .requiredOption("--inputs <file>", "inputs: a .json file with one object, or a .jsonl file with one object per line")
  .option("--param <name=value>", "value for a workflow input, for every run (JSON or a string); repeatable", param, {})
  .option("--fail-fast", "stop at the first failing run", false)
  .option("--state <file>", "load block state from this file at start and save it there (atomically)")
  .option("--state-every <n>", "save the state every N runs (and on exit)", positiveInteger, 100)
  .addOption(new Option("--state-scope <scope>", "stream: state per stream; step: one state per step (upstream)").choices(["stream", "step"]).default("stream"))
  .action(async (workflow: string, options: { inputs: string; param: Record<string, unknown>; failFast: boolean; state?: string; stateEvery: number; stateScope: "stream" | "step" }) => {
    process.exitCode = await runInputsCommand(workflow, {
      inputs: options.inputs,
      params: options.param,
      failFast: options.failFast,
      state: options.state,
      stateEvery: options.stateEvery,
      engine: { stateScope: options.stateScope, imageLoading: { allowLocalFiles: true } },
    });
  });

program
  .command("blocks")
  .description("List the blocks sightline can run")
  .option("--json", "the full description (JSON Schema of every block, kinds, connections)", false)
  .action((options: { json: boolean }) => {
    process.exitCode = blocksCommand(options);
  });

program
  .command("schema")
  .description("Print the JSON Schema of a workflow definition")
  .action(() => {
    process.exitCode = schemaCommand();
  });

await program.parseAsync(process.argv);
