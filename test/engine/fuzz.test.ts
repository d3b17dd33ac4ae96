/**
 * Thousands of random and mutated definitions and inputs through compile + run: the process
 * never crashes or hangs; every case ends in results or a structured workflow error.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compile, WorkflowError } from "../../src/index.js";

const EXAMPLES = resolve(import.meta.dirname, "../fixtures/roboflow-examples");
const examples = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith(".json"))
  .map((name) => JSON.parse(readFileSync(join(EXAMPLES, name), "utf8")) as unknown);

const CASE_TIMEOUT_MS = 5_000;

type Outcome = { kind: "results"; value: unknown } | { kind: "error"; body: Record<string, unknown> };

/** Compile and run; anything other than results or a WorkflowError is a bug. */
async function attempt(definition: unknown, inputs: unknown): Promise<Outcome> {
  const work = (async (): Promise<Outcome> => {
    try {
      const engine = compile(definition, { imageLoading: { allowLocalFiles: false, allowUrls: false } });
      const results = await engine.runSerialised(inputs as Record<string, unknown>);
      JSON.stringify(results);
      return { kind: "results", value: results };
    } catch (error) {
      if (error instanceof WorkflowError) {
        const body = error.toBody() as unknown as Record<string, unknown>;
        JSON.stringify(body);
        return { kind: "error", body };
      }
      throw error;
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case did not finish within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const tally = { results: 0, errors: new Map<string, number>() };

function checkOutcome(outcome: Outcome): void {
  if (outcome.kind === "results") tally.results++;
  if (outcome.kind === "error") tally.errors.set(String(outcome.body.error_type), (tally.errors.get(String(outcome.body.error_type)) ?? 0) + 1);
  if (outcome.kind === "error") {
    expect(typeof outcome.body.error_type).toBe("string");
    expect(typeof outcome.body.message).toBe("string");
  } else {
    expect(Array.isArray(outcome.value)).toBe(true);
  }
}

// ---- generators ------------------------------------------------------------------------------

const names = fc.constantFrom("a", "b", "image", "value", "x", "step_1", "step_2", "out", "some", "routing_value", "prompt");
const selectorText = fc.oneof(
  names.map((n) => `$inputs.${n}`),
  fc.tuple(names, fc.constantFrom("output", "sum", "*", "similarity", "is_outlier", "x")).map(([s, o]) => `$steps.${s}.${o}`),
  names.map((n) => `$steps.${n}`),
  fc.string({ maxLength: 12 }).map((s) => `$${s}`),
);
const scalar = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 10 }), selectorText);
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const blockTypes = [
  "roboflow_core/expression@v1",
  "Expression",
  "PropertyDefinition",
  "roboflow_core/string_template@v1",
  "ContinueIf",
  "roboflow_core/switch_case@v1",
  "roboflow_core/first_non_empty_or_default@v1",
  "roboflow_core/cosine_similarity@v1",
  "roboflow_core/identify_changes@v1",
  "roboflow_core/identify_outliers@v1",
  "roboflow_core/buffer@v1",
  "roboflow_core/rate_limiter@v1",
  "roboflow_core/cache_get@v1",
  "roboflow_core/cache_set@v1",
  "NotABlock",
];

const validOperation = fc.oneof(
  fc.constant({ type: "ToString" }),
  fc.constant({ type: "SequenceLength" }),
  fc.constant({ type: "StringToUpperCase" }),
  fc.record({ type: fc.constant("NumberRound"), decimal_digits: fc.integer({ min: -3, max: 5 }) }),
  fc.record({ type: fc.constant("Divide"), other: fc.oneof(fc.constant(0), fc.double()) }),
  fc.record({ type: fc.constant("SequenceJoin"), separator: fc.string({ maxLength: 3 }) }),
  fc.record({ type: fc.constant("LookupTable"), lookup_table: fc.dictionary(fc.string({ maxLength: 3 }), scalar, { maxKeys: 3 }) }),
);
const operation = fc.oneof(validOperation, fc.record({ type: fc.string({ maxLength: 8 }) }));
const literal = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 10 }).filter((text) => !text.startsWith("$")),
);

const condition = fc.record({
  type: fc.constant("StatementGroup"),
  statements: fc.array(
    fc.record({
      type: fc.constant("BinaryStatement"),
      left_operand: fc.record({ type: fc.constant("DynamicOperand"), operand_name: names, operations: fc.array(operation, { maxLength: 2 }) }),
      comparator: fc.record({ type: fc.constantFrom("==", "(Number) >", "in (Sequence)", "(String) contains", "bogus") }),
      right_operand: fc.record({ type: fc.constant("StaticOperand"), value: scalar }),
    }),
    { maxLength: 3 },
  ),
  operator: fc.constantFrom("and", "or"),
});

const step = fc.record(
  {
    type: fc.constantFrom(...blockTypes),
    name: names,
    data: fc.oneof(selectorText, fc.dictionary(names, selectorText, { maxKeys: 3 }), fc.array(selectorText, { maxLength: 3 })),
    operations: fc.array(operation, { maxLength: 3 }),
    data_operations: fc.dictionary(names, fc.array(operation, { maxLength: 2 }), { maxKeys: 2 }),
    switch: fc.record({
      type: fc.constant("CasesDefinition"),
      cases: fc.constant([]),
      default: fc.record({ type: fc.constant("StaticCaseResult"), value: scalar }),
    }),
    condition_statement: condition,
    evaluation_parameters: fc.dictionary(names, selectorText, { maxKeys: 2 }),
    next_steps: fc.array(
      names.map((n) => `$steps.${n}`),
      { maxLength: 2 },
    ),
    value: scalar,
    cases: fc.dictionary(
      fc.string({ maxLength: 3 }),
      names.map((n) => `$steps.${n}`),
      { maxKeys: 2 },
    ),
    template: fc.oneof(fc.string({ maxLength: 12 }), fc.constant("{a} and {b}")),
    embedding: selectorText,
    embedding_1: selectorText,
    embedding_2: selectorText,
    length: fc.integer({ min: -1, max: 4 }),
    key: scalar,
    image: selectorText,
    depends_on: selectorText,
    window_size: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constant(null)),
  },
  { requiredKeys: ["type", "name"] },
);

const input = fc.oneof(
  fc.record({ type: fc.constantFrom("WorkflowParameter", "InferenceParameter"), name: names, default_value: scalar }),
  fc.record({ type: fc.constant("WorkflowBatchInput"), name: names, kind: fc.constantFrom(["*"], ["embedding"], ["float"]) }),
  fc.record({ type: fc.constantFrom("WorkflowImage", "WorkflowVideoMetadata", "Bogus"), name: names }),
);

const definition = fc.record({
  version: fc.constantFrom("1.0", "1.3.0", "2.0", "x", "0.9"),
  inputs: fc.array(input, { maxLength: 4 }),
  steps: fc.array(step, { maxLength: 5 }),
  outputs: fc.array(fc.record({ type: fc.constant("JsonField"), name: names, selector: selectorText }), { maxLength: 3 }),
});

const runtimeInputs = fc.dictionary(
  names,
  fc.oneof(scalar, fc.array(fc.oneof(fc.double(), fc.integer()), { maxLength: 4 }), fc.array(scalar, { maxLength: 3 })),
  { maxKeys: 5 },
);

/** A compat example with one random part replaced, deleted or renamed. */
const mutatedExample = fc
  .tuple(fc.constantFrom(...examples), fc.array(fc.tuple(fc.nat(), fc.constantFrom("replace", "delete", "selector")), { minLength: 1, maxLength: 3 }), anyJson)
  .map(([original, mutations, replacement]) => {
    const copy = structuredClone(original);
    for (const [seed, kind] of mutations) mutate(copy, seed, kind, replacement);
    return copy;
  });

function mutate(root: unknown, seed: number, kind: string, replacement: unknown): void {
  const slots: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const collect = (value: unknown) => {
    if (Array.isArray(value)) value.forEach((item, i) => (slots.push({ holder: value, key: i }), collect(item)));
    else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        slots.push({ holder: value as Record<string, unknown>, key });
        collect(item);
      }
    }
  };
  collect(root);
  if (slots.length === 0) return;
  const { holder, key } = slots[seed % slots.length];
  if (kind === "delete") {
    if (Array.isArray(holder)) holder.splice(key as number, 1);
    else delete holder[key as string];
  } else if (kind === "selector") {
    (holder as Record<string | number, unknown>)[key] = "$steps.nowhere.output";
  } else {
    (holder as Record<string | number, unknown>)[key] = structuredClone(replacement);
  }
}

/**
 * Well-formed workflows: chains of real blocks wired to earlier inputs and steps, so most cases
 * compile and run, and failures come from values rather than from the definition's shape.
 */
const wellFormed = fc
  .tuple(
    fc.array(
      fc.record({
        template: fc.constantFrom("expression", "property", "template", "first", "continue", "switch", "cosine"),
        ref: fc.nat(),
        ref2: fc.nat(),
        ops: fc.array(validOperation, { maxLength: 2 }),
        comparator: fc.constantFrom("==", "!=", "(Number) >", "(Number) <=", "in (Sequence)", "(String) startsWith", "(Sequence) is empty"),
        value: literal,
      }),
      { minLength: 1, maxLength: 8 },
    ),
    fc.boolean(),
  )
  .map(([plans, batch]) => {
    const inputs = [
      { type: "WorkflowParameter", name: "a" },
      { type: "WorkflowParameter", name: "b", default_value: "text" },
      { type: "WorkflowParameter", name: "e1", kind: ["embedding"] },
      { type: "WorkflowParameter", name: "e2", kind: ["embedding"] },
      ...(batch ? [{ type: "WorkflowBatchInput", name: "xs" }] : []),
    ];
    const refs = ["$inputs.a", "$inputs.b", ...(batch ? ["$inputs.xs"] : [])];
    const steps: Record<string, unknown>[] = [];
    plans.forEach((plan, i) => {
      const name = `s${i}`;
      const ref = refs[plan.ref % refs.length];
      const ref2 = refs[plan.ref2 % refs.length];
      const unary = plan.comparator === "(Sequence) is empty";
      const condition = {
        type: "StatementGroup",
        statements: [
          unary
            ? { type: "UnaryStatement", operand: { type: "DynamicOperand", operand_name: "v", operations: plan.ops }, operator: { type: plan.comparator } }
            : {
                type: "BinaryStatement",
                left_operand: { type: "DynamicOperand", operand_name: "v", operations: plan.ops },
                comparator: { type: plan.comparator },
                right_operand: { type: "StaticOperand", value: plan.value },
              },
        ],
      };
      switch (plan.template) {
        case "expression":
          steps.push({
            type: "Expression",
            name,
            data: { v: ref },
            switch: {
              type: "CasesDefinition",
              cases: [{ type: "CaseDefinition", condition, result: { type: "DynamicCaseResult", parameter_name: "v", operations: plan.ops } }],
              default: { type: "StaticCaseResult", value: plan.value },
            },
          });
          break;
        case "property":
          steps.push({ type: "PropertyDefinition", name, data: ref, operations: plan.ops });
          break;
        case "template":
          steps.push({
            type: "roboflow_core/string_template@v1",
            name,
            template: "<{v}|{w}>",
            data: { v: ref, w: plan.value === null || typeof plan.value === "object" ? 1 : plan.value },
          });
          break;
        case "first":
          steps.push({ type: "roboflow_core/first_non_empty_or_default@v1", name, data: [ref, ref2], default: plan.value });
          break;
        case "continue":
          steps.push({ type: "ContinueIf", name, condition_statement: condition, evaluation_parameters: { v: ref }, next_steps: [`$steps.s${i + 1}`] });
          return; // flow control: no output to reference
        case "switch":
          steps.push({ type: "SwitchCase", name, value: ref, cases: { text: `$steps.s${i + 1}` } });
          return;
        case "cosine":
          steps.push({ type: "roboflow_core/cosine_similarity@v1", name, embedding_1: "$inputs.e1", embedding_2: "$inputs.e2" });
          refs.push(`$steps.${name}.similarity`);
          return;
      }
      refs.push(`$steps.${name}.output`);
    });
    // A flow-control step must target an existing step.
    const last = steps[steps.length - 1];
    if (last && (last.type === "ContinueIf" || last.type === "SwitchCase"))
      steps.push({ type: "PropertyDefinition", name: `s${plans.length}`, data: "$inputs.a", operations: [] });
    const outputs = refs.filter((r) => r.startsWith("$steps.")).map((selector, i) => ({ type: "JsonField", name: `o${i}`, selector }));
    return { version: "1.0", inputs, steps, outputs };
  });

const wellFormedInputs = fc.record({
  a: fc.oneof(
    fc.integer({ min: -3, max: 3 }),
    fc.double({ noNaN: false }),
    fc.string({ maxLength: 4 }),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
  ),
  b: fc.oneof(fc.constant("text"), fc.string({ maxLength: 4 }), fc.boolean()),
  e1: fc.oneof(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.array(fc.double(), { maxLength: 4 })),
  e2: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
  xs: fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 3 }),
});

describe("random definitions never crash or hang the engine", () => {
  afterAll(() => {
    // The cases must reach every stage, not stop at parsing: runs that produced results, and
    // errors from compilation as well as from execution.
    expect(tally.results).toBeGreaterThan(200);
    for (const type of ["WorkflowSyntaxError", "InvalidReferenceTargetError", "RuntimeInputError", "StepExecutionError"]) {
      expect(tally.errors.get(type) ?? 0, type).toBeGreaterThan(0);
    }
  });

  it("well-formed workflows with random values", async () => {
    await fc.assert(
      fc.asyncProperty(wellFormed, wellFormedInputs, async (def, inputs) => checkOutcome(await attempt(def, inputs))),
      { numRuns: 3000, seed: 2024 },
    );
  }, 300_000);

  it("random definitions and inputs", async () => {
    await fc.assert(
      fc.asyncProperty(definition, runtimeInputs, async (def, inputs) => checkOutcome(await attempt(def, inputs))),
      { numRuns: 2500, seed: 4242 },
    );
  }, 300_000);

  it("mutated upstream examples with random inputs", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedExample, runtimeInputs, async (def, inputs) => checkOutcome(await attempt(def, inputs))),
      { numRuns: 2500, seed: 1717 },
    );
  }, 300_000);

  it("arbitrary JSON as a definition", async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, anyJson, async (def, inputs) => checkOutcome(await attempt(def, inputs))),
      { numRuns: 1000, seed: 99 },
    );
  }, 300_000);
});
