/**
 * `roboflow_core/switch_case@v1` (alias `SwitchCase`, EE >= 1.11.0): routes to the step of the case
 * whose key equals Python's `str(value)` (docs/reference/blocks.md#switch-case). Each case key is
 * its own branch.
 *
 * JSON cannot tell `1.0` from `1`, so a float literal that is a whole number matches the case
 * `"1"` here where Python would produce `"1.0"`.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selectSteps, stepSelector, terminateBranch } from "../../block-api/index.js";
import { pythonStr } from "../../query/python/index.js";

const properties = z
  .object({
    value: literalOrSelector(z.union([z.string(), z.number(), z.boolean()]), ["*"]).describe("The value to route on; compared as Python str(value)"),
    cases: z.record(z.string(), stepSelector()).default({}).describe("Case key → the step to run"),
    case_insensitive: z.boolean().default(false),
    default_next_steps: z.array(stepSelector()).default([]).describe("Steps to run when no case matches"),
  })
  .superRefine((manifest, ctx) => {
    // upstream's model validator, with its messages
    const duplicated = duplicatedTargets([...Object.values(manifest.cases), ...manifest.default_next_steps]);
    if (duplicated.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["cases"],
        message: `Each step may be targeted at most once across \`cases\` and \`default_next_steps\`. Duplicated targets: [${duplicated.map((target) => `'${target}'`).join(", ")}]`,
      });
    }
    if (manifest.case_insensitive && new Set(Object.keys(manifest.cases).map(caseFold)).size !== Object.keys(manifest.cases).length) {
      ctx.addIssue({ code: "custom", path: ["cases"], message: "`cases` contains keys that collide when case_insensitive is enabled" });
    }
  });

/** Targets given more than once, sorted as Python's `sorted()` sorts strings. */
function duplicatedTargets(targets: readonly string[]): string[] {
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (const target of targets) {
    if (seen.has(target)) duplicated.add(target);
    seen.add(target);
  }
  return [...duplicated].sort();
}

/** Python's `str.lower()` for the case-insensitive comparison. */
const caseFold = (text: string): string => text.toLowerCase();

export const switchCaseBlock = defineBlock({
  manifest: {
    type: "roboflow_core/switch_case@v1",
    aliases: ["SwitchCase"],
    name: "Switch Case",
    family: "flow_control",
    description: "Runs the step of the case matching the value, or the default steps.",
    properties,
    outputs: [],
    flowControl: true,
    compatibility: ">=1.11.0,<2.0.0",
  },
  run({ value, cases, case_insensitive, default_next_steps }) {
    let key = pythonStr(value);
    if (case_insensitive) key = caseFold(key);
    for (const [caseKey, target] of Object.entries(cases)) {
      if ((case_insensitive ? caseFold(caseKey) : caseKey) === key) return selectSteps([target]);
    }
    return default_next_steps.length > 0 ? selectSteps(default_next_steps) : terminateBranch();
  },
});
