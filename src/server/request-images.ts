/**
 * A request's images, admitted before the first pixel is decoded (docs/reference/http.md#limits):
 * counted against `--max-images-per-request`; read — base64 decoded, URLs downloaded with their
 * bytes reserved from the in-flight memory budget as they arrive — and checked from their
 * headers against the pixel and aspect-ratio limits; then the memory their decoding will take
 * reserved from the budget, all at once. What comes out are `EncodedImage`s, which the engine
 * (or a CLIP route) decodes.
 */
import { WorkflowError } from "../errors/index.js";
import { EncodedImage, readImage, type ImageLoadOptions } from "../images/codec.js";
import type { WorkflowImage } from "../images/index.js";
import { payloadTooLarge } from "./errors.js";
import type { MemoryReservation } from "./limits.js";

/** One image of a request and how errors name it (`image.[3]`, `subject`). */
export interface RequestImage {
  raw: unknown;
  label: string;
}

/**
 * Beyond an image's decoded pixels: the decoder's working copy (EXIF rotation, grey to RGB), and
 * per image the objects around it, its answer and its share of a preprocessed model batch.
 */
const DECODING_COPIES = 2;
const PER_IMAGE_BYTES = 64 * 1024;

/** What an image read for a request will hold once decoded, by the budget's estimate. */
export function admittedBytes(image: EncodedImage | WorkflowImage): number {
  if (!(image instanceof EncodedImage)) return image.data.length;
  return image.bytes.length + DECODING_COPIES * image.decodedBytes + PER_IMAGE_BYTES;
}

export interface ImageAdmissionOptions {
  /** How the server loads request images: never local files; the image limits. */
  loading: ImageLoadOptions;
  maxImagesPerRequest: number;
}

export class ImageAdmission {
  constructor(readonly options: ImageAdmissionOptions) {}

  /** 413 for more images than `--max-images-per-request`; `where` names them (e.g. `input "image": 3000`). */
  checkCount(count: number, where: string): void {
    const max = this.options.maxImagesPerRequest;
    if (count <= max) return;
    throw payloadTooLarge(
      `The request has ${count} images (${where}); the server accepts at most ${max} per request (--max-images-per-request).`,
      "request_admission",
    );
  }

  /**
   * Reads `images` and reserves what they will take from `reservation`. `failure` turns an
   * image's own problem into the route's error; the budget's 413 and 429 pass as they are.
   */
  async admit(
    images: readonly RequestImage[],
    reservation: MemoryReservation,
    signal: AbortSignal,
    failure: (image: RequestImage, error: unknown) => Error,
  ): Promise<Array<EncodedImage | WorkflowImage>> {
    // A download counts from its first byte; its bytes are part of its image's estimate below.
    let downloaded = 0;
    // One image refused: the others' downloads stop too.
    const refused = new AbortController();
    const loading: ImageLoadOptions = {
      ...this.options.loading,
      signal: AbortSignal.any([signal, refused.signal]),
      onDownloadBytes: (bytes) => {
        reservation.add(bytes, "image downloads");
        downloaded += bytes;
      },
    };
    const read = await Promise.all(
      images.map(async (image) => {
        try {
          return await readImage(image.raw, image.label, loading);
        } catch (error) {
          refused.abort();
          throw error instanceof WorkflowError ? error : failure(image, error);
        }
      }),
    );
    if (read.length === 0) return read;
    const sizes = read.map(admittedBytes);
    const largest = sizes.indexOf(Math.max(...sizes));
    const what = `${images.length > 1 ? `${images.length} images, the largest ` : ""}${images[largest].label}: ${sizeOf(read[largest])}`;
    reservation.add(Math.max(0, sizes.reduce((sum, size) => sum + size, 0) - downloaded), what);
    return read;
  }
}

function sizeOf(image: EncodedImage | WorkflowImage): string {
  return image instanceof EncodedImage ? `${image.header.width}x${image.header.height}` : `${image.width}x${image.height}`;
}
