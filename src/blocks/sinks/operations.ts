/**
 * The operations of a sink's payload fields (upstream's `execute_operations_on_parameters`), run
 * in the delivery. A chain ending in `ConvertImageToJPEG` or `ConvertImageToBase64` on an image
 * encodes it with sharp, off the main thread, rather than with the query language's synchronous
 * encoder: the same JPEG at the same quality, without taking the frames' thread.
 */
import type { z } from "zod";
import { encodeJpeg } from "../../images/codec.js";
import { isWorkflowImage } from "../../images/index.js";
import { NO_GLOBALS, applyOperations, type OperationsChainSchema } from "../../query/index.js";

export type OperationsChain = z.output<typeof OperationsChainSchema>;

/** Upstream's default JPEG quality for `ConvertImageToBase64`. */
const BASE64_JPEG_QUALITY = 95;

async function applyChain(value: unknown, chain: OperationsChain): Promise<unknown> {
  const last = chain.at(-1);
  if (last?.type !== "ConvertImageToJPEG" && last?.type !== "ConvertImageToBase64") return applyOperations(value, chain, NO_GLOBALS);
  const image = chain.length > 1 ? applyOperations(value, chain.slice(0, -1), NO_GLOBALS) : value;
  // anything else is the query language's to refuse, with its own message
  if (!isWorkflowImage(image)) return applyOperations(value, chain, NO_GLOBALS);
  if (last.type === "ConvertImageToBase64") return (await encodeJpeg(image, BASE64_JPEG_QUALITY)).toString("base64");
  return encodeJpeg(image, last.compression_level);
}

/** `values` with each field's operations applied, when it has any. */
export async function withOperations(
  values: Readonly<Record<string, unknown>>,
  operations: Readonly<Record<string, OperationsChain>>,
): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { ...values };
  for (const [name, chain] of Object.entries(operations)) {
    if (chain.length > 0 && Object.hasOwn(result, name)) result[name] = await applyChain(result[name], chain);
  }
  return result;
}
