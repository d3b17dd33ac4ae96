/**
 * Local File Sink (`roboflow_core/local_file_sink@v1`, docs/reference/blocks.md#local-file-sink):
 * writes the step's string content to files, as upstream does — one new file per run
 * (`separate_files`), or appended to a log (`append_log`) that rotates to a new file after
 * `max_entries_per_file` entries; CSV appends lose their header line, JSON appends become JSON
 * Lines (`.jsonl`). File names are `<prefix>_<YYYY_MM_DD_HH_MM_SS_microseconds>.<ext>`, local
 * time. Which log is open and how many entries it has is the step's state, so a pipeline resumed
 * from a checkpoint appends to the same file. Files go only where the sink policy allows.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { defineBlock, literalOrSelector, selector, type StepContext } from "../../block-api/index.js";
import { pythonJsonDumps } from "../../query/index.js";
import { count } from "../state-schemas.js";
import { pathRefusal, resolveSinkPath } from "./policy.js";
import { disabledMessage, sinkServiceOf } from "./sink-step.js";

const appendLogState = z.strictObject({ file: z.string().nullable(), entries: count });
type AppendLogState = z.output<typeof appendLogState>;

interface SinkOutcome {
  error_status: boolean;
  message: string;
}

const SAVED: SinkOutcome = { error_status: false, message: "Data saved successfully" };

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/** Python's `datetime.now().strftime("%Y_%m_%d_%H_%M_%S_%f")`, microseconds from the high-resolution clock. */
export function fileTimestamp(epochMs: number): string {
  const date = new Date(Math.floor(epochMs));
  const micros = Math.floor((epochMs % 1000) * 1000);
  return `${date.getFullYear()}_${pad(date.getMonth() + 1)}_${pad(date.getDate())}_${pad(date.getHours())}_${pad(date.getMinutes())}_${pad(date.getSeconds())}_${pad(micros, 6)}`;
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Creates a new file `<stem><timestamp>.<extension>` holding `content`; never overwrites one
 * (a name taken within the same microsecond moves on by a microsecond). Returns its path.
 */
function createNewFile(stem: string, extension: string, content: string): string {
  mkdirSync(dirname(stem), { recursive: true });
  for (let epochMs = nowMs(); ; epochMs += 0.001) {
    const path = `${stem}${fileTimestamp(epochMs)}.${extension}`;
    try {
      writeFileSync(path, content, { flag: "wx" });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

function withNewline(content: string): string {
  return content.endsWith("\n") ? content : `${content}\n`;
}

/** Upstream's `deduct_csv_header`: everything after the first line. */
function withoutCsvHeader(content: string): string {
  return content.split("\n").slice(1).join("\n");
}

interface Target {
  /** Every file's path up to its timestamp: `<directory>/<prefix>_`, absolute. */
  readonly stem: string;
  readonly fileType: "csv" | "json" | "txt";
}

function saveSeparateFile(target: Target, content: string): SinkOutcome {
  try {
    createNewFile(target.stem, target.fileType, withNewline(content));
    return SAVED;
  } catch (error) {
    return { error_status: true, message: (error as Error).message };
  }
}

function appendToLog(ctx: StepContext<AppendLogState>, target: Target, content: string, maxEntries: number): SinkOutcome {
  let entry = content;
  if (target.fileType === "json") {
    try {
      entry = pythonJsonDumps(JSON.parse(content));
    } catch {
      return { error_status: true, message: "Invalid JSON content" };
    }
  }
  const { file, entries } = ctx.state;
  // a new log when none is open, when it is full, or when the step now writes elsewhere
  if (file === null || entries >= maxEntries || !file.startsWith(target.stem)) {
    try {
      const path = createNewFile(target.stem, target.fileType === "json" ? "jsonl" : target.fileType, withNewline(entry));
      ctx.state = { file: path, entries: 1 };
      return SAVED;
    } catch {
      return { error_status: true, message: "Could not create new sink file" };
    }
  }
  try {
    appendFileSync(file, withNewline(target.fileType === "csv" ? withoutCsvHeader(entry) : entry));
  } catch {
    return { error_status: true, message: "Could not append content to append log" };
  }
  ctx.state = { file, entries: entries + 1 };
  return SAVED;
}

export const localFileSinkBlock = defineBlock({
  manifest: {
    type: "roboflow_core/local_file_sink@v1",
    name: "Local File Sink",
    family: "sinks",
    description: "Save data to a local file.",
    properties: z.object({
      content: selector(["string"]).describe("String content to save as a file"),
      file_type: z.enum(["csv", "json", "txt"]).default("csv").describe("Type of file to create (JSON becomes JSON Lines in append_log mode)"),
      output_mode: z.enum(["append_log", "separate_files"]).describe("append_log: entries appended to one file; separate_files: one file per input"),
      target_directory: literalOrSelector(z.string(), ["string"]).describe("Directory where files are saved"),
      file_name_prefix: literalOrSelector(z.string(), ["string"]).default("workflow_output").describe("Prefix of the generated file names"),
      max_entries_per_file: literalOrSelector(z.int().min(1, { error: "`max_entries_per_file` cannot be lower than 1." }), ["string"])
        .default(1024)
        .describe("Entries per file in append_log mode before a new file is started"),
    }),
    outputs: [
      { name: "error_status", kinds: ["boolean"] },
      { name: "message", kinds: ["string"] },
    ],
    compatibility: ">=1.3.0,<2.0.0",
  },
  state: { schema: appendLogState, initial: (): AppendLogState => ({ file: null, entries: 0 }), scope: "step" },
  run(inputs, ctx) {
    const sinks = sinkServiceOf(ctx);
    const disabledBy = sinks.disabledBy();
    if (disabledBy) return { error_status: false, message: disabledMessage(disabledBy) };
    const target: Target = { stem: join(resolveSinkPath(sinks.policy, inputs.target_directory), `${inputs.file_name_prefix}_`), fileType: inputs.file_type };
    const refusal = pathRefusal(sinks.policy, target.stem);
    if (refusal) {
      sinks.count(ctx.blockType, "refused");
      return { error_status: true, message: refusal };
    }
    // a selector may give it as a string (upstream's kind for it)
    const maxEntries = Number(inputs.max_entries_per_file);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) return { error_status: true, message: "`max_entries_per_file` cannot be lower than 1." };
    const outcome = inputs.output_mode === "separate_files" ? saveSeparateFile(target, inputs.content) : appendToLog(ctx, target, inputs.content, maxEntries);
    sinks.count(ctx.blockType, outcome.error_status ? "failed" : "sent");
    return outcome;
  },
});
