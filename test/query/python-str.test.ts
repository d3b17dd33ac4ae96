import { describe, expect, it } from "vitest";
import { WorkflowImage } from "../../src/images/index.js";
import {
  pythonBytesRepr,
  pythonFloatRepr,
  pythonIsoformat,
  pythonJsonDumps,
  pythonRepr,
  pythonStr,
  pythonStringRepr,
  PythonError,
} from "../../src/query/index.js";

describe("pythonFloatRepr (Python repr(float))", () => {
  it.each([
    [1, "1.0"],
    [0.1, "0.1"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [123456789.123, "123456789.123"],
    [1.5e300, "1.5e+300"],
    [2.5e-7, "2.5e-07"],
    [-0.5, "-0.5"],
    [0, "0.0"],
    [-0, "-0.0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
    [0.1 + 0.2, "0.30000000000000004"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
  ])("repr(%s) == %s", (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe("pythonStr (Python str())", () => {
  it("prints None, booleans and ints as Python does", () => {
    expect(pythonStr(null)).toBe("None");
    expect(pythonStr(undefined)).toBe("None");
    expect(pythonStr(true)).toBe("True");
    expect(pythonStr(false)).toBe("False");
    expect(pythonStr(42)).toBe("42");
    expect(pythonStr(-7)).toBe("-7");
  });

  it("treats non-integral, non-safe and negative-zero numbers as floats", () => {
    expect(pythonStr(1.5)).toBe("1.5");
    expect(pythonStr(1e16)).toBe("1e+16");
    expect(pythonStr(-0)).toBe("-0.0");
    expect(pythonStr(NaN)).toBe("nan");
  });

  it("prints a number known to be a float with its fractional part", () => {
    expect(pythonStr(5, true)).toBe("5.0");
    expect(pythonStr(1, true)).toBe("1.0");
    expect(pythonStr("5", true)).toBe("5");
  });

  it("returns strings unchanged", () => {
    expect(pythonStr("it's")).toBe("it's");
  });

  it("prints lists and dicts with repr() of their items", () => {
    expect(pythonStr([1, "a"])).toBe("[1, 'a']");
    expect(pythonStr({ a: 1 })).toBe("{'a': 1}");
    expect(pythonStr([])).toBe("[]");
    expect(pythonStr({})).toBe("{}");
    expect(pythonStr({ k: [null, true, 0.5, { n: "x" }] })).toBe("{'k': [None, True, 0.5, {'n': 'x'}]}");
    expect(pythonStr(["it's", 'say "hi"', "both ' and \""])).toBe(`["it's", 'say "hi"', 'both \\' and "']`);
  });

  it("prints datetimes as isoformat with a space, and as datetime(...) inside containers", () => {
    const date = new Date("2024-01-02T03:04:05.678Z");
    expect(pythonStr(date)).toBe("2024-01-02 03:04:05.678000+00:00");
    expect(pythonStr([date])).toBe("[datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)]");
    expect(pythonRepr(new Date("2024-01-02T03:04:00Z"))).toBe("datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)");
  });

  it("prints bytes as b'...' and images with their lineage", () => {
    expect(pythonStr(new Uint8Array([0xff, 0x41, 0x27, 0x0a]))).toBe(`b"\\xffA'\\n"`);
    const image = new WorkflowImage({ width: 2, height: 1, data: new Uint8Array(6), parentId: "img" });
    expect(pythonStr(image)).toBe("<WorkflowImageData parent_id='img' width=2 height=1>");
  });
});

describe("pythonStringRepr (Python repr(str))", () => {
  it.each([
    ["abc", "'abc'"],
    ["it's", `"it's"`],
    ['"q"', `'"q"'`],
    [`'"`, `'\\'"'`],
    ["a\\b", "'a\\\\b'"],
    ["line\nbreak\ttab\rcr", "'line\\nbreak\\ttab\\rcr'"],
    ["\x00\x1f\x7f\x85", "'\\x00\\x1f\\x7f\\x85'"],
    ["é中😀", "'é中😀'"],
    ["\u200b\u2028\ufeff", "'\\u200b\\u2028\\ufeff'"],
    ["\u{e0001}", "'\\U000e0001'"],
    ["\xa0 ", "'\\xa0 '"],
  ])("repr(%j) == %s", (value, expected) => {
    expect(pythonStringRepr(value)).toBe(expected);
  });

  it("bytes repr picks quotes like str repr", () => {
    expect(pythonBytesRepr(new Uint8Array([0x27]))).toBe(`b"'"`);
    expect(pythonBytesRepr(new Uint8Array([0x27, 0x22]))).toBe(`b'\\'"'`);
    expect(pythonBytesRepr(new Uint8Array([0x5c, 0x09]))).toBe("b'\\\\\\t'");
  });
});

describe("pythonIsoformat (datetime.isoformat of an aware UTC datetime)", () => {
  it("keeps microseconds (6 digits) when non-zero and drops them when zero", () => {
    expect(pythonIsoformat(new Date("2024-01-01T00:00:00.123Z"))).toBe("2024-01-01T00:00:00.123000+00:00");
    expect(pythonIsoformat(new Date("2024-01-01T00:00:00.000Z"))).toBe("2024-01-01T00:00:00+00:00");
    expect(pythonIsoformat(new Date("0999-12-31T23:59:59.001Z"))).toBe("0999-12-31T23:59:59.001000+00:00");
  });

  it("raises ValueError for an invalid date", () => {
    expect(() => pythonIsoformat(new Date(NaN))).toThrow(PythonError);
  });
});

describe("pythonJsonDumps (json.dumps defaults)", () => {
  it("uses ', ' and ': ' separators", () => {
    expect(pythonJsonDumps({ a: 1, b: [1, 2] })).toBe('{"a": 1, "b": [1, 2]}');
    expect(pythonJsonDumps({ a: {}, b: [] })).toBe('{"a": {}, "b": []}');
  });

  it("writes floats as repr(float), NaN and Infinity as JavaScript literals, None as null", () => {
    expect(pythonJsonDumps([0.5, 1e-5, 1e16, NaN, Infinity, -Infinity, null, true, false])).toBe(
      "[0.5, 1e-05, 1e+16, NaN, Infinity, -Infinity, null, true, false]",
    );
  });

  it("escapes everything outside printable ASCII (ensure_ascii=True), in lowercase hex", () => {
    expect(pythonJsonDumps({ clé: 'é\n"\\😀\u007f\u0001' })).toBe('{"cl\\u00e9": "\\u00e9\\n\\"\\\\\\ud83d\\ude00\\u007f\\u0001"}');
    expect(pythonJsonDumps("\b\f\r\t")).toBe('"\\b\\f\\r\\t"');
  });

  it("rejects values JSON cannot hold", () => {
    expect(() => pythonJsonDumps({ when: new Date(0) })).toThrow("Object of type datetime is not JSON serializable");
  });
});
