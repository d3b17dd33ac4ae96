export * from "./compile.js";
export * from "./plan.js";
