/**
 * Guest-side helpers, evaluated in every fresh context before the user's code. They capture the
 * built-ins they use first, so code that later replaces `Object.keys`, `Array.isArray` or
 * `Function.prototype.call` garbles at most its own values, never how the host reads them
 * (the host validates everything it reads anyway). The helpers are returned to the host, not put
 * on `globalThis`; only `console` is installed for the user.
 */

/** The helpers, in the order the prelude returns them. */
export const PRELUDE_HELPERS = [
  "classify",
  "keysOf",
  "viewOf",
  "makeTyped",
  "makeDate",
  "dateValue",
  "defineData",
  "makeSelf",
  "describeError",
  "collectGarbage",
] as const;
export type PreludeHelper = (typeof PRELUDE_HELPERS)[number];

/** Longest single console message handed to the host; the host caps the total per call. */
export const MAX_CONSOLE_MESSAGE = 64 * 1024;

/**
 * `emit(stream, text)` is the host's only function in the guest: stream 0 is stdout, 1 stderr.
 * `classify` answers "null", a `typeof` name, "array", a typed-array name, "date", "object", or
 * "unsupported:<what>" for built-ins that have no JSON-like form. `collectGarbage(limit)` makes
 * QuickJS run its cycle collector, which has no API (see `GuestVm.collectGarbage`): it makes
 * cyclic garbage until a weakly held cyclic sentinel is gone, i.e. until a collection has run.
 */
export const PRELUDE_SOURCE = `(function sightlinePrelude(emit) {
  "use strict";
  const apply = Reflect.apply;
  const getPrototypeOf = Object.getPrototypeOf;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const defineProperty = Object.defineProperty;
  const objectKeys = Object.keys;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const jsonStringify = JSON.stringify;
  const toString = String;
  const stringSlice = String.prototype.slice;
  const DateCtor = Date;
  const ObjectPrototype = Object.prototype;
  const getter = (proto, name) => getOwnPropertyDescriptor(proto, name).get;
  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const typedArrayName = getter(TypedArrayPrototype, Symbol.toStringTag);
  const typedArrayBuffer = getter(TypedArrayPrototype, "buffer");
  const typedArrayOffset = getter(TypedArrayPrototype, "byteOffset");
  const typedArrayLength = getter(TypedArrayPrototype, "byteLength");
  const dateGetTime = DateCtor.prototype.getTime;
  const WeakRefCtor = WeakRef;
  const weakRefDeref = WeakRef.prototype.deref;
  const typedArrays = {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };
  const brands = [
    ["Map", getter(Map.prototype, "size"), []],
    ["Set", getter(Set.prototype, "size"), []],
    ["ArrayBuffer", getter(ArrayBuffer.prototype, "byteLength"), []],
    ["Promise", Promise.prototype.then, [undefined, undefined]],
  ];

  function hasBrand(value, check, args) {
    try { apply(check, value, args); return true; } catch { return false; }
  }

  function classify(value) {
    if (value === null) return "null";
    const type = typeof value;
    if (type !== "object") return type;
    if (isArray(value)) return "array";
    if (isView(value)) return apply(typedArrayName, value, []) ?? "unsupported:DataView";
    const prototype = getPrototypeOf(value);
    if (prototype === ObjectPrototype || prototype === null) return "object";
    if (hasBrand(value, dateGetTime, [])) return "date";
    for (const [name, check, args] of brands) {
      if (hasBrand(value, check, args)) return "unsupported:" + name;
    }
    return "object";
  }

  function formatArgument(value) {
    if (typeof value === "string") return value;
    try {
      const json = jsonStringify(value);
      if (json !== undefined) return json;
    } catch {}
    try { return toString(value); } catch { return "<unprintable>"; }
  }

  function writer(stream) {
    return function (...args) {
      let text = "";
      for (let i = 0; i < args.length; i++) text += (i === 0 ? "" : " ") + formatArgument(args[i]);
      emit(stream, apply(stringSlice, text, [0, ${MAX_CONSOLE_MESSAGE}]) + "\\n");
    };
  }

  globalThis.console = {
    log: writer(0), info: writer(0), debug: writer(0), warn: writer(1), error: writer(1),
  };

  return [
    classify,
    (object) => objectKeys(object),
    (view) => [apply(typedArrayBuffer, view, []), apply(typedArrayOffset, view, []), apply(typedArrayLength, view, [])],
    (name, buffer) => new typedArrays[name](buffer),
    (ms) => new DateCtor(ms),
    (date) => apply(dateGetTime, date, []),
    (object, key, value) => { defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true }); },
    (initResults, stepName, stepSelector, blockType, executionId) => ({
      init_results: initResults,
      getWorkflowContext: () => ({
        step_name: stepName,
        step_selector: stepSelector,
        block_type: blockType,
        workflow_execution_id: executionId,
      }),
    }),
    (error) => {
      try {
        if (error !== null && (typeof error === "object" || typeof error === "function")) {
          const text = (value) => (value === undefined ? "" : toString(value));
          return [text(error.name), text(error.message), text(error.stack)];
        }
        return ["", formatArgument(error), ""];
      } catch {
        return ["", "<the thrown value could not be described>", ""];
      }
    },
    (limit) => {
      let sentinel = {};
      sentinel.self = sentinel;
      const collected = new WeakRefCtor(sentinel);
      sentinel = null;
      let made = 0;
      while (apply(weakRefDeref, collected, []) !== undefined && made < limit) {
        for (let i = 0; i < 1000; i++) {
          const junk = {};
          junk.self = junk;
        }
        made += 1000;
      }
    },
  ];
})`;
