/**
 * A tiny CLIP written by the project's own code, for tests on any fresh clone (no network, no
 * Python, no files from elsewhere): a genuine model folder in the transformers.js layout that loads through
 * exactly the code path of a hub export.
 *
 * - vision: pixel_values [N,3,32,32] → patch convolution (8 px) → tanh → mean over patches →
 *   projection → image_embeds [N,16];
 * - text: input_ids [N,L] → token + position embeddings → tanh → causal prefix sum → the state at
 *   the end token (argmax of the ids, as in the original CLIP export) → projection →
 *   text_embeds [N,16];
 * - `_int8` variants of both whose projection is dynamically quantised the way ONNX Runtime's
 *   quantize_dynamic does it (DynamicQuantizeLinear + MatMulInteger on int8 weights);
 * - `_fp16` variants with float16 inputs and outputs, as fp16 exports have (the arithmetic
 *   inside stays float32 — what matters to the runtime is the interface);
 * - a byte-level BPE tokenizer with CLIP's normaliser, split pattern, `</w>` suffix and special
 *   tokens, and a few dozen merges.
 * Weights are deterministic pseudo-random numbers: embeddings mean nothing, but differ per input.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mulberry32 } from "../../maths/random.js";
import { encodeModel, floatTensor, int64Tensor, int8Tensor, TensorType, type Graph, type Node, type Tensor } from "./onnx-writer.js";

/** The default shape; `projectionDim` can be changed (e.g. two models with different embedding lengths). */
export const TINY_CLIP = {
  projectionDim: 16,
  width: 16,
  imageSize: 32,
  patchSize: 8,
  shortestEdge: 36,
  contextLength: 32,
} as const;

type Shape = { readonly [K in keyof typeof TINY_CLIP]: number };

export interface TinyClipOptions {
  /** Length of the embeddings; default 16. */
  projectionDim?: number;
}

const WORDS = [
  "a",
  "an",
  "the",
  "of",
  "photo",
  "picture",
  "image",
  "cat",
  "dog",
  "car",
  "truck",
  "person",
  "people",
  "red",
  "blue",
  "green",
  "night",
  "day",
  "snow",
  "street",
  "empty",
  "crowded",
  "fire",
  "smoke",
];

/** Writes the model folder into `dir` (created if needed) and returns `dir`. */
export async function createTinyClipModel(dir: string, options: TinyClipOptions = {}): Promise<string> {
  const shape: Shape = { ...TINY_CLIP, ...options };
  const random = mulberry32(0x5eed);
  const tokenizer = tinyTokenizer();
  await mkdir(join(dir, "onnx"), { recursive: true });
  const vision = visionWeights(random, shape);
  const text = textWeights(random, shape, tokenizer.vocabSize);
  const files: [string, string | Uint8Array][] = [
    ["config.json", json(config(shape, tokenizer))],
    ["preprocessor_config.json", json(preprocessorConfig(shape))],
    ["tokenizer.json", json(tokenizer.json)],
    ["tokenizer_config.json", json(tokenizerConfig(shape))],
    ["onnx/vision_model.onnx", encodeModel(visionGraph(shape, vision, false))],
    ["onnx/vision_model_int8.onnx", encodeModel(visionGraph(shape, vision, true))],
    ["onnx/text_model.onnx", encodeModel(textGraph(shape, text, false))],
    ["onnx/text_model_int8.onnx", encodeModel(textGraph(shape, text, true))],
    ["onnx/vision_model_fp16.onnx", encodeModel(withHalfPrecisionInterface(visionGraph(shape, vision, false)))],
    ["onnx/text_model_fp16.onnx", encodeModel(withHalfPrecisionInterface(textGraph(shape, text, false)))],
  ];
  await Promise.all(files.map(([file, content]) => writeFile(join(dir, ...file.split("/")), content)));
  return dir;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

// ---- weights ------------------------------------------------------------------------------

/** Uniform in ±sqrt(3)/sqrt(fanIn): unit variance after a layer with `fanIn` inputs. */
function weights(random: () => number, count: number, fanIn: number): Float32Array {
  const bound = Math.sqrt(3 / fanIn);
  return Float32Array.from({ length: count }, () => (random() * 2 - 1) * bound);
}

interface VisionWeights {
  patch: Float32Array;
  bias: Float32Array;
  projection: Float32Array;
}

function visionWeights(random: () => number, shape: Shape): VisionWeights {
  const { width, patchSize, projectionDim } = shape;
  const fanIn = 3 * patchSize * patchSize;
  return {
    patch: weights(random, width * fanIn, fanIn),
    bias: weights(random, width, 1),
    projection: weights(random, width * projectionDim, width),
  };
}

interface TextWeights {
  tokens: Float32Array;
  positions: Float32Array;
  projection: Float32Array;
  vocabSize: number;
}

function textWeights(random: () => number, shape: Shape, vocabSize: number): TextWeights {
  const { width, contextLength, projectionDim } = shape;
  return {
    tokens: weights(random, vocabSize * width, 1),
    positions: weights(random, contextLength * width, 1),
    projection: weights(random, width * projectionDim, width),
    vocabSize,
  };
}

// ---- graphs -------------------------------------------------------------------------------

/**
 * `input [N, width] → output [N, projectionDim]`: a float MatMul, or the dynamically quantised
 * form ONNX Runtime's quantize_dynamic writes (uint8 activations, int8 symmetric weights).
 */
function projection(
  shape: Shape,
  input: string,
  output: string,
  matrix: Float32Array,
  quantised: boolean,
  prefix: string,
): { nodes: Node[]; initializers: Tensor[] } {
  const dims = [shape.width, shape.projectionDim];
  if (!quantised) {
    return {
      nodes: [{ op: "MatMul", inputs: [input, `${prefix}_projection`], outputs: [output] }],
      initializers: [floatTensor(`${prefix}_projection`, dims, matrix)],
    };
  }
  const scale = matrix.reduce((max, w) => Math.max(max, Math.abs(w)), 0) / 127;
  const quantisedWeights = Array.from(matrix, (w) => Math.max(-127, Math.min(127, Math.round(w / scale))));
  const p = (name: string): string => `${prefix}_${name}`;
  return {
    nodes: [
      { op: "DynamicQuantizeLinear", inputs: [input], outputs: [p("x_q"), p("x_scale"), p("x_zero")] },
      { op: "MatMulInteger", inputs: [p("x_q"), p("w_q"), p("x_zero"), p("w_zero")], outputs: [p("product")] },
      { op: "Cast", inputs: [p("product")], outputs: [p("product_float")], attributes: { to: { kind: "int", value: TensorType.FLOAT } } },
      { op: "Mul", inputs: [p("x_scale"), p("w_scale")], outputs: [p("scale")] },
      { op: "Mul", inputs: [p("product_float"), p("scale")], outputs: [output] },
    ],
    initializers: [int8Tensor(p("w_q"), dims, quantisedWeights), int8Tensor(p("w_zero"), [], [0]), floatTensor(p("w_scale"), [], [scale])],
  };
}

function visionGraph(shape: Shape, w: VisionWeights, quantised: boolean): Graph {
  const { width, patchSize, imageSize, projectionDim } = shape;
  const head = projection(shape, "pooled", "image_embeds", w.projection, quantised, "visual");
  return {
    name: "tiny_clip_vision",
    nodes: [
      {
        op: "Conv",
        inputs: ["pixel_values", "patch_weight", "patch_bias"],
        outputs: ["patches"],
        attributes: { kernel_shape: { kind: "ints", value: [patchSize, patchSize] }, strides: { kind: "ints", value: [patchSize, patchSize] } },
      },
      { op: "Tanh", inputs: ["patches"], outputs: ["activated"] },
      { op: "GlobalAveragePool", inputs: ["activated"], outputs: ["pooled_4d"] },
      { op: "Flatten", inputs: ["pooled_4d"], outputs: ["pooled"], attributes: { axis: { kind: "int", value: 1 } } },
      ...head.nodes,
    ],
    initializers: [floatTensor("patch_weight", [width, 3, patchSize, patchSize], w.patch), floatTensor("patch_bias", [width], w.bias), ...head.initializers],
    inputs: [{ name: "pixel_values", type: TensorType.FLOAT, shape: ["batch_size", 3, imageSize, imageSize] }],
    outputs: [{ name: "image_embeds", type: TensorType.FLOAT, shape: ["batch_size", projectionDim] }],
  };
}

function textGraph(shape: Shape, w: TextWeights, quantised: boolean): Graph {
  const { width, contextLength, projectionDim } = shape;
  const head = projection(shape, "pooled", "text_embeds", w.projection, quantised, "textual");
  return {
    name: "tiny_clip_text",
    nodes: [
      { op: "Gather", inputs: ["token_embedding", "input_ids"], outputs: ["tokens"] },
      { op: "Shape", inputs: ["input_ids"], outputs: ["ids_shape"] },
      { op: "Slice", inputs: ["ids_shape", "one", "two"], outputs: ["sequence_length"] },
      { op: "Slice", inputs: ["position_embedding", "zero", "sequence_length", "zero"], outputs: ["positions"] },
      { op: "Add", inputs: ["tokens", "positions"], outputs: ["embedded"] },
      { op: "Tanh", inputs: ["embedded"], outputs: ["activated"] },
      // Causal mixing: each position sees itself and what came before, like CLIP's masked attention.
      { op: "CumSum", inputs: ["activated", "axis_one"], outputs: ["hidden"] },
      { op: "ArgMax", inputs: ["input_ids"], outputs: ["end_position"], attributes: { axis: { kind: "int", value: 1 }, keepdims: { kind: "int", value: 1 } } },
      { op: "GatherND", inputs: ["hidden", "end_position"], outputs: ["pooled"], attributes: { batch_dims: { kind: "int", value: 1 } } },
      ...head.nodes,
    ],
    initializers: [
      floatTensor("token_embedding", [w.vocabSize, width], w.tokens),
      floatTensor("position_embedding", [contextLength, width], w.positions),
      int64Tensor("zero", [1], [0]),
      int64Tensor("one", [1], [1]),
      int64Tensor("two", [1], [2]),
      int64Tensor("axis_one", [], [1]),
      ...head.initializers,
    ],
    inputs: [{ name: "input_ids", type: TensorType.INT64, shape: ["batch_size", "sequence_length"] }],
    outputs: [{ name: "text_embeds", type: TensorType.FLOAT, shape: ["batch_size", projectionDim] }],
  };
}

/** The graph behind float16 inputs and outputs: Cast in, Cast out (integer inputs stay as they are). */
function withHalfPrecisionInterface(graph: Graph): Graph {
  const halfInputs = graph.inputs.filter((input) => input.type === TensorType.FLOAT);
  const cast = (from: string, to: string, type: number): Node => ({
    op: "Cast",
    inputs: [from],
    outputs: [to],
    attributes: { to: { kind: "int", value: type } },
  });
  const rename = (name: string): string => (halfInputs.some((input) => input.name === name) ? `${name}_float` : name);
  return {
    ...graph,
    nodes: [
      ...halfInputs.map((input) => cast(input.name, `${input.name}_float`, TensorType.FLOAT)),
      ...graph.nodes.map((node) => ({
        ...node,
        inputs: node.inputs.map(rename),
        outputs: node.outputs.map((output) => (graph.outputs.some((o) => o.name === output) ? `${output}_float` : output)),
      })),
      ...graph.outputs.map((output) => cast(`${output.name}_float`, output.name, TensorType.FLOAT16)),
    ],
    inputs: graph.inputs.map((input) => (input.type === TensorType.FLOAT ? { ...input, type: TensorType.FLOAT16 } : input)),
    outputs: graph.outputs.map((output) => ({ ...output, type: TensorType.FLOAT16 })),
  };
}

// ---- configuration files ------------------------------------------------------------------

function config(shape: Shape, tokenizer: TinyTokenizer): unknown {
  const { width, imageSize, patchSize, projectionDim, contextLength } = shape;
  return {
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: projectionDim,
    text_config: {
      model_type: "clip_text_model",
      vocab_size: tokenizer.vocabSize,
      hidden_size: width,
      max_position_embeddings: contextLength,
      bos_token_id: tokenizer.startId,
      eos_token_id: tokenizer.endId,
      pad_token_id: tokenizer.endId,
      projection_dim: projectionDim,
    },
    vision_config: {
      model_type: "clip_vision_model",
      hidden_size: width,
      image_size: imageSize,
      patch_size: patchSize,
      num_channels: 3,
      projection_dim: projectionDim,
    },
  };
}

function preprocessorConfig(shape: Shape): unknown {
  return {
    crop_size: { height: shape.imageSize, width: shape.imageSize },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_processor_type: "CLIPImageProcessor",
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: shape.shortestEdge },
  };
}

function tokenizerConfig(shape: Shape): unknown {
  return {
    bos_token: "<|startoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    model_max_length: shape.contextLength,
    tokenizer_class: "CLIPTokenizer",
  };
}

// ---- tokenizer ----------------------------------------------------------------------------

interface TinyTokenizer {
  json: unknown;
  vocabSize: number;
  startId: number;
  endId: number;
}

/** GPT-2's reversible byte → printable character map, which CLIP's byte-level BPE uses. */
function byteAlphabet(): string[] {
  const printable = (from: string, to: string): number[] => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => from.charCodeAt(0) + i);
  const bytes = [...printable("!", "~"), ...printable("¡", "¬"), ...printable("®", "ÿ")];
  const chars = bytes.slice();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + extra++);
    }
  }
  return chars.map((code) => String.fromCharCode(code));
}

/** Vocabulary in CLIP's order: bytes, bytes + `</w>`, merges, then the two special tokens last. */
function tinyTokenizer(): TinyTokenizer {
  const alphabet = byteAlphabet();
  const vocab = [...alphabet, ...alphabet.map((c) => `${c}</w>`)];
  const merges: [string, string][] = [];
  const known = new Set(vocab);
  for (const word of WORDS) {
    let left = word[0];
    for (let i = 1; i < word.length; i++) {
      const right = i === word.length - 1 ? `${word[i]}</w>` : word[i];
      const merged = left + right;
      if (!known.has(merged)) {
        merges.push([left, right]);
        vocab.push(merged);
        known.add(merged);
      }
      left = merged;
    }
  }
  const startId = vocab.length;
  const endId = vocab.length + 1;
  vocab.push("<|startoftext|>", "<|endoftext|>");
  const special = (id: number, content: string): unknown => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(startId, "<|startoftext|>"), special(endId, "<|endoftext|>")],
    normalizer: {
      type: "Sequence",
      normalizers: [{ type: "NFC" }, { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Lowercase" }],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: "Removed",
          invert: true,
        },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: ["<|endoftext|>", endId],
      cls: ["<|startoftext|>", startId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<|endoftext|>",
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
      merges,
    },
  };
  return { json, vocabSize: vocab.length, startId, endId };
}
