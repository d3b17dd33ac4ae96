/**
 * Query-language throughput: compiled conditions and operation chains against a hand-written
 * JavaScript equivalent (the floor) and against parsing + compiling on every call (what
 * compiling once saves). Ratios are measured inside one run; absolute rates depend on the machine.
 *
 *   npm run bench:query
 */
import {
  compileCondition,
  compileOperations,
  parseOperations,
  parseStatementGroup,
  type OperationInput,
  type StatementGroupInput,
} from "../src/query/index.js";

const DURATION_MS = 400;

function rate(name: string, body: (i: number) => unknown): number {
  let sink = 0;
  for (let i = 0; i < 2_000; i++) if (body(i)) sink++; // warm-up for the JIT
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(DURATION_MS) * 1_000_000n;
  let calls = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 1_000; i++) if (body(calls + i)) sink++;
    calls += 1_000;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = calls / seconds;
  console.log(`${name.padEnd(58)} ${(perSecond / 1e6).toFixed(2).padStart(7)} M/s${sink < 0 ? " " : ""}`);
  return perSecond;
}

// ContinueIf of upstream's flow-control tests, plus a richer three-statement group.
const gate: StatementGroupInput = {
  type: "StatementGroup",
  statements: [
    {
      type: "BinaryStatement",
      left_operand: { type: "DynamicOperand", operand_name: "left" },
      comparator: { type: "(Number) ==" },
      right_operand: { type: "StaticOperand", value: 1 },
    },
  ],
};
const rich: StatementGroupInput = {
  type: "StatementGroup",
  operator: "and",
  statements: [
    {
      type: "BinaryStatement",
      left_operand: { type: "DynamicOperand", operand_name: "score" },
      comparator: { type: "(Number) >=" },
      right_operand: { type: "StaticOperand", value: 0.5 },
    },
    {
      type: "BinaryStatement",
      left_operand: { type: "DynamicOperand", operand_name: "label", operations: [{ type: "StringToLowerCase" }] },
      comparator: { type: "in (Sequence)" },
      right_operand: { type: "StaticOperand", value: ["car", "truck", "bus"] },
    },
    { type: "UnaryStatement", operand: { type: "DynamicOperand", operand_name: "flag" }, operator: { type: "(Boolean) is True" } },
  ],
};
const chain: OperationInput[] = [
  { type: "StringToLowerCase" },
  { type: "StringSubSequence", start: 0, end: 3 },
  { type: "LookupTable", lookup_table: { car: 1, tru: 2 } },
];

const values = [
  { left: 1, score: 0.7, label: "Car", flag: true },
  { left: 0, score: 0.2, label: "TRUCK", flag: true },
  { left: 2, score: 0.9, label: "bike", flag: false },
];

const compiledGate = compileCondition(parseStatementGroup(gate));
const compiledRich = compileCondition(parseStatementGroup(rich));
const compiledChain = compileOperations(parseOperations(chain));
const labels = ["Car", "TRUCK", "car"];
const table: Record<string, number> = { car: 1, tru: 2 };

console.log(`node ${process.version}, ${new Date().toISOString()}`);
const gateRate = rate("condition (Number) == 1, compiled", (i) => compiledGate(values[i % 3]));
const gateFloor = rate("  hand-written JS equivalent", (i) => values[i % 3].left === 1);
const gateParse = rate("  parse + compile on every call", (i) => compileCondition(parseStatementGroup(gate))(values[i % 3]));
const richRate = rate("3-statement AND group with an operand chain, compiled", (i) => compiledRich(values[i % 3]));
const richFloor = rate("  hand-written JS equivalent", (i) => {
  const v = values[i % 3];
  const a = v.score >= 0.5;
  const b = ["car", "truck", "bus"].includes(v.label.toLowerCase());
  const c = v.flag === true;
  return a && b && c;
});
const chainRate = rate("chain lower → slice → lookup, compiled", (i) => compiledChain(labels[i % 3]));
const chainFloor = rate("  hand-written JS equivalent", (i) => table[labels[i % 3].toLowerCase().slice(0, 3)]);

console.log("");
console.log(`condition: ${(gateFloor / gateRate).toFixed(1)}x slower than plain JS, ${(gateRate / gateParse).toFixed(0)}x faster than re-parsing`);
console.log(`group:     ${(richFloor / richRate).toFixed(1)}x slower than plain JS`);
console.log(`chain:     ${(chainFloor / chainRate).toFixed(1)}x slower than plain JS`);
