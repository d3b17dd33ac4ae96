export * from "./issues.js";
export * from "./parse.js";
export * from "./schema.js";
export * from "./selectors.js";
export * from "./suggest.js";
export * from "./version.js";
