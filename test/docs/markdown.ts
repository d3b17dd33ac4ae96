/**
 * The fenced code blocks of a Markdown file, with the attributes of their info string.
 *
 * A block is marked for the doc tests by words after its language, which GitHub does not show:
 *
 *     ```json test=workflow name=scores
 *
 * `key=value` words become attributes; a bare word is an attribute whose value is "true".
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface DocBlock {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  attrs: Readonly<Record<string, string>>;
  body: string;
}

const OPENING = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/;

export function parseBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const opening = OPENING.exec(lines[i]);
    if (!opening) continue;
    const fence = opening[1];
    const [lang = "", ...words] = opening[2].trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !isClosing(lines[j], fence)) body.push(lines[j++]);
    blocks.push({ file, line: i + 1, lang, attrs: parseAttributes(words), body: body.join("\n") });
    i = j;
  }
  return blocks;
}

function isClosing(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === fence[0].repeat(trimmed.length);
}

function parseAttributes(words: readonly string[]): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const word of words) {
    const at = word.indexOf("=");
    if (at < 0) attrs[word] = "true";
    else attrs[word.slice(0, at)] = word.slice(at + 1);
  }
  return attrs;
}

/** `file:line`, for test names and failure messages. */
export function where(block: DocBlock): string {
  return `${block.file}:${block.line}`;
}

/** README.md and every Markdown file under docs/, repository-relative, sorted. */
export function documentationFiles(root: string): string[] {
  const found = ["README.md"];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".md")) found.push(relative(root, path));
    }
  };
  walk(join(root, "docs"));
  return found;
}

export function readBlocks(root: string, file: string): DocBlock[] {
  return parseBlocks(readFileSync(join(root, file), "utf8"), file);
}

/** The section of a Markdown text under the first heading that satisfies `match`, up to the next heading of the same or a higher level. */
export function section(markdown: string, match: (heading: string) => boolean): string | null {
  const lines = markdown.split("\n");
  let fenced = false;
  let start = -1;
  let level = 0;
  for (let i = 0; i < lines.length; i++) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(lines[i])) fenced = !fenced;
    if (fenced) continue;
    const heading = /^(#{1,6})\s+(.*)$/.exec(lines[i]);
    if (!heading) continue;
    if (start >= 0 && heading[1].length <= level) return lines.slice(start, i).join("\n");
    if (start < 0 && match(heading[2])) {
      start = i;
      level = heading[1].length;
    }
  }
  return start >= 0 ? lines.slice(start).join("\n") : null;
}

/** The anchors GitHub gives a Markdown text's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/** `[text](target)` links of a Markdown text, outside code. */
export function links(markdown: string): string[] {
  const found: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced;
    if (fenced) continue;
    for (const match of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) found.push(match[1]);
  }
  return found;
}
