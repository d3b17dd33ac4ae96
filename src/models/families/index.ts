/**
 * The model families sightline knows, one line each; the first is the default, used when a
 * request names neither a family nor a version of one. A runtime can be given another list
 * (the `families` model option), e.g. `[...MODEL_FAMILIES, myFamily]`.
 */
import type { OptionsOfFamilies } from "../family.js";
import { clipFamily } from "./clip/index.js";

export const MODEL_FAMILIES = [clipFamily] as const;

/** The options the built-in families add to `ModelOptions`. */
export type BuiltInFamilyOptions = OptionsOfFamilies<typeof MODEL_FAMILIES>;
