/**
 * Cosine Similarity (`roboflow_core/cosine_similarity@v1`,
 * docs/reference/blocks.md#cosine-similarity): `a·b / √((a·a)(b·b))`, unclipped. The engine reports
 * what it throws as a `StepExecutionError`.
 *
 * | input | sightline | upstream |
 * | --- | --- | --- |
 * | different lengths | RuntimeError, upstream's message word for word | same |
 * | a zero vector | error | NaN |
 * | NaN / ±Infinity inside an embedding | error naming the index | NaN |
 * | empty embeddings | error | NaN |
 */
import { z } from "zod";
import { defineBlock, selector } from "../../block-api/index.js";
import { pythonException } from "../../errors/python-names.js";
import { checkEmbedding } from "../../maths/input-checks.js";
import { cosineSimilarity, isZeroVector } from "../../maths/vectors.js";

const TYPE = "roboflow_core/cosine_similarity@v1";

export const cosineSimilarityBlock = defineBlock({
  manifest: {
    type: TYPE,
    name: "Cosine Similarity",
    family: "math",
    description: "Calculates the cosine similarity between two embeddings: 1 for the same direction, 0 for orthogonal, −1 for opposite.",
    properties: z.object({
      embedding_1: selector(["embedding"]),
      embedding_2: selector(["embedding"]),
    }),
    outputs: [{ name: "similarity", kinds: ["float"] }],
  },
  run(inputs) {
    const { embedding_1: first, embedding_2: second } = inputs;
    if (Array.isArray(first) && Array.isArray(second) && first.length !== second.length) {
      throw pythonException(
        "RuntimeError",
        `${TYPE} block feed with different shape of embeddings. ` + `\`embedding_1\`: (N, ${first.length}), \`embedding_2\`: (N, ${second.length})`,
      );
    }
    const a = checkEmbedding(first, null, "embedding_1");
    const b = checkEmbedding(second, null, "embedding_2");
    if (isZeroVector(a) || isZeroVector(b)) {
      throw new Error(`${TYPE}: ${isZeroVector(a) ? "embedding_1" : "embedding_2"} is the zero vector, which has no direction`);
    }
    return { similarity: cosineSimilarity(a, b) };
  },
});
