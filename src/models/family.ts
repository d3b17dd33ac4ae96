/**
 * What a model family declares: the few facts that make CLIP different from SigLIP, DINOv2 or a
 * detector — where its versions are on the hub, how its folder is recognised, which graphs and
 * tensors it has, how an image or a text becomes a tensor, and options of its own. A family is
 * data plus two small builders; it never loads, runs or downloads anything itself.
 *
 * Everything that is the same for every family is written once around this declaration:
 * sessions in worker threads and batch queues (`model.ts`), precisions and external data
 * (`layout.ts`), the hub, the cache and offline mode (`hub.ts`, `model-source.ts`), the cache
 * of text embeddings and images warmed ahead (`runtime.ts`).
 *
 * A family lives in `families/<id>/` and is registered with one line in `families/index.ts`.
 */
import type { z } from "zod";
import type { RgbPixels } from "./preprocessing/resample.js";

/** What a tower takes in; a family has at most one tower of each. */
export type Modality = "image" | "text";

export interface ModelFamily<Options extends object = FamilyOptionValues> {
  /** Stable identifier, e.g. `clip`: what model requests and `models list --json` name. */
  readonly id: string;
  /** How messages name the family, e.g. `CLIP` in "CLIP ViT-B-32 (Xenova/clip-vit-base-patch32)". */
  readonly label: string;
  readonly versions: FamilyVersions;
  /** `model_type` values in config.json that mark a local folder as this family's. */
  readonly modelTypes: readonly string[];
  /** One tower per modality the family embeds: an image-only family has no `text`. */
  readonly towers: FamilyTowers;
  /**
   * Options only this family reads, set like every model option (library options,
   * `settings.models`, environment); their names are unique among all model options.
   */
  readonly options?: FamilyOptionSpecs<Options>;
}

export interface FamilyVersions {
  /** Version name → hub repository in the transformers.js layout, e.g. `ViT-B-32` → `Xenova/clip-vit-base-patch32`. */
  readonly hub: Readonly<Record<string, string>>;
  /** The version a request that names none gets; one of `hub`. */
  readonly default: string;
  /** Version names upstream accepts for which no export can be downloaded: they work with a mapped folder only. */
  readonly folderOnly: readonly string[];
}

export interface FamilyTowers {
  readonly image?: ImageTower;
  readonly text?: TextTower;
}

/** One graph of the family and the tensors the runtime feeds and reads. */
export interface TowerLayout {
  /** Names the tower in messages and in `models list`, e.g. `vision`. */
  readonly name: string;
  /** The graph's file stem under `onnx/`: `vision_model` is `onnx/vision_model_int8.onnx` at int8. */
  readonly graph: string;
  /** The input tensor the preprocessed batch goes into, e.g. `pixel_values` or `input_ids`. */
  readonly input: string;
  /** The output tensor read as one embedding per row (`[batch, dimensions]`), e.g. `image_embeds`. */
  readonly output: string;
  /** Metadata files the tower reads besides config.json, fetched with its graph and in this order. */
  readonly files: readonly string[];
}

export interface ImageTower extends TowerLayout {
  /** The image processor, from the tower's parsed files; `where` prefixes error messages. */
  readonly processor: (files: TowerFiles, where: string) => ImagePreprocessor;
}

export interface TextTower extends TowerLayout {
  /** An attention-mask input (1 for a token, 0 for padding), fed when the graph has it. */
  readonly attentionMask?: string;
  /** The tokenizer, from the tower's parsed files; `where` prefixes error messages. */
  readonly tokenizer: (files: TowerFiles, where: string) => TextTokenizer;
}

/** Parsed JSON by file name: config.json and the tower's `files`. */
export type TowerFiles = Readonly<Record<string, unknown>>;

/** What the runtime asks of an image processor: a fixed-size, channels-first float tensor per image. */
export interface ImagePreprocessor {
  readonly height: number;
  readonly width: number;
  /** Values in one preprocessed image (three channels × height × width). */
  readonly pixelsPerImage: number;
  /** Writes one image, channels first, at `offset` of `out`; throws on pixel data it cannot read. */
  preprocess(image: RgbPixels, out: Float32Array, offset: number): void;
}

/** What the runtime asks of a tokenizer. */
export interface TextTokenizer {
  /** Token ids of one text, special tokens included, cut to the length the tower takes. */
  encode(text: string): number[];
  /** Row-major `[sequences.length, length]` ids, each row padded the way the tower expects. */
  pad(sequences: readonly (readonly number[])[], length: number): BigInt64Array;
}

export type FamilyOptionValues = Readonly<Record<string, unknown>>;

export type FamilyOptionSpecs<Options extends object> = { readonly [Name in keyof Options]: FamilyOption<Options[Name]> };

/** A family's own option: a key of `ModelOptions` that only this family reads. */
export interface FamilyOption<T> {
  readonly schema: z.ZodType<T>;
  readonly default: T;
  /** Environment variable read when no option sets it; its text is checked by `schema`. */
  readonly env?: string;
}

/** The options a list of families adds to `ModelOptions`, e.g. `{ comparisonVersion: string }` for CLIP. */
export type OptionsOfFamilies<Families extends readonly ModelFamily[]> = Intersection<OptionsOf<Families[number]>>;

/** A family's declared options; none for a family typed without them (`ModelFamily`'s open default). */
type OptionsOf<Family> = Family extends ModelFamily<infer Options> ? (string extends keyof Options ? Record<never, never> : Options) : never;

/** `A | B` → `A & B`. */
type Intersection<Union> = (Union extends unknown ? (value: Union) => void : never) extends (value: infer Both) => void ? Both : never;
