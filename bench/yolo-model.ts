/**
 * The full-size object detector the benchmarks run: YOLOv8n's graph as `yolo export format=onnx
 * dynamic=True` writes it — 640×640 input, `output0 [N, 84, 8400]`, the 80 COCO classes in its
 * metadata — with seeded random weights, written by the project's ONNX writer. The layers are
 * YOLOv8n's (BatchNorm folded into each convolution, as the export folds it): the backbone's
 * strided convolutions, C2f blocks and SPPF, the FPN/PAN neck, and the Detect head's box (DFL) and
 * class branches at strides 8, 16 and 32, decoded in the graph to centre, size and sigmoid scores.
 * Its boxes mean nothing; its arithmetic (the FLOPs `buildYoloBenchModel` counts, 8.74 G) is within 1 % of YOLOv8n's
 * published 8.7 GFLOPs, so its speed is a real YOLOv8n's. The class biases start where
 * Ultralytics' `Detect.bias_init` puts them (log(5 / 80 / (640 / stride)²)), so a frame gives
 * about as many candidates over the threshold as an untrained model does: almost none.
 */
import { mulberry32 } from "../src/maths/random.js";
import { encodeModel, floatTensor, int64Tensor, TensorType, type Node, type Tensor } from "../src/models/testing/onnx-writer.js";
import { ultralyticsMetadata } from "../src/models/testing/tiny-detector.js";

const INPUT = 640;
const CLASSES = 80;
/** Distribution bins per box side (Ultralytics' `reg_max`). */
const REG_MAX = 16;
const STRIDES = [8, 16, 32] as const;

/** COCO's 80 class names, as Ultralytics' COCO models list them. */
export const COCO_CLASSES = [
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light", "fire hydrant", "stop sign",
  "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
  "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard",
  "surfboard", "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
  "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "dining table", "toilet", "tv",
  "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
  "scissors", "teddy bear", "hair drier", "toothbrush",
]; // prettier-ignore

/** A feature map in the graph: its tensor's name, channels and side (square, as at 640×640). */
interface Feature {
  name: string;
  channels: number;
  side: number;
}

/** Builds the graph node by node, counting multiply–adds as it goes. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  /** Multiply–adds of the convolutions (the rest is a rounding error). */
  macs = 0;
  private next = 0;
  private readonly random = mulberry32(0x5eed_8a11);

  private fresh(prefix: string): string {
    return `${prefix}_${this.next++}`;
  }

  /** A normal sample (Box–Muller). */
  private normal(): number {
    const u = this.random() || 1e-12;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /**
   * A convolution with bias (BatchNorm folded), weights scaled by fan-in so activations stay near
   * unit size through the depth of the network, then SiLU unless `activation` is false.
   */
  conv(input: Feature, channels: number, kernel: number, stride = 1, options: { activation?: boolean; bias?: number } = {}): Feature {
    const fanIn = input.channels * kernel * kernel;
    const weights = Float32Array.from({ length: channels * fanIn }, () => this.normal() * Math.sqrt(2 / fanIn));
    const name = this.fresh("conv");
    this.initializers.push(
      floatTensor(`${name}.weight`, [channels, input.channels, kernel, kernel], weights),
      floatTensor(`${name}.bias`, [channels], new Float32Array(channels).fill(options.bias ?? 0)),
    );
    const pad = Math.floor(kernel / 2);
    const side = Math.floor((input.side + 2 * pad - kernel) / stride) + 1;
    this.nodes.push({
      op: "Conv",
      inputs: [input.name, `${name}.weight`, `${name}.bias`],
      outputs: [name],
      attributes: {
        kernel_shape: { kind: "ints", value: [kernel, kernel] },
        strides: { kind: "ints", value: [stride, stride] },
        pads: { kind: "ints", value: [pad, pad, pad, pad] },
      },
    });
    this.macs += channels * fanIn * side * side;
    const output = { name, channels, side };
    return options.activation === false ? output : this.silu(output);
  }

  silu(input: Feature): Feature {
    const sigmoid = this.fresh("sigmoid");
    const name = this.fresh("silu");
    this.nodes.push({ op: "Sigmoid", inputs: [input.name], outputs: [sigmoid] }, { op: "Mul", inputs: [input.name, sigmoid], outputs: [name] });
    return { ...input, name };
  }

  add(a: Feature, b: Feature): Feature {
    const name = this.fresh("add");
    this.nodes.push({ op: "Add", inputs: [a.name, b.name], outputs: [name] });
    return { ...a, name };
  }

  /** Channels concatenated (axis 1 of NCHW). */
  concat(features: readonly Feature[]): Feature {
    const name = this.fresh("concat");
    this.nodes.push({ op: "Concat", inputs: features.map((feature) => feature.name), outputs: [name], attributes: { axis: { kind: "int", value: 1 } } });
    return { name, channels: features.reduce((sum, feature) => sum + feature.channels, 0), side: features[0].side };
  }

  /** The channels cut in two equal halves. */
  split(input: Feature): [Feature, Feature] {
    const half = input.channels / 2;
    const sizes = this.constant(`split_${this.next++}`, [2], [half, half]);
    const [a, b] = [this.fresh("split"), this.fresh("split")];
    this.nodes.push({ op: "Split", inputs: [input.name, sizes], outputs: [a, b], attributes: { axis: { kind: "int", value: 1 } } });
    return [
      { name: a, channels: half, side: input.side },
      { name: b, channels: half, side: input.side },
    ];
  }

  maxPool(input: Feature, kernel: number): Feature {
    const name = this.fresh("pool");
    const pad = Math.floor(kernel / 2);
    this.nodes.push({
      op: "MaxPool",
      inputs: [input.name],
      outputs: [name],
      attributes: {
        kernel_shape: { kind: "ints", value: [kernel, kernel] },
        strides: { kind: "ints", value: [1, 1] },
        pads: { kind: "ints", value: [pad, pad, pad, pad] },
      },
    });
    return { ...input, name };
  }

  /** Nearest-neighbour ×2, as `nn.Upsample(scale_factor=2)` exports. */
  upsample(input: Feature): Feature {
    const scales = `scales_${this.next++}`;
    this.initializers.push(floatTensor(scales, [4], [1, 1, 2, 2]));
    const name = this.fresh("upsample");
    this.nodes.push({ op: "Resize", inputs: [input.name, "", scales], outputs: [name] });
    return { ...input, name, side: input.side * 2 };
  }

  constant(name: string, dims: readonly number[], values: readonly number[]): string {
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }

  op(op: string, inputs: readonly string[], attributes?: Node["attributes"]): string {
    const name = this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [name], ...(attributes ? { attributes } : {}) });
    return name;
  }

  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }
}

/** Ultralytics' C2f: split, `n` bottlenecks on the second half (residual when `shortcut`), everything concatenated. */
function c2f(g: GraphBuilder, input: Feature, channels: number, n: number, shortcut: boolean): Feature {
  const hidden = channels / 2;
  const parts: Feature[] = g.split(g.conv(input, 2 * hidden, 1));
  for (let i = 0; i < n; i++) {
    const last = parts[parts.length - 1];
    const inner = g.conv(g.conv(last, hidden, 3), hidden, 3);
    parts.push(shortcut ? g.add(last, inner) : inner);
  }
  return g.conv(g.concat(parts), channels, 1);
}

/** Ultralytics' SPPF: three chained 5×5 max pools, concatenated. */
function sppf(g: GraphBuilder, input: Feature, channels: number): Feature {
  const reduced = g.conv(input, input.channels / 2, 1);
  const pooled = [reduced];
  for (let i = 0; i < 3; i++) pooled.push(g.maxPool(pooled[pooled.length - 1], 5));
  return g.conv(g.concat(pooled), channels, 1);
}

/** One level of the Detect head: box distributions (4 × 16) and class logits, flattened to [N, 144, side²]. */
function detectLevel(g: GraphBuilder, input: Feature, stride: number): string {
  const boxChannels = Math.max(16, 64 / 4, REG_MAX * 4); // max(16, ch[0] // 4, reg_max * 4), ch[0] = 64
  const classChannels = Math.max(64, Math.min(CLASSES, 100)); // max(ch[0], min(nc, 100)) = 80
  const box = g.conv(g.conv(g.conv(input, boxChannels, 3), boxChannels, 3), 4 * REG_MAX, 1, 1, { activation: false, bias: 1 });
  const classBias = Math.log(5 / CLASSES / (INPUT / stride) ** 2);
  const cls = g.conv(g.conv(g.conv(input, classChannels, 3), classChannels, 3), CLASSES, 1, 1, { activation: false, bias: classBias });
  const both = g.concat([box, cls]);
  return g.op("Reshape", [both.name, g.constant(`flat_${stride}`, [3], [0, 4 * REG_MAX + CLASSES, -1])]);
}

/** The anchor points (cell centres, in cells) and their strides, for every level in order: [1, 2, 8400] and [1, 8400]. */
function anchors(): { points: Float32Array; strides: Float32Array } {
  const xs: number[] = [];
  const ys: number[] = [];
  const strides: number[] = [];
  for (const stride of STRIDES) {
    const side = INPUT / stride;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        xs.push(x + 0.5);
        ys.push(y + 0.5);
        strides.push(stride);
      }
    }
  }
  return { points: Float32Array.from([...xs, ...ys]), strides: Float32Array.from(strides) };
}

/**
 * Detect's decoding as exported: DFL (softmax over 16 bins, expectation) gives the distances to
 * the box's sides, `dist2bbox` the centre and size in cells, times the stride; class scores are
 * sigmoids. Output `[N, 84, 8400]`.
 */
function decode(g: GraphBuilder, levels: readonly string[]): string {
  const all = g.op("Concat", levels, { axis: { kind: "int", value: 2 } });
  const anchorCount = STRIDES.reduce((sum, stride) => sum + (INPUT / stride) ** 2, 0);
  const channels = (input: string, from: number, to: number): string =>
    g.op("Slice", [
      input,
      g.constant(`from_${g.nodes.length}`, [1], [from]),
      g.constant(`to_${g.nodes.length}`, [1], [to]),
      g.constant(`axis_${g.nodes.length}`, [1], [1]),
    ]);
  // [N, 64, A] → [N, 4, 16, A] → softmax over the bins → expectation: [N, 4, A]
  const bins = g.op("Reshape", [channels(all, 0, 4 * REG_MAX), g.constant("bins_shape", [4], [0, 4, REG_MAX, anchorCount])]);
  const probabilities = g.op("Softmax", [bins], { axis: { kind: "int", value: 2 } });
  const binIndex = g.floats(
    "bin_index",
    [1, 1, REG_MAX, 1],
    Array.from({ length: REG_MAX }, (_, i) => i),
  );
  const distances = g.op("ReduceSum", [g.op("Mul", [probabilities, binIndex]), g.constant("bin_axis", [1], [2])], { keepdims: { kind: "int", value: 0 } });
  const { points, strides } = anchors();
  const anchorPoints = g.floats("anchor_points", [1, 2, anchorCount], points);
  const topLeft = g.op("Sub", [anchorPoints, channels(distances, 0, 2)]);
  const bottomRight = g.op("Add", [anchorPoints, channels(distances, 2, 4)]);
  const centre = g.op("Div", [g.op("Add", [topLeft, bottomRight]), g.floats("two", [1], [2])]);
  const size = g.op("Sub", [bottomRight, topLeft]);
  const boxes = g.op("Mul", [g.op("Concat", [centre, size], { axis: { kind: "int", value: 1 } }), g.floats("anchor_strides", [1, 1, anchorCount], strides)]);
  const scores = g.op("Sigmoid", [channels(all, 4 * REG_MAX, 4 * REG_MAX + CLASSES)]);
  return g.op("Concat", [boxes, scores], { axis: { kind: "int", value: 1 } });
}

/** YOLOv8n (depth 0.33, width 0.25): backbone, neck and head as in Ultralytics' yolov8.yaml. */
function yolov8n(g: GraphBuilder, images: Feature): string {
  const p1 = g.conv(images, 16, 3, 2);
  const p2 = c2f(g, g.conv(p1, 32, 3, 2), 32, 1, true);
  const p3 = c2f(g, g.conv(p2, 64, 3, 2), 64, 2, true);
  const p4 = c2f(g, g.conv(p3, 128, 3, 2), 128, 2, true);
  const p5 = sppf(g, c2f(g, g.conv(p4, 256, 3, 2), 256, 1, true), 256);
  const neck4 = c2f(g, g.concat([g.upsample(p5), p4]), 128, 1, false);
  const out3 = c2f(g, g.concat([g.upsample(neck4), p3]), 64, 1, false);
  const out4 = c2f(g, g.concat([g.conv(out3, 64, 3, 2), neck4]), 128, 1, false);
  const out5 = c2f(g, g.concat([g.conv(out4, 128, 3, 2), p5]), 256, 1, false);
  return decode(
    g,
    [out3, out4, out5].map((feature, i) => detectLevel(g, feature, STRIDES[i])),
  );
}

/** The ONNX file's bytes, and the graph's arithmetic in FLOPs (2 per multiply–add, as Ultralytics counts). */
export function buildYoloBenchModel(): { bytes: Uint8Array; flops: number } {
  const g = new GraphBuilder();
  const output = yolov8n(g, { name: "images", channels: 3, side: INPUT });
  g.nodes.push({ op: "Identity", inputs: [output], outputs: ["output0"] });
  const anchorCount = STRIDES.reduce((sum, stride) => sum + (INPUT / stride) ** 2, 0);
  const bytes = encodeModel(
    {
      name: "yolov8n_random",
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: "images", type: TensorType.FLOAT, shape: ["batch", 3, INPUT, INPUT] }],
      outputs: [{ name: "output0", type: TensorType.FLOAT, shape: ["batch", 4 + CLASSES, anchorCount] }],
    },
    17,
    ultralyticsMetadata(COCO_CLASSES, INPUT, INPUT, "YOLOv8n-shaped model with random weights, made by sightline's benchmarks"),
  );
  return { bytes, flops: 2 * g.macs };
}
