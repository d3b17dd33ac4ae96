/**
 * The names a command line gives that only the compiled workflow can check — `--param`,
 * `--image-input`, `--video-output`, `--flag-output` — and the warnings the compiler found. A
 * name the workflow does not have is a `UsageError` with the names it does have and a "did you
 * mean" (docs/reference/cli.md#sightline-run): a typo must not run an hour of video for nothing.
 */
import type { CompiledOutput, CompiledWorkflow } from "../compiler/index.js";
import { didYouMean } from "../definition/index.js";
import { UsageError } from "./failure.js";

export interface NamedOnTheCommandLine {
  params?: Readonly<Record<string, unknown>>;
  imageInput?: string;
  videoOutputs?: readonly { output: string }[];
  flagOutputs?: readonly string[];
}

export function checkCommandLineNames(plan: CompiledWorkflow, names: NamedOnTheCommandLine): void {
  const inputs = [...plan.inputsByName.keys()];
  for (const name of Object.keys(names.params ?? {})) {
    if (!plan.inputsByName.has(name)) throw unknownName(`--param ${name}`, "input", name, inputs);
  }
  if (names.imageInput !== undefined && !plan.inputsByName.has(names.imageInput)) {
    throw unknownName("--image-input", "input", names.imageInput, inputs, " for the video frames");
  }
  for (const { output } of names.videoOutputs ?? []) requireOutput(plan, "--video-output", output, "image");
  for (const output of names.flagOutputs ?? []) requireOutput(plan, "--flag-output", output, "boolean");
}

/** The output named, holding the kind asked for (or any kind: a value the compiler cannot type). */
function requireOutput(plan: CompiledWorkflow, option: string, name: string, kind: string): CompiledOutput {
  const outputs = plan.outputs.map((output) => output.name);
  const output = plan.outputs.find((candidate) => candidate.name === name);
  if (!output) throw unknownName(option, "output", name, outputs);
  if (!output.kinds.includes(kind) && !output.kinds.includes("*")) {
    const fitting = plan.outputs.filter((candidate) => candidate.kinds.includes(kind)).map((candidate) => `"${candidate.name}"`);
    throw new UsageError(
      `${option} ${name}: output "${name}" holds ${output.kinds.join(" or ")}, not ${kind === "image" ? "an image" : `a ${kind}`}` +
        (fitting.length > 0 ? `; ${kind} outputs: ${fitting.join(", ")}` : `; the workflow has no ${kind} output`),
    );
  }
  return output;
}

function unknownName(option: string, what: "input" | "output", name: string, known: readonly string[], purpose = ""): UsageError {
  const list = known.length > 0 ? `its ${what}s are ${known.map((k) => `"${k}"`).join(", ")}` : `it has no ${what}s`;
  return new UsageError(`${option}: the workflow has no ${what} named "${name}"${purpose}; ${list}.${didYouMean(name, known)}`);
}

/** The compiler's warnings (step properties the block does not know), one line each on standard error. */
export function reportWarnings(command: string, plan: CompiledWorkflow): void {
  for (const warning of plan.warnings) process.stderr.write(`sightline ${command}: warning: ${warning.message}\n`);
}
