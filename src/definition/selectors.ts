/**
 * The selector grammar (docs/reference/workflows.md#selectors), once for the engine and the editor:
 * a value names a workflow input (`$inputs.<name>`), one output of a step
 * (`$steps.<step>.<output>`, or `*` for all of them) or a step itself (`$steps.<step>`, for flow
 * control). No Node import: the browser bundle reads definitions with it too.
 *
 * The patterns are exported as regular expressions because zod schemas validate with them and
 * their source becomes the `pattern` of the JSON Schema that the describe routes serve.
 */

/** What a step or input name is made of, as selectors spell it. */
const NAME_CHARACTERS = "A-Za-z_0-9-";
const NAME = `[${NAME_CHARACTERS}]+`;
/** An output name, or `*` for all of a step's outputs (`*` sits where the published pattern has it). */
const OUTPUT = "[A-Za-z_*0-9-]+";
const INPUT = `\\$inputs\\.${NAME}`;
const STEP = `\\$steps\\.${NAME}`;

/** A step name: letters, digits, `_` and `-`. */
export const NAME_PATTERN = new RegExp(`^${NAME}$`);
/** `$inputs.<name>`. */
export const INPUT_SELECTOR = new RegExp(`^${INPUT}$`);
/** `$steps.<step>`. */
export const STEP_SELECTOR = new RegExp(`^${STEP}$`);
/** `$inputs.<name>` or `$steps.<step>.<output>`: a value an input or a step produces. */
export const DATA_SELECTOR = new RegExp(`^(${INPUT}|${STEP}\\.${OUTPUT})$`);

const PARTS = new RegExp(`^\\$(?:inputs\\.(${NAME})|steps\\.(${NAME})(?:\\.(${OUTPUT}))?)$`);
const NOT_NAME = new RegExp(`[^${NAME_CHARACTERS}]+`, "g");

/** A selector read into its parts. */
export type Selector = { type: "input"; input: string } | { type: "output"; step: string; output: string } | { type: "step"; step: string };

/** Anything starting with `$` is a selector to the engine (docs/reference/workflows.md#selectors), well formed or not. */
export function isSelector(value: unknown): value is string {
  return typeof value === "string" && value.startsWith("$");
}

/** The parts of a well-formed selector; null for anything else. */
export function parseSelector(value: unknown): Selector | null {
  if (typeof value !== "string") return null;
  const match = PARTS.exec(value);
  if (!match) return null;
  if (match[1] !== undefined) return { type: "input", input: match[1] };
  if (match[3] !== undefined) return { type: "output", step: match[2], output: match[3] };
  return { type: "step", step: match[2] };
}

export function formatSelector(selector: Selector): string {
  switch (selector.type) {
    case "input":
      return `$inputs.${selector.input}`;
    case "output":
      return `$steps.${selector.step}.${selector.output}`;
    case "step":
      return `$steps.${selector.step}`;
  }
}

/** The selector's last name — the input's, the output's or the step's. */
export function lastName(selector: Selector): string {
  switch (selector.type) {
    case "input":
      return selector.input;
    case "output":
      return selector.output;
    case "step":
      return selector.step;
  }
}

/** `text` with each run of characters a name cannot hold replaced by `_`. */
export function replaceNonNameCharacters(text: string): string {
  return text.replace(NOT_NAME, "_");
}
