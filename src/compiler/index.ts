export * from "./compile.js";
export * from "./plan.js";
export { formatPropertyPath } from "./graph.js";
