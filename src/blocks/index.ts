/**
 * The core blocks, as a plugin: `registry.use(coreBlocks)`. Third-party plugins register their
 * blocks the same way.
 */
import type { BlockPlugin } from "../block-api/index.js";
import { cacheGetBlock } from "./cache/cache-get.js";
import { cacheSetBlock } from "./cache/cache-set.js";
import { continueIfBlock } from "./flow-control/continue-if.js";
import { rateLimiterBlock } from "./flow-control/rate-limiter.js";
import { switchCaseBlock } from "./flow-control/switch-case.js";
import { expressionBlock } from "./formatters/expression.js";
import { bufferBlock } from "./fusion/buffer.js";
import { firstNonEmptyOrDefaultBlock } from "./formatters/first-non-empty-or-default.js";
import { propertyDefinitionBlock } from "./formatters/property-definition.js";
import { stringTemplateBlock } from "./formatters/string-template.js";
import { cosineSimilarityBlock } from "./math/cosine-similarity.js";
import { clipBlock } from "./models/clip.js";
import { clipComparisonBlock } from "./models/clip-comparison.js";
import { clipComparisonV2Block } from "./models/clip-comparison-v2.js";
import { roboflowObjectDetectionModelBlock } from "./models/roboflow-object-detection.js";
import { roboflowObjectDetectionModelV2Block } from "./models/roboflow-object-detection-v2.js";
import { roboflowObjectDetectionModelV3Block } from "./models/roboflow-object-detection-v3.js";
import { detectChangesBlock } from "./sampling/detect-changes.js";
import { detectOutliersBlock } from "./sampling/detect-outliers.js";
import { identifyChangesBlock } from "./sampling/identify-changes.js";
import { identifyOutliersBlock } from "./sampling/identify-outliers.js";
import { emailNotificationBlock } from "./sinks/email-notification.js";
import { localFileSinkBlock } from "./sinks/local-file.js";
import { webhookSinkBlock } from "./sinks/webhook.js";
import { detectionsFilterBlock } from "./transformations/detections-filter.js";
import { dynamicCropBlock } from "./transformations/dynamic-crop.js";
import { boundingBoxVisualizationBlock } from "./visualizations/bounding-box.js";
import { gridVisualizationBlock } from "./visualizations/grid.js";
import { labelVisualizationBlock } from "./visualizations/label.js";

export const coreBlocks: BlockPlugin = (registry) => {
  registry.register(
    // formatters
    expressionBlock,
    propertyDefinitionBlock,
    stringTemplateBlock,
    firstNonEmptyOrDefaultBlock,
    // flow control
    continueIfBlock,
    switchCaseBlock,
    rateLimiterBlock,
    // sampling
    identifyChangesBlock,
    identifyOutliersBlock,
    detectOutliersBlock,
    detectChangesBlock,
    // fusion and cache
    bufferBlock,
    cacheGetBlock,
    cacheSetBlock,
    // math
    cosineSimilarityBlock,
    // models
    clipBlock,
    clipComparisonBlock,
    clipComparisonV2Block,
    roboflowObjectDetectionModelBlock,
    roboflowObjectDetectionModelV2Block,
    roboflowObjectDetectionModelV3Block,
    // transformations
    dynamicCropBlock,
    detectionsFilterBlock,
    // visualizations
    gridVisualizationBlock,
    boundingBoxVisualizationBlock,
    labelVisualizationBlock,
    // sinks
    webhookSinkBlock,
    localFileSinkBlock,
    emailNotificationBlock,
  );
};
