/**
 * Attempts to reach the host from inside the sandbox. Each asserts what the code can actually
 * see, so a regression shows up as a changed observation, not only as a missing exception.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SandboxCodeError, SandboxDataError, SandboxExecutionError } from "../../src/sandbox/index.js";
import { CALL, rejection, sandboxFactory } from "./helpers.js";

const sandbox = sandboxFactory();

/** Runs each probe inside the sandbox and reports `typeof` its result, or the error it threw. */
const PROBES = `
  async function probe(attempt) {
    try {
      const value = await attempt();
      return value === undefined ? "undefined" : value === null ? "null" : typeof value;
    } catch (error) {
      return "threw " + (error && error.name) + ": " + (error && error.message);
    }
  }
`;

const ECMASCRIPT_GLOBALS = [
  "AggregateError",
  "Array",
  "ArrayBuffer",
  "BigInt",
  "BigInt64Array",
  "BigUint64Array",
  "Boolean",
  "DataView",
  "Date",
  "Error",
  "EvalError",
  "FinalizationRegistry",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "Function",
  "Infinity",
  "Int16Array",
  "Int32Array",
  "Int8Array",
  "InternalError",
  "Iterator",
  "JSON",
  "Map",
  "Math",
  "NaN",
  "Number",
  "Object",
  "Promise",
  "Proxy",
  "RangeError",
  "ReferenceError",
  "Reflect",
  "RegExp",
  "Set",
  "SharedArrayBuffer",
  "String",
  "Symbol",
  "SyntaxError",
  "TypeError",
  "URIError",
  "Uint16Array",
  "Uint32Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "WeakMap",
  "WeakRef",
  "WeakSet",
  "decodeURI",
  "decodeURIComponent",
  "encodeURI",
  "encodeURIComponent",
  "escape",
  "eval",
  "globalThis",
  "isFinite",
  "isNaN",
  "parseFloat",
  "parseInt",
  "undefined",
  "unescape",
];

describe("what the code can see", () => {
  it("has ECMAScript built-ins and console on its global object, nothing of Node", async () => {
    const probe = await sandbox(`function run() { return { names: Object.getOwnPropertyNames(globalThis).sort() }; }`);
    const { names } = (await probe.run({}, CALL)).output as { names: string[] };
    const extra = names.filter((name) => !ECMASCRIPT_GLOBALS.includes(name) && name !== "run");
    expect(extra).toEqual(["console"]);
    for (const hostName of [
      "process",
      "require",
      "module",
      "Buffer",
      "setTimeout",
      "setInterval",
      "setImmediate",
      "queueMicrotask",
      "fetch",
      "WebAssembly",
      "Atomics",
      "std",
      "os",
      "print",
      "__dirname",
      "global",
    ]) {
      expect(names).not.toContain(hostName);
    }
  });

  it("cannot reach process, require or the environment by any of the usual routes", async () => {
    const probe = await sandbox(
      `${PROBES}
      async function run(inputs, self) {
        return {
          typeofProcess: typeof process,
          typeofRequire: typeof require,
          globalRequire: typeof globalThis.require,
          constructorChain: await probe(() => this.constructor.constructor("return process")()),
          constructorChainFromInputs: await probe(() => inputs.constructor.constructor("return process")()),
          functionThis: await probe(() => Function("return this")().process),
          functionThisEnv: await probe(() => Function("return this")().process.env),
          directEval: await probe(() => eval("process")),
          indirectEval: await probe(() => (0, eval)("typeof process")),
          asyncFunctionConstructor: await probe(() => (async () => {}).constructor("return process")()),
          generatorConstructor: await probe(() => (function* () {}).constructor("yield process")().next()),
          viaConsole: await probe(() => console.log.constructor("return process")()),
          viaSelf: await probe(() => self.getWorkflowContext.constructor("return require")()),
          dynamicImportFs: await probe(() => import("fs")),
          dynamicImportNodeFs: await probe(() => import("node:fs")),
          dynamicImportData: await probe(() => import("data:text/javascript,export default 1")),
        };
      }`,
    );
    const { output } = await probe.run({}, CALL);
    expect(output).toEqual({
      typeofProcess: "undefined",
      typeofRequire: "undefined",
      globalRequire: "undefined",
      constructorChain: "threw ReferenceError: 'process' is not defined",
      constructorChainFromInputs: "threw ReferenceError: 'process' is not defined",
      functionThis: "undefined",
      functionThisEnv: "threw TypeError: cannot read property 'env' of undefined",
      directEval: "threw ReferenceError: 'process' is not defined",
      indirectEval: "string",
      asyncFunctionConstructor: "threw ReferenceError: 'process' is not defined",
      generatorConstructor: "threw ReferenceError: 'process' is not defined",
      viaConsole: "threw ReferenceError: 'process' is not defined",
      viaSelf: "threw ReferenceError: 'require' is not defined",
      dynamicImportFs: "threw ReferenceError: could not load module 'fs'",
      dynamicImportNodeFs: "threw ReferenceError: could not load module 'node:fs'",
      dynamicImportData: expect.stringMatching(/^threw \w+Error: /),
    });
  });

  it("sees its own global object when it asks for `this`, not the host's", async () => {
    const probe = await sandbox(`
      function run() {
        const viaFunction = Function("return this")();
        const viaEval = (0, eval)("this");
        return {
          same: viaFunction === globalThis && viaEval === globalThis,
          hostOnly: ["process", "Buffer", "require"].filter((name) => name in viaFunction),
        };
      }
    `);
    expect((await probe.run({}, CALL)).output).toEqual({ same: true, hostOnly: [] });
  });

  it("cannot reach the host through the objects it is given", async () => {
    const probe = await sandbox(`
      function run(inputs, self) {
        const seen = [inputs, inputs.list, inputs.nested, inputs.when, inputs.bytes, self, self.getWorkflowContext, console, console.log];
        return {
          prototypes: seen.map((value) => Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === Array.prototype
            || Object.getPrototypeOf(value) === Function.prototype || Object.getPrototypeOf(value) === Date.prototype
            || Object.getPrototypeOf(value) === Uint8Array.prototype),
          consoleSource: Function.prototype.toString.call(console.log).includes("emit"),
          hostFunctionSource: Function.prototype.toString.call(Object.getPrototypeOf(console.log).constructor),
        };
      }
    `);
    const { output } = await probe.run({ list: [1], nested: { a: 1 }, when: new Date(0), bytes: new Uint8Array(2) }, CALL);
    expect(output).toMatchObject({ prototypes: Array(9).fill(true), consoleSource: true });
    expect((output as { hostFunctionSource: string }).hostFunctionSource).toMatch(/\[native code\]/);
  });

  it("cannot import modules statically either: the code is a classic script", async () => {
    const error = await rejection(sandbox(`import { readFileSync } from "node:fs";\nfunction run() { return {}; }`));
    expect(error).toBeInstanceOf(SandboxCodeError);
  });
});

describe("prototype pollution", () => {
  afterEach(() => {
    // A failure below must not leak into other tests.
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it("returned `__proto__` keys become plain own properties, never the host object's prototype", async () => {
    const probe = await sandbox(`
      function run() {
        return {
          parsed: JSON.parse('{"__proto__": {"polluted": "yes"}, "ok": 1}'),
          list: [JSON.parse('{"__proto__": {"polluted": "yes"}}')],
          constructorShaped: { constructor: { prototype: { polluted: "yes" } } },
        };
      }
    `);
    const { output } = await probe.run({}, CALL);
    const result = output as { parsed: Record<string, unknown>; list: Record<string, unknown>[] };
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.parsed)).toBe(Object.prototype);
    expect(Object.keys(result.parsed)).toEqual(["__proto__", "ok"]);
    expect(Object.getOwnPropertyDescriptor(result.parsed, "__proto__")?.value).toEqual({ polluted: "yes" });
    expect(result.parsed.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.list[0])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("an input's `__proto__` key reaches the code as an own property, not a prototype", async () => {
    const probe = await sandbox(`
      function run({ data }) {
        return {
          keys: Object.keys(data),
          prototypeIsObject: Object.getPrototypeOf(data) === Object.prototype,
          inheritsPolluted: "polluted" in data && !Object.keys(data).includes("polluted"),
          own: data["__proto__"],
        };
      }
    `);
    const data = JSON.parse('{"__proto__": {"polluted": "yes"}, "x": 1}') as Record<string, unknown>;
    expect((await probe.run({ data }, CALL)).output).toEqual({
      keys: ["__proto__", "x"],
      prototypeIsObject: true,
      inheritsPolluted: false,
      own: { polluted: "yes" },
    });
  });

  it("polluting the guest's own built-ins changes nothing on the host, nor what the host reads back", async () => {
    const probe = await sandbox(`
      function run() {
        Object.prototype.polluted = "yes";
        Array.prototype.extra = "yes";
        Object.keys = () => ["forged"];
        Array.isArray = () => false;
        Reflect.apply = () => { throw new Error("forged"); };
        Function.prototype.call = () => "forged";
        JSON.stringify = () => "forged";
        return { list: [1, 2], nested: { a: 1 } };
      }
    `);
    const { output } = await probe.run({}, CALL);
    expect(output).toEqual({ list: [1, 2], nested: { a: 1 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).extra).toBeUndefined();
    expect(Object.keys({ a: 1 })).toEqual(["a"]);
  });
});

describe("hostile return values", () => {
  it("returns data, not callable host functions", async () => {
    const probe = await sandbox(`function run() { return { f: function () { return globalThis; } }; }`);
    expect(await rejection(probe.run({}, CALL))).toBeInstanceOf(SandboxDataError);
  });

  it("does not mistake a look-alike for a typed array or an image", async () => {
    const probe = await sandbox(`
      function run() {
        return {
          fakeTyped: { [Symbol.toStringTag]: "Uint8Array", length: 3, 0: 1 },
          fakeImage: { width: 1, height: 1, data: { length: 3, 0: 255, 1: 0, 2: 0 } },
        };
      }
    `);
    const { output } = await probe.run({}, CALL);
    expect(output).toEqual({
      fakeTyped: { 0: 1, length: 3 },
      fakeImage: { width: 1, height: 1, data: { 0: 255, 1: 0, 2: 0, length: 3 } },
    });
  });

  it("survives proxies whose traps throw", async () => {
    const probe = await sandbox(`
      function run({ which }) {
        const hostile = new Proxy({}, { ownKeys() { throw new Error("no keys for you"); } });
        const lying = new Proxy([], { get(target, key) { if (key === "length") throw new Error("no length"); return target[key]; } });
        return which === "keys" ? { hostile } : { lying };
      }
    `);
    for (const which of ["keys", "length"]) {
      const error = await rejection(probe.run({ which }, CALL));
      expect(error).toBeInstanceOf(SandboxExecutionError);
    }
    expect(probe.restarts).toBe(0);
  });

  it("describes thrown values whose name or message are traps without hanging", async () => {
    const probe = await sandbox(`
      function run({ which }) {
        if (which === "loop") throw { get name() { for (;;); }, message: "unreachable" };
        throw { get message() { throw new Error("nested"); } };
      }
    `);
    for (const which of ["loop", "throwing"]) {
      const error = await rejection(probe.run({ which }, CALL));
      expect(error).toBeInstanceOf(SandboxExecutionError);
      expect(error.message).toBe("<the thrown value could not be described>");
    }
  });
});
