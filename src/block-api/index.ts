/** The block API: everything a block (core or third-party) may import. */
export * from "./block.js";
export * from "./describe.js";
export type * from "./description.js";
export * from "./registry.js";
export * from "./schema-walk.js";
export * from "./selectors.js";
export * from "./services.js";
