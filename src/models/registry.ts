/**
 * The families one runtime knows (by default `MODEL_FAMILIES`), checked once — ids, version
 * names and option names each unique — and looked up by what a request or the cache gives: a
 * family id, a version name, a hub repository, a folder's config.json.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ModelError } from "./errors.js";
import type { FamilyOption, ModelFamily } from "./family.js";
import { CONFIG_FILE, towersOf } from "./layout.js";
import { isJsonObject } from "../definition/json.js";

type Env = Readonly<Record<string, string | undefined>>;

export class FamilyRegistry {
  constructor(readonly families: readonly ModelFamily[]) {
    if (families.length === 0) throw new ModelError("a model runtime needs at least one model family");
    const owners = new Map<string, string>();
    const claim = (what: string, family: ModelFamily): void => {
      const owner = owners.get(what);
      if (owner !== undefined) throw new ModelError(`model families ${owner} and ${family.id} both declare ${what}`);
      owners.set(what, family.id);
    };
    for (const family of families) {
      claim(`the id "${family.id}"`, family);
      for (const version of versionsOf(family)) claim(`the version "${version}"`, family);
      for (const name of Object.keys(family.options ?? {})) claim(`the option "${name}"`, family);
      if (towersOf(family).length === 0) throw new ModelError(`model family ${family.id} declares no tower`);
      if (!Object.hasOwn(family.versions.hub, family.versions.default)) {
        throw new ModelError(`model family ${family.id}: its default version "${family.versions.default}" is not one of its hub versions`);
      }
    }
  }

  /** The family of a request that names neither a family nor one of its versions. */
  get default(): ModelFamily {
    return this.families[0];
  }

  get(id: string): ModelFamily {
    const family = this.families.find((candidate) => candidate.id === id);
    if (family) return family;
    throw new ModelError(`unknown model family "${id}": the families are ${this.families.map((known) => known.id).join(", ")}`);
  }

  /** The family declaring `version`, as a hub version or a folder-only one. */
  ofVersion(version: string): ModelFamily | undefined {
    return this.families.find((family) => versionsOf(family).includes(version));
  }

  /** The family and version a hub repository serves. */
  ofRepository(repo: string): { family: ModelFamily; version: string } | undefined {
    for (const family of this.families) {
      const version = Object.keys(family.versions.hub).find((name) => family.versions.hub[name] === repo);
      if (version !== undefined) return { family, version };
    }
    return undefined;
  }

  /** The family whose `model_type` the folder's config.json names; undefined when it has none or cannot be read. */
  ofFolder(folder: string): ModelFamily | undefined {
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(join(folder, CONFIG_FILE), "utf8"));
    } catch {
      return undefined;
    }
    const modelType = isJsonObject(config) ? config.model_type : undefined;
    return this.families.find((family) => typeof modelType === "string" && family.modelTypes.includes(modelType));
  }

  /** Every family option: the value given, else its environment variable, else its default — checked. */
  resolveOptions(given: object, env: Env): Record<string, unknown> {
    const resolved: Record<string, unknown> = {};
    for (const [name, option] of this.options()) {
      const set: unknown = Reflect.get(given, name);
      const fromEnv = option.env === undefined ? undefined : env[option.env];
      const [value, origin] = set !== undefined ? [set, name] : fromEnv !== undefined ? [fromEnv, option.env] : [option.default, name];
      const parsed = option.schema.safeParse(value);
      if (!parsed.success) throw new ModelError(`${origin}: ${parsed.error.issues[0].message}`);
      resolved[name] = parsed.data;
    }
    return resolved;
  }

  /** Every family option by name. */
  options(): [name: string, option: FamilyOption<unknown>][] {
    return this.families.flatMap((family) => Object.entries(family.options ?? {}));
  }
}

function versionsOf(family: ModelFamily): string[] {
  return [...Object.keys(family.versions.hub), ...family.versions.folderOnly];
}
