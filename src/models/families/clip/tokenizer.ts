/**
 * CLIP's byte-level BPE, read from the model's `tokenizer.json` by @huggingface/tokenizers, with
 * CLIP's sequence rules on top: `<|startoftext|> … <|endoftext|>`, truncated to the text
 * tower's context length keeping the end token last (as `clip.tokenize(truncate=True)` and
 * transformers' truncation both do), then padded with the pad token.
 *
 * Padding matters because CLIP pools the hidden state at the end token, found as the first
 * `eos_token_id` (or, in older exports, the argmax of the ids): padding with `<|endoftext|>`
 * (the tokenizer's pad token) or with 0 leaves that position first. The text tower is causal,
 * so the padding after it changes nothing — which is why a batch may be padded to its longest
 * text rather than to the full context.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { ModelError } from "../../errors.js";
import type { TextTokenizer } from "../../family.js";
import { isJsonObject } from "../../../definition/json.js";

/**
 * The part of @huggingface/tokenizers' `Tokenizer` used here. Its published declarations import
 * their own modules without file extensions, which a NodeNext project cannot resolve, so the
 * class arrives untyped; this states what we rely on.
 */
interface BpeTokenizer {
  encode(text: string): { ids: number[] };
  token_to_id(token: string): number | undefined | null;
}

export class ClipTokenizer implements TextTokenizer {
  constructor(
    private readonly tokenizer: BpeTokenizer,
    readonly maxLength: number,
    readonly endId: number,
    readonly padId: number,
  ) {}

  /**
   * `tokenizerJson`/`tokenizerConfig` are the parsed files; `contextLength` the text tower's
   * `max_position_embeddings` when config.json gives it.
   */
  static fromFiles(tokenizerJson: unknown, tokenizerConfig: unknown, contextLength: number | null, where: string): ClipTokenizer {
    if (!isJsonObject(tokenizerJson) || !isJsonObject(tokenizerConfig)) throw new ModelError(`${where}: tokenizer files must be JSON objects`);
    let tokenizer: BpeTokenizer;
    try {
      tokenizer = new (Tokenizer as new (json: object, config: object) => BpeTokenizer)(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new ModelError(`${where}: cannot read tokenizer.json: ${(error as Error).message}`);
    }
    const idOf = (key: string, fallback: string | null): number | null => {
      const entry = tokenizerConfig[key];
      const token = typeof entry === "string" ? entry : isJsonObject(entry) && typeof entry.content === "string" ? entry.content : fallback;
      return token === null ? null : (tokenizer.token_to_id(token) ?? null);
    };
    const endId = idOf("eos_token", "<|endoftext|>");
    if (endId === null) throw new ModelError(`${where}: the tokenizer has no end-of-text token`);
    const padId = idOf("pad_token", null) ?? endId;
    const configured = tokenizerConfig.model_max_length;
    // transformers writes a huge sentinel (1e30) when the tokenizer sets no limit.
    const tokenizerLimit = typeof configured === "number" && configured > 0 && configured < 1e6 ? configured : null;
    const limits = [tokenizerLimit, contextLength].filter((value): value is number => value !== null);
    const maxLength = limits.length > 0 ? Math.min(...limits) : 77;
    return new ClipTokenizer(tokenizer, maxLength, endId, padId);
  }

  /** Token ids with start and end tokens, truncated to `maxLength`. */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.maxLength) return ids;
    const truncated = ids.slice(0, this.maxLength);
    truncated[this.maxLength - 1] = this.endId;
    return truncated;
  }

  /** Row-major `[texts.length, length]` ids, each row padded with the pad token. */
  pad(sequences: readonly (readonly number[])[], length: number): BigInt64Array {
    const ids = new BigInt64Array(sequences.length * length).fill(BigInt(this.padId));
    sequences.forEach((sequence, row) => {
      for (let i = 0; i < sequence.length; i++) ids[row * length + i] = BigInt(sequence[i]);
    });
    return ids;
  }
}
