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

async function measure(name: string, run: (i: number) => Promise<unknown>, seconds = 2): Promise<number> {
  for (let i = 0; i < 2_000; i++) await run(i); // JIT warm-up
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let runs = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 200; i++) await run(runs + i);
    runs += 200;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = runs / elapsed;
  console.log(
    `${name.padEnd(44)} ${Math.round(perSecond).toLocaleString("en").padStart(10)} runs/s   ${((elapsed / runs) * 1e6).toFixed(1).padStart(7)} µs/run`,
  );
  return perSecond;
}

const scalar = compile(tenStepWorkflow({ type: "WorkflowParameter", name: "value" }));
const batched = compile(tenStepWorkflow({ type: "WorkflowBatchInput", name: "value", kind: ["float"] }));
const values = Array.from({ length: 64 }, (_, i) => (i % 10) / 20);

console.log(`engine benchmark — ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${new Date().toISOString()}`);
const sanity = await scalar.run({ value: 0.35 });
console.log("sample result:", JSON.stringify(sanity));
const scalarRate = await measure("10 steps, scalar input (engine.run)", (i) => scalar.run({ value: values[i & 63] }));
const batchRate = await measure("10 steps, batch of 8 (engine.run)", (i) => batched.run({ value: values.slice(i & 31, (i & 31) + 8) }));
await measure("10 steps, scalar input (engine.runSerialised)", (i) => scalar.runSerialised({ value: values[i & 63] }));
console.log(`batch of 8: ${Math.round(batchRate * 8).toLocaleString("en")} elements/s (${((batchRate * 8) / scalarRate).toFixed(2)}× the scalar element rate)`);
console.log(`goal >= 20,000 scalar runs/s: ${scalarRate >= 20_000 ? "met" : "NOT met"}`);
