/**
 * Python `re` patterns as JavaScript `RegExp`s, for `re.search`. Covers the syntax that differs
 * in everyday patterns:
 * - named groups `(?P<name>…)` / `(?P=name)`, comments `(?#…)`, leading flags `(?i)` `(?s)` `(?m)`;
 * - `\A`, `\Z`, and `$` (which in Python also matches before a final newline);
 * - `\d` and `\w` are Unicode-aware in Python 3 (JavaScript's are ASCII);
 * - `{` that does not start a quantifier, and a lone `]`, are literals; `{,n}` means `{0,n}`;
 * - escaped punctuation that JavaScript's `u` mode rejects (`\'`, `\#`, …).
 * `\b`, `\s` keep JavaScript's (ASCII-based) meaning. Verbose mode `(?x)`, scoped flags and
 * conditionals are refused with a clear message.
 */
import { pyValueError } from "./errors.js";

const SYNTAX_CHARACTERS = new Set("^$\\.*+?()[]{}|/");
const WORD = "\\p{L}\\p{N}_";
const QUANTIFIER = /^\{(\d*)(?:(,)(\d*))?\}/;

interface Translation {
  source: string;
  flags: string;
}

function leadingFlags(pattern: string): { rest: string; flags: Set<string> } {
  const flags = new Set<string>();
  let rest = pattern;
  for (let match = /^\(\?([aiLmsux]+)\)/.exec(rest); match; match = /^\(\?([aiLmsux]+)\)/.exec(rest)) {
    for (const flag of match[1]) flags.add(flag);
    rest = rest.slice(match[0].length);
  }
  return { rest, flags };
}

function translate(pattern: string): Translation {
  const { rest, flags } = leadingFlags(pattern);
  if (flags.has("x")) throw pyValueError("verbose regular expressions (?x) are not supported");
  if (flags.has("L")) throw pyValueError("locale-dependent regular expressions (?L) are not supported");
  const ascii = flags.has("a");
  const multiline = flags.has("m");
  let out = "";
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const char = rest[i];
    if (char === "\\") {
      const next = rest[i + 1];
      if (next === undefined) throw pyValueError("bad escape (end of pattern)");
      i++;
      out += translateEscape(next, rest, i, inClass, ascii);
      if (next === "U") i += 8;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      out += char === "[" ? "\\[" : char;
      continue;
    }
    switch (char) {
      case "[": {
        inClass = true;
        out += "[";
        if (rest[i + 1] === "^") {
          out += "^";
          i++;
        }
        // Python reads a `]` right after the opening bracket as a literal.
        if (rest[i + 1] === "]") {
          out += "\\]";
          i++;
        }
        break;
      }
      case "(": {
        const group = translateGroupOpening(rest, i);
        out += group.text;
        i = group.end;
        break;
      }
      case "{": {
        const quantifier = QUANTIFIER.exec(rest.slice(i));
        // As in Python's parser: `{}` is a literal, `{,}` and `{,n}` start at zero.
        if (quantifier && quantifier[0] !== "{}") {
          out += quantifier[2] ? `{${quantifier[1] || "0"},${quantifier[3]}}` : `{${quantifier[1]}}`;
          i += quantifier[0].length - 1;
        } else out += "\\{";
        break;
      }
      case "}":
      case "]":
        out += `\\${char}`;
        break;
      case "$":
        out += multiline ? "$" : "(?=\\n?(?![\\s\\S]))";
        break;
      default:
        out += char;
    }
  }
  if (inClass) throw pyValueError("unterminated character set");
  let jsFlags = "u";
  if (flags.has("i")) jsFlags += "i";
  if (multiline) jsFlags += "m";
  if (flags.has("s")) jsFlags += "s";
  return { source: out, flags: jsFlags };
}

function translateEscape(next: string, pattern: string, at: number, inClass: boolean, ascii: boolean): string {
  switch (next) {
    case "d":
      return ascii ? "\\d" : "\\p{Nd}";
    case "D":
      return ascii || inClass ? "\\D" : "\\P{Nd}";
    case "w":
      if (ascii) return "\\w";
      return inClass ? WORD : `[${WORD}]`;
    case "W":
      return ascii || inClass ? "\\W" : `[^${WORD}]`;
    case "A":
      return "(?<![\\s\\S])";
    case "Z":
      return "(?![\\s\\S])";
    case "U": {
      const digits = pattern.slice(at + 1, at + 9);
      if (!/^[0-9a-fA-F]{8}$/.test(digits)) throw pyValueError(`incomplete escape \\U${digits}`);
      return `\\u{${digits}}`;
    }
    case "N":
      throw pyValueError("named Unicode escapes \\N{...} are not supported");
  }
  if (/[0-9A-Za-z]/.test(next)) return `\\${next}`;
  if (SYNTAX_CHARACTERS.has(next) || (inClass && next === "-")) return `\\${next}`;
  // Python allows escaping any punctuation; JavaScript's `u` mode only the syntax characters.
  return next;
}

function translateGroupOpening(pattern: string, at: number): { text: string; end: number } {
  const head = pattern.slice(at);
  const named = /^\(\?P<([^>]+)>/.exec(head);
  if (named) return { text: `(?<${named[1]}>`, end: at + named[0].length - 1 };
  const backReference = /^\(\?P=([^)]+)\)/.exec(head);
  if (backReference) return { text: `\\k<${backReference[1]}>`, end: at + backReference[0].length - 1 };
  if (head.startsWith("(?#")) {
    const close = pattern.indexOf(")", at);
    if (close < 0) throw pyValueError("missing ), unterminated comment");
    return { text: "", end: close };
  }
  if (/^\(\?[aiLmsux-]+[:)]/.test(head)) throw pyValueError("inline flags are supported only at the start of the pattern");
  if (head.startsWith("(?(")) throw pyValueError("conditional groups (?(id)yes|no) are not supported");
  return { text: "(", end: at };
}

/** Compiles a Python pattern for `re.search`; a `PythonError` (ValueError) says what is wrong. */
export function compilePythonRegex(pattern: string): RegExp {
  const { source, flags } = translate(pattern);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw pyValueError(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}
