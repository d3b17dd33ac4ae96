/**
 * CLIP tokenisation. The expected ids for the Hugging Face fixture were computed independently
 * with OpenAI's simple_tokenizer algorithm (Python, `regex`) over the fixture's vocabulary and
 * merges — not with the library under test.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClipTokenizer } from "../../src/models/families/clip/tokenizer.js";
import { HF_TINY_CLIP, tinyClipFolder } from "./helpers.js";

async function load(folder: string, contextLength: number | null = null): Promise<ClipTokenizer> {
  const read = async (file: string): Promise<unknown> => JSON.parse(await readFile(join(folder, file), "utf8"));
  return ClipTokenizer.fromFiles(await read("tokenizer.json"), await read("tokenizer_config.json"), contextLength, folder);
}

describe("the Hugging Face tiny-clip tokenizer", () => {
  const cases: [string, number[]][] = [
    ["a photo of a cat", [683, 320, 530, 515, 320, 557, 684]],
    // whitespace collapsed, lower-cased, punctuation run split off with its own </w>
    ["A  Photo OF a Dog!!", [683, 320, 530, 515, 320, 556, 0, 256, 684]],
    // digits one by one
    ["snowstorm at night, 2024", [683, 682, 586, 590, 267, 273, 271, 273, 275, 684]],
    // UTF-8 bytes through the byte alphabet
    ["héllo wörld", [683, 71, 127, 102, 75, 75, 334, 86, 127, 114, 81, 75, 323, 684]],
    ["", [683, 684]],
    ["it's a raccoon's", [683, 72, 339, 6, 338, 320, 611, 6, 338, 684]],
  ];
  it.each(cases)("encodes %j", async (text, ids) => {
    expect((await load(HF_TINY_CLIP, 77)).encode(text)).toEqual(ids);
  });

  it("reads the context length, end and pad tokens from the files", async () => {
    const tokenizer = await load(HF_TINY_CLIP);
    expect([tokenizer.maxLength, tokenizer.endId, tokenizer.padId]).toEqual([77, 684, 684]);
  });
});

describe("sequence rules", () => {
  it("truncates to the context length and keeps the end token last", async () => {
    const tokenizer = await load(await tinyClipFolder(), 5);
    const full = (await load(await tinyClipFolder())).encode("a red car at night");
    expect(full.length).toBeGreaterThan(5);
    const ids = tokenizer.encode("a red car at night");
    expect(ids).toEqual([...full.slice(0, 4), tokenizer.endId]);
  });

  it("takes the smaller of the tokenizer's and the text tower's limits", async () => {
    expect((await load(await tinyClipFolder(), 77)).maxLength).toBe(32);
    expect((await load(await tinyClipFolder(), 16)).maxLength).toBe(16);
  });

  it("pads every row with the pad token", async () => {
    const tokenizer = await load(await tinyClipFolder());
    const pad = BigInt(tokenizer.padId);
    expect(Array.from(tokenizer.pad([[1, 2], [3]], 3))).toEqual([1n, 2n, pad, 3n, pad, pad]);
  });
});
