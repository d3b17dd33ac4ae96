/**
 * Engine throughput: runs per second through the library API for a 10-step model-free workflow,
 * on a scalar input and on a batch of 8. Goal: >= 20,000 runs/s for the scalar one on one core
 * (Node runs the engine on one thread).
 *
 *   npm run bench:engine
 *   npm run bench:engine -- --against ../other-checkout    # this build ÷ another build's dist/, same process
 *
 * With `--against DIR`, the scenarios run on this build and on DIR's built library (`DIR/dist/index.js`,
 * e.g. a worktree of an older commit after `npm ci`) in alternating rounds, and the ratio of each
 * pair is printed: a refactor's cost measured inside one run, where machine noise hits both alike.
 */
import { cpus } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { compile } from "../src/index.js";
import { tenStepWorkflow } from "./workflows.js";

type Scenario = { name: string; run: (i: number) => Promise<unknown>; runs: number; seconds: number };
type Compile = (definition: unknown) => {
  run(inputs: Record<string, unknown>): Promise<unknown>;
  runSerialised(inputs: Record<string, unknown>): Promise<unknown>;
};

const { values: args } = parseArgs({ options: { against: { type: "string" }, rounds: { type: "string", default: "5" } } });

/** Scenarios take turns in short rounds, so a change in machine load hits all of them alike. */
async function measure(scenarios: Scenario[], rounds: number, secondsPerRound = 0.6): Promise<void> {
  for (const scenario of scenarios) for (let i = 0; i < 2_000; i++) await scenario.run(i); // JIT warm-up
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) {
      const started = process.hrtime.bigint();
      const deadline = started + BigInt(Math.round(secondsPerRound * 1e9));
      while (process.hrtime.bigint() < deadline) {
        for (let i = 0; i < 200; i++) await scenario.run(scenario.runs + i);
        scenario.runs += 200;
      }
      scenario.seconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
  }
}

const rate = (scenario: Scenario) => scenario.runs / scenario.seconds;

function report(scenario: Scenario): void {
  console.log(
    `${scenario.name.padEnd(56)} ${Math.round(rate(scenario)).toLocaleString("en").padStart(10)} runs/s   ${((1 / rate(scenario)) * 1e6).toFixed(1).padStart(7)} µs/run`,
  );
}

/** The three scenarios, on one build's `compile`; `label` tells builds apart. */
function scenariosOf(compileWith: Compile, label: string): Scenario[] {
  const scalar = compileWith(tenStepWorkflow({ type: "WorkflowParameter", name: "value" }));
  const batched = compileWith(tenStepWorkflow({ type: "WorkflowBatchInput", name: "value", kind: ["float"] }));
  const values = Array.from({ length: 64 }, (_, i) => (i % 10) / 20);
  return [
    { name: `10 steps, scalar input (engine.run)${label}`, run: (i) => scalar.run({ value: values[i & 63] }), runs: 0, seconds: 0 },
    { name: `10 steps, batch of 8 (engine.run)${label}`, run: (i) => batched.run({ value: values.slice(i & 31, (i & 31) + 8) }), runs: 0, seconds: 0 },
    { name: `10 steps, scalar input (engine.runSerialised)${label}`, run: (i) => scalar.runSerialised({ value: values[i & 63] }), runs: 0, seconds: 0 },
  ];
}

console.log(`engine benchmark — ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${new Date().toISOString()}`);
console.log("sample result:", JSON.stringify(await compile(tenStepWorkflow({ type: "WorkflowParameter", name: "value" })).run({ value: 0.35 })));
const rounds = Number(args.rounds);

if (args.against === undefined) {
  const scenarios = scenariosOf(compile, "");
  await measure(scenarios, rounds);
  scenarios.forEach(report);
  const [scalarRate, batchRate] = scenarios.map(rate);
  console.log(
    `batch of 8: ${Math.round(batchRate * 8).toLocaleString("en")} elements/s (${((batchRate * 8) / scalarRate).toFixed(2)}× the scalar element rate)`,
  );
  console.log(`goal >= 20,000 scalar runs/s: ${scalarRate >= 20_000 ? "met" : "NOT met"}`);
} else {
  const other = resolve(args.against);
  const library = (await import(pathToFileURL(resolve(other, "dist/index.js")).href)) as { compile: Compile };
  const mine = scenariosOf(compile, " [this]");
  const theirs = scenariosOf(library.compile, " [against]");
  // interleaved, so each pair of rounds sees the same machine
  await measure(
    mine.flatMap((scenario, i) => [scenario, theirs[i]]),
    rounds,
  );
  console.log(`against: ${other}`);
  mine.forEach((scenario, i) => {
    report(scenario);
    report(theirs[i]);
    console.log(`${"  this ÷ against".padEnd(56)} ${(rate(scenario) / rate(theirs[i])).toFixed(3).padStart(10)}`);
  });
}
