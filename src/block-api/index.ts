/**
 * The block API (`sightline/blocks`): everything a block — core or third-party — may import, and
 * nothing else. Core blocks import this file only, as plugins do. The compiler and the catalogue
 * reach the internals (schema walking, JSON Schema) through their own modules.
 */
export {
  defineBlock,
  DEFAULT_STREAM,
  isFlowControl,
  selectSteps,
  terminateBranch,
  type Block,
  type BlockDefinition,
  type BlockManifest,
  type BlockResult,
  type FlowControl,
  type OutputDefinition,
  type OutputValues,
  type SharedState,
  type StateSpec,
  type StepContext,
  type StepInfo,
} from "./block.js";
export { BlockRegistry, type BlockPlugin } from "./registry.js";
export { imageInputSelector, isSelector, literalOrSelector, selector, stepSelector, type DataSelector, type Resolved, type StepSelector } from "./selectors.js";
export { Services, serviceKey, type ServiceKey } from "./services.js";
export type { KindValue } from "../kinds/index.js";
export {
  DETECTION_KINDS,
  Detections,
  isDetections,
  type Box,
  type Detection,
  type ImageOrigin,
  type ImageSize,
  type SerialisedDetection,
  type SerialisedDetections,
} from "./detections.js";
