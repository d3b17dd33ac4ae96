/**
 * Engine throughput: runs per second through the library API for a 10-step model-free workflow,
 * on a scalar input and on a batch of 8. Goal: >= 20,000 runs/s for the scalar one on one core
 * (Node runs the engine on one thread).
 *
 *   npm run bench:engine
 */
import { cpus } from "node:os";
import { compile } from "../src/index.js";
import { tenStepWorkflow } from "./workflows.js";

type Scenario = { name: string; run: (i: number) => Promise<unknown>; runs: number; seconds: number };

/** Scenarios take turns in short rounds, so a change in machine load hits all of them alike. */
async function measure(scenarios: Scenario[], rounds = 5, secondsPerRound = 0.6): Promise<void> {
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
  for (const { name, runs, seconds } of scenarios) {
    console.log(
      `${name.padEnd(44)} ${Math.round(runs / seconds)
        .toLocaleString("en")
        .padStart(10)} runs/s   ${((seconds / runs) * 1e6).toFixed(1).padStart(7)} µs/run`,
    );
  }
}

const scalar = compile(tenStepWorkflow({ type: "WorkflowParameter", name: "value" }));
const batched = compile(tenStepWorkflow({ type: "WorkflowBatchInput", name: "value", kind: ["float"] }));
const values = Array.from({ length: 64 }, (_, i) => (i % 10) / 20);

console.log(`engine benchmark — ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${new Date().toISOString()}`);
console.log("sample result:", JSON.stringify(await scalar.run({ value: 0.35 })));
const scenarios: Scenario[] = [
  { name: "10 steps, scalar input (engine.run)", run: (i) => scalar.run({ value: values[i & 63] }), runs: 0, seconds: 0 },
  { name: "10 steps, batch of 8 (engine.run)", run: (i) => batched.run({ value: values.slice(i & 31, (i & 31) + 8) }), runs: 0, seconds: 0 },
  { name: "10 steps, scalar input (engine.runSerialised)", run: (i) => scalar.runSerialised({ value: values[i & 63] }), runs: 0, seconds: 0 },
];
await measure(scenarios);
const [scalarRate, batchRate] = scenarios.map((s) => s.runs / s.seconds);
console.log(`batch of 8: ${Math.round(batchRate * 8).toLocaleString("en")} elements/s (${((batchRate * 8) / scalarRate).toFixed(2)}× the scalar element rate)`);
console.log(`goal >= 20,000 scalar runs/s: ${scalarRate >= 20_000 ? "met" : "NOT met"}`);
