/**
 * The full-size CLIP ViT-B/32 the benchmarks run, written from the weightless graphs in
 * `bench/fixtures/clip-vit-b32/`: each graph keeps its large tensors as ONNX external data, and
 * this fills `<graph>.onnx_data` with seeded random values. The result (~700 MB) is for speed and
 * memory measurements only — its embeddings mean nothing — and the seed makes every build the
 * same bytes, so figures from different machines or days run the same arithmetic.
 */
import { copyFile, mkdir, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { mulberry32 } from "../src/maths/random.js";

/** The graphs of the model folder, each with `<name>.onnx` and `<name>.manifest.json` beside it. */
const GRAPHS = ["vision_model", "vision_model_int8", "vision_model_quantized", "text_model"] as const;
const CONFIG_FILES = ["config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"] as const;

/** One tensor a graph keeps as external data: its ONNX element type and where its bytes go. */
interface ExternalTensor {
  name: string;
  dtype: number;
  offset: number;
  length: number;
}

// ONNX TensorProto.DataType codes.
const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;

/** Every graph starts its random stream from this seed, so one graph's bytes never depend on another's. */
const SEED = 0x9e3779b9;
/** The spread of the fp32 weights: transformers' initialisation range for CLIP. */
const WEIGHT_STD = 0.02;

/** The tensor's bytes: normal floats (Box–Muller) for fp32 weights, uniform bytes for quantized ones. */
function randomTensor(tensor: ExternalTensor, random: () => number): Buffer {
  const bytes = Buffer.alloc(tensor.length);
  if (tensor.dtype === FLOAT) {
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, tensor.length / 4);
    for (let i = 0; i < floats.length; i++) {
      const u = random() || 1e-12;
      const v = random();
      floats[i] = WEIGHT_STD * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
  } else if (tensor.dtype === UINT8 || tensor.dtype === INT8) {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  } else {
    throw new Error(`tensor ${tensor.name}: ONNX element type ${tensor.dtype} has no random filling`);
  }
  return bytes;
}

/** Copies `<graph>.onnx` into `outDir` and writes its `<graph>.onnx_data` beside it. */
async function inflateGraph(graphDir: string, graph: string, outDir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(graphDir, `${graph}.manifest.json`), "utf8")) as ExternalTensor[];
  await copyFile(join(graphDir, `${graph}.onnx`), join(outDir, `${graph}.onnx`));
  const random = mulberry32(SEED);
  const data = await open(join(outDir, `${graph}.onnx_data`), "w");
  try {
    for (const tensor of manifest) await data.write(randomTensor(tensor, random), 0, tensor.length, tensor.offset);
  } finally {
    await data.close();
  }
}

/** Writes the whole model folder (transformers.js layout: configs at the top, graphs in `onnx/`) into `outDir`. */
export async function buildBenchModel(graphDir: string, outDir: string): Promise<void> {
  await mkdir(join(outDir, "onnx"), { recursive: true });
  for (const file of CONFIG_FILES) await copyFile(join(graphDir, file), join(outDir, file));
  for (const graph of GRAPHS) await inflateGraph(graphDir, graph, join(outDir, "onnx"));
}
