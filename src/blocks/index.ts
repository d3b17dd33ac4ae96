/**
 * The core blocks, as a plugin: `registry.use(coreBlocks)`. Third-party plugins register their
 * blocks the same way.
 */
import type { BlockPlugin } from "../block-api/index.js";
import { cacheGetBlock } from "./cache/cache-get.js";
import { cacheSetBlock } from "./cache/cache-set.js";
import { continueIf } from "./flow-control/continue-if.js";
import { rateLimiterBlock } from "./flow-control/rate-limiter.js";
import { switchCase } from "./flow-control/switch-case.js";
import { expression } from "./formatters/expression.js";
import { bufferBlock } from "./fusion/buffer.js";
import { firstNonEmptyOrDefault } from "./formatters/first-non-empty-or-default.js";
import { propertyDefinition } from "./formatters/property-definition.js";
import { stringTemplate } from "./formatters/string-template.js";
import { cosineSimilarityBlock } from "./math/cosine-similarity.js";
import { clipEmbedding } from "./models/clip.js";
import { clipComparison } from "./models/clip-comparison.js";
import { clipComparisonV2 } from "./models/clip-comparison-v2.js";
import { roboflowObjectDetectionModel } from "./models/roboflow-object-detection.js";
import { identifyChangesBlock } from "./sampling/identify-changes.js";
import { identifyOutliersBlock } from "./sampling/identify-outliers.js";
import { gridVisualization } from "./visualizations/grid.js";

export const coreBlocks: BlockPlugin = (registry) => {
  registry.register(
    // formatters
    expression,
    propertyDefinition,
    stringTemplate,
    firstNonEmptyOrDefault,
    // flow control
    continueIf,
    switchCase,
    rateLimiterBlock,
    // sampling
    identifyChangesBlock,
    identifyOutliersBlock,
    // fusion and cache
    bufferBlock,
    cacheGetBlock,
    cacheSetBlock,
    // math
    cosineSimilarityBlock,
    // models
    clipEmbedding,
    clipComparison,
    clipComparisonV2,
    roboflowObjectDetectionModel,
    // visualizations
    gridVisualization,
  );
};
