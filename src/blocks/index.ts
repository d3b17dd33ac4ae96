/**
 * The core blocks, as a plugin: `registry.use(coreBlocks)`. Third-party plugins register their
 * blocks the same way.
 */
import type { BlockPlugin } from "../block-api/index.js";
import { firstNonEmptyOrDefault } from "./formatters/first-non-empty-or-default.js";
import { roboflowObjectDetectionModel } from "./models/roboflow-object-detection.js";

export const coreBlocks: BlockPlugin = (registry) => {
  registry.register(
    firstNonEmptyOrDefault,
    roboflowObjectDetectionModel,
  );
};
