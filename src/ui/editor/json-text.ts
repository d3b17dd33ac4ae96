/**
 * Where a JSON text is broken, with line and column: browsers' `JSON.parse` messages differ and
 * often give neither, so the JSON view checks the text with this small scanner (RFC 8259) first.
 */

export interface JsonTextError {
  /** 0-based offset of the offending character (the text's length at an unexpected end). */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

function describe(text: string, offset: number): string {
  return offset >= text.length ? "the end of the text" : `"${text[offset]}"`;
}

function scan(text: string): void {
  let at = 0;
  const fail = (message: string, offset = at): never => {
    throw new ScanError(offset, message);
  };
  const skipSpace = () => {
    while (at < text.length && " \t\n\r".includes(text[at])) at++;
  };
  const expect = (word: string) => {
    for (let index = 0; index < word.length; index++, at++) if (text[at] !== word[index]) fail(`Unexpected ${describe(text, at)}; expected "${word}".`);
  };
  const string = () => {
    at++;
    while (at < text.length) {
      const character = text[at];
      if (character === '"') {
        at++;
        return;
      }
      if (character === "\\") {
        const escape = text[at + 1];
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) fail("Invalid \\u escape in a string.", at);
          at += 6;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) at += 2;
        else fail("Invalid escape in a string.", at);
        continue;
      }
      if (character < " ") fail("Control character (e.g. a line break) inside a string; strings must end on their line.", at);
      at++;
    }
    fail("Unterminated string.", text.length);
  };
  const number = () => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(at));
    if (!match) fail(`Unexpected ${describe(text, at)}; expected a value.`);
    at += match![0].length;
  };
  const value = (): void => {
    skipSpace();
    const character = text[at];
    if (character === "{") return object();
    if (character === "[") return array();
    if (character === '"') return string();
    if (character === "t") return expect("true");
    if (character === "f") return expect("false");
    if (character === "n") return expect("null");
    return number();
  };
  const object = () => {
    at++;
    skipSpace();
    if (text[at] === "}") {
      at++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[at] !== '"') fail(`Unexpected ${describe(text, at)}; expected a property name in double quotes.`);
      string();
      skipSpace();
      if (text[at] !== ":") fail(`Unexpected ${describe(text, at)}; expected ":".`);
      at++;
      value();
      skipSpace();
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "}") {
        at++;
        return;
      }
      fail(`Unexpected ${describe(text, at)}; expected "," or "}".`);
    }
  };
  const array = () => {
    at++;
    skipSpace();
    if (text[at] === "]") {
      at++;
      return;
    }
    for (;;) {
      value();
      skipSpace();
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "]") {
        at++;
        return;
      }
      fail(`Unexpected ${describe(text, at)}; expected "," or "]".`);
    }
  };
  value();
  skipSpace();
  if (at < text.length) fail(`Unexpected ${describe(text, at)} after the end of the document.`);
}

/** Null when `text` is valid JSON; else the first error and where it is. */
export function locateJsonError(text: string): JsonTextError | null {
  try {
    scan(text);
    return null;
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    const before = text.slice(0, error.offset);
    const line = before.split("\n").length;
    const column = error.offset - before.lastIndexOf("\n");
    return { offset: error.offset, line, column, message: error.message };
  }
}
