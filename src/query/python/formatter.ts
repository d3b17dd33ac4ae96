/**
 * Python's `string.Formatter` for named fields (docs/reference/workflows.md#python-semantics):
 * `parse` as CPython's `MarkupIterator` / `parse_field` parse (same errors, same messages), and
 * `vformat` — conversions `!s` `!r` `!a`, format specs holding replacement fields of their own
 * (`{value:{width}}`, two levels at most), each field formatted by a caller-given `formatField`
 * (Python's `Formatter.format_field`, which subclasses override).
 *
 * Fields are looked up by their name as written; positional fields and attribute or index access
 * (`{}`, `{0}`, `{a.b}`, `{a[0]}`) are for the caller to refuse first, as `string_template` does.
 */
import { pyKeyError, pyValueError } from "./errors.js";
import { pythonAscii, pythonRepr, pythonStr } from "./str.js";

export interface ReplacementField {
  /** The field name as written (`{ name }` is `" name "`, as in Python). */
  name: string;
  /** The format spec after `:`, unexpanded; `""` when there is none. */
  spec: string;
  /** The character after `!`, or null. */
  conversion: string | null;
}

/** One item of `Formatter().parse(...)`: literal text, then the field that follows it, if any. */
export interface TemplatePart {
  literal: string;
  field: ReplacementField | null;
}

/** Reads the field that starts at `text[at]` (just after its `{`); returns it and where parsing resumes. */
function parseField(text: string, start: number): { field: ReplacementField; next: number } {
  let at = start;
  let char = "";
  while (at < text.length) {
    char = text[at++];
    if (char === "{") throw pyValueError("unexpected '{' in field name");
    if (char === "[") {
      while (at < text.length && text[at] !== "]") at++;
      continue;
    }
    if (char === "}" || char === ":" || char === "!") break;
  }
  const name = text.slice(start, at - 1);
  if (char !== "!" && char !== ":") {
    if (char !== "}") throw pyValueError("expected '}' before end of string");
    return { field: { name, spec: "", conversion: null }, next: at };
  }
  let conversion: string | null = null;
  if (char === "!") {
    if (at >= text.length) throw pyValueError("end of string while looking for conversion specifier");
    conversion = String.fromCodePoint(text.codePointAt(at) as number);
    at += conversion.length;
    if (at < text.length) {
      const after = text[at++];
      if (after === "}") return { field: { name, spec: "", conversion }, next: at };
      if (after !== ":") throw pyValueError("expected ':' after conversion specifier");
    }
  }
  const specStart = at;
  let depth = 1;
  while (at < text.length) {
    const next = text[at++];
    if (next === "{") depth++;
    else if (next === "}" && --depth === 0) return { field: { name, spec: text.slice(specStart, at - 1), conversion }, next: at };
  }
  throw pyValueError("unmatched '{' in format spec");
}

/** `string.Formatter().parse(text)`: lazy, as Python's, so text before a syntax error is read first. */
function* iterateFormatString(text: string): Generator<TemplatePart> {
  let at = 0;
  while (at < text.length) {
    const start = at;
    let brace = "";
    while (at < text.length) {
      const char = text[at++];
      if (char === "{" || char === "}") {
        brace = char;
        break;
      }
    }
    if (brace === "") {
      yield { literal: text.slice(start), field: null };
      return;
    }
    const atEnd = at >= text.length;
    if (brace === "}" && (atEnd || text[at] !== "}")) throw pyValueError("Single '}' encountered in format string");
    if (brace === "{" && atEnd) throw pyValueError("Single '{' encountered in format string");
    if (text[at] === brace) {
      // `{{` or `}}`: the literal keeps one brace.
      yield { literal: text.slice(start, at), field: null };
      at++;
      continue;
    }
    const { field, next } = parseField(text, at);
    yield { literal: text.slice(start, at - 1), field };
    at = next;
  }
}

/** `list(string.Formatter().parse(text))`. */
export function parseFormatString(text: string): TemplatePart[] {
  return [...iterateFormatString(text)];
}

/** `Formatter.convert_field`. */
function convert(value: unknown, conversion: string | null): unknown {
  switch (conversion) {
    case null:
      return value;
    case "s":
      return pythonStr(value);
    case "r":
      return pythonRepr(value);
    case "a":
      return pythonAscii(value);
    default:
      throw pyValueError(`Unknown conversion specifier ${conversion}`);
  }
}

/** `Formatter.vformat` allows a format spec's fields, and theirs, and no deeper. */
const MAX_SPEC_NESTING = 2;

/**
 * `Formatter().vformat(text, (), values)` with `format_field` replaced by `formatField`, which
 * also formats the fields inside format specs (with the spec they have, usually `""`).
 */
export function pythonVformat(text: string, values: Readonly<Record<string, unknown>>, formatField: (value: unknown, spec: string) => string): string {
  const render = (template: string, depth: number): string => {
    if (depth < 0) throw pyValueError("Max string recursion exceeded");
    let result = "";
    for (const { literal, field } of iterateFormatString(template)) {
      result += literal;
      if (field === null) continue;
      if (!Object.hasOwn(values, field.name)) throw pyKeyError(pythonRepr(field.name));
      const value = convert(values[field.name], field.conversion);
      result += formatField(value, render(field.spec, depth - 1));
    }
    return result;
  };
  return render(text, MAX_SPEC_NESTING);
}
