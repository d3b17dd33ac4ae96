import { describe, expect, it } from "vitest";
import {
  compilePythonRegex,
  pythonBool,
  pythonCompare,
  pythonContains,
  pythonCounterOrder,
  pythonEquals,
  pythonExtreme,
  pythonFloat,
  pythonGetItem,
  pythonIntOfFloat,
  pythonIterate,
  pythonLen,
  pythonRound,
  pythonStringSlice,
  pythonTypeName,
  PythonError,
} from "../../src/query/index.js";

function pythonErrorOf(action: () => unknown): PythonError {
  try {
    action();
  } catch (error) {
    if (error instanceof PythonError) return error;
    throw error;
  }
  throw new Error("expected a Python exception");
}

describe("pythonEquals (==)", () => {
  it("treats bool as an int: True == 1, False == 0, True == 1.0", () => {
    expect(pythonEquals(true, 1)).toBe(true);
    expect(pythonEquals(false, 0)).toBe(true);
    expect(pythonEquals(1, true)).toBe(true);
    expect(pythonEquals(true, 2)).toBe(false);
  });

  it("never equates strings with numbers, or None with anything but None", () => {
    expect(pythonEquals("1", 1)).toBe(false);
    expect(pythonEquals(null, undefined)).toBe(true);
    expect(pythonEquals(null, 0)).toBe(false);
    expect(pythonEquals(null, false)).toBe(false);
  });

  it("compares lists and dicts structurally, and nan is unequal to itself", () => {
    expect(pythonEquals([1, [true, "a"]], [1.0, [1, "a"]])).toBe(true);
    expect(pythonEquals([1, 2], [1, 2, 3])).toBe(false);
    expect(pythonEquals({ a: 1, b: [2] }, { b: [2], a: true })).toBe(true);
    expect(pythonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(pythonEquals({ a: 1 }, [1])).toBe(false);
    expect(pythonEquals(NaN, NaN)).toBe(false);
    expect(pythonEquals(new Date(5), new Date(5))).toBe(true);
  });
});

describe("pythonCompare (<, <=, >, >=)", () => {
  it("orders numbers and bools together", () => {
    expect(pythonCompare(true, 0.5, ">")).toBe(true);
    expect(pythonCompare(1, 1.0, ">=")).toBe(true);
    expect(pythonCompare(NaN, 1, "<")).toBe(false);
    expect(pythonCompare(NaN, 1, ">=")).toBe(false);
  });

  it("orders strings by code point and lists item by item", () => {
    expect(pythonCompare("b", "a", ">")).toBe(true);
    expect(pythonCompare("\uffff", "😀", "<")).toBe(true);
    expect(pythonCompare([1, 2], [1, 3], "<")).toBe(true);
    expect(pythonCompare([1, 2], [1, 2, 0], "<")).toBe(true);
    expect(pythonCompare([2], [1, 9], ">")).toBe(true);
  });

  it("raises TypeError across unrelated types", () => {
    const error = pythonErrorOf(() => pythonCompare("a", 1, ">"));
    expect(error.pythonName).toBe("TypeError");
    expect(error.message).toBe("'>' not supported between instances of 'str' and 'int'");
    expect(() => pythonCompare(null, 1, "<")).toThrow("'<' not supported between instances of 'NoneType' and 'int'");
    expect(() => pythonCompare({}, {}, "<=")).toThrow(PythonError);
  });
});

describe("pythonContains (in)", () => {
  it("tests list membership with ==, substring for strings and keys for dicts", () => {
    expect(pythonContains([1, 2], true)).toBe(true);
    expect(pythonContains(["a"], "b")).toBe(false);
    expect(pythonContains("hello", "ell")).toBe(true);
    expect(pythonContains({ a: 1 }, "a")).toBe(true);
    expect(pythonContains({ a: 1 }, 1)).toBe(false);
  });

  it("raises TypeError where Python does", () => {
    expect(() => pythonContains("abc", 1)).toThrow("'in <string>' requires string as left operand, not int");
    expect(() => pythonContains(5, 1)).toThrow("argument of type 'int' is not iterable");
    expect(() => pythonContains(null, 1)).toThrow("argument of type 'NoneType' is not iterable");
    expect(() => pythonContains({ a: 1 }, [1])).toThrow("unhashable type: 'list'");
  });
});

describe("truthiness, len, iteration, type names", () => {
  it("bool() follows Python: nan is truthy, empty containers are falsy", () => {
    expect([null, false, 0, -0, "", [], {}].map(pythonBool)).toEqual([false, false, false, false, false, false, false]);
    expect([true, 1, -1, NaN, "0", " ", [0], { a: 0 }, new Date(0)].map(pythonBool)).toEqual(Array(9).fill(true));
  });

  it("len() counts code points, items and keys", () => {
    expect(pythonLen("a😀b")).toBe(3);
    expect(pythonLen([1, 2])).toBe(2);
    expect(pythonLen({ a: 1, b: 2 })).toBe(2);
    expect(() => pythonLen(5)).toThrow("object of type 'int' has no len()");
    expect(() => pythonLen(null)).toThrow("object of type 'NoneType' has no len()");
  });

  it("iterates characters of a str and keys of a dict", () => {
    expect(pythonIterate("a😀")).toEqual(["a", "😀"]);
    expect(pythonIterate({ x: 1, y: 2 })).toEqual(["x", "y"]);
    expect(() => pythonIterate(3.5)).toThrow("'float' object is not iterable");
  });

  it("names types as Python would", () => {
    expect([null, true, 1, 1.5, "s", [], {}, new Date(), new Uint8Array()].map(pythonTypeName)).toEqual([
      "NoneType",
      "bool",
      "int",
      "float",
      "str",
      "list",
      "dict",
      "datetime",
      "bytes",
    ]);
  });
});

describe("float() and int()", () => {
  it.each([
    [" 1.5 ", 1.5],
    ["inf", Infinity],
    ["-Infinity", -Infinity],
    ["1e3", 1000],
    ["1_000.5", 1000.5],
    [".5", 0.5],
    ["5.", 5],
    ["+2E-2", 0.02],
    [true, 1],
    [3, 3],
  ])("float(%j) == %s", (input, expected) => {
    expect(pythonFloat(input)).toBe(expected);
  });

  it("parses nan", () => {
    expect(pythonFloat("NaN")).toBeNaN();
  });

  it.each(["abc", "", "1_", "1__0", "0x10", "1e", "--1", "nan1"])("float(%j) raises ValueError", (input) => {
    const error = pythonErrorOf(() => pythonFloat(input));
    expect(error.pythonName).toBe("ValueError");
    expect(error.message).toContain("could not convert string to float");
  });

  it("float(None) and float([]) raise TypeError", () => {
    expect(pythonErrorOf(() => pythonFloat(null)).pythonName).toBe("TypeError");
    expect(pythonErrorOf(() => pythonFloat([1])).message).toBe("float() argument must be a string or a real number, not 'list'");
  });

  it("int() truncates toward zero and refuses inf / nan", () => {
    expect(pythonIntOfFloat(2.9)).toBe(2);
    expect(Object.is(pythonIntOfFloat(-0.9), 0)).toBe(true);
    expect(pythonIntOfFloat(-2.9)).toBe(-2);
    expect(pythonErrorOf(() => pythonIntOfFloat(Infinity)).pythonName).toBe("OverflowError");
    expect(pythonErrorOf(() => pythonIntOfFloat(NaN)).pythonName).toBe("ValueError");
  });
});

describe("round() — correctly rounded, half to even", () => {
  it.each([
    [2.675, 2, 2.67],
    [0.125, 2, 0.12],
    [0.375, 2, 0.38],
    [2.5, 0, 2],
    [1.5, 0, 2],
    [0.5, 0, 0],
    [-2.5, 0, -2],
    [1.005, 2, 1],
    [0.285, 2, 0.28],
    [1234.5678, -2, 1200],
    [2.5e-8, 8, 2e-8],
    [1e300, -299, 1e300],
    [250, -2, 200],
    [350, -2, 400],
    [-250, -2, -200],
    [7, 3, 7],
    [1.0000000000000002, 15, 1],
    [123.456, 400, 123.456],
  ])("round(%s, %s) == %s", (value, digits, expected) => {
    expect(pythonRound(value, digits)).toBe(expected);
  });

  it("keeps the sign of a zero result, and passes inf / nan through", () => {
    expect(Object.is(pythonRound(-0.4, 0), -0)).toBe(true);
    expect(pythonRound(Infinity, 2)).toBe(Infinity);
    expect(pythonRound(NaN, 2)).toBeNaN();
    expect(pythonRound(true, 2)).toBe(1);
  });

  it("raises TypeError for non-numbers and OverflowError past the float range", () => {
    expect(() => pythonRound("1.5", 1)).toThrow("type str doesn't define __round__ method");
    expect(pythonErrorOf(() => pythonRound(1.7976931348623157e308, -308)).pythonName).toBe("OverflowError");
  });
});

describe("sequences", () => {
  it("slices strings like Python, including negative and out-of-range bounds", () => {
    expect(pythonStringSlice("abcdef", 0, -1)).toBe("abcde");
    expect(pythonStringSlice("abcdef", -3, 100)).toBe("def");
    expect(pythonStringSlice("abcdef", 4, 2)).toBe("");
    expect(pythonStringSlice("abcdef", -100, 2)).toBe("ab");
    expect(pythonStringSlice("a😀bc", 1, 3)).toBe("😀b");
    expect(pythonStringSlice("", 0, -1)).toBe("");
  });

  it("subscripts lists, strs and dicts", () => {
    expect(pythonGetItem([1, 2, 3], -1)).toBe(3);
    expect(pythonGetItem("a😀", 1)).toBe("😀");
    expect(pythonGetItem({ k: 1 }, "k")).toBe(1);
    expect(pythonErrorOf(() => pythonGetItem({ k: 1 }, "x")).pythonName).toBe("KeyError");
    expect(pythonErrorOf(() => pythonGetItem([1], 1)).pythonName).toBe("IndexError");
    expect(() => pythonGetItem(null, 0)).toThrow("'NoneType' object is not subscriptable");
  });

  it("orders Counter.most_common(): by count, ties by first insertion; 1, 1.0 and True are one key", () => {
    expect(pythonCounterOrder(["b", "a", "a", "b", "c"])).toEqual(["b", "a", "c"]);
    expect(pythonCounterOrder([1, true, 1.0, "1", 2])).toEqual([1, "1", 2]);
    expect(() => pythonCounterOrder([[1]])).toThrow("unhashable type: 'list'");
  });

  it("min / max keep the first of equal extremes", () => {
    expect(pythonExtreme([1, true, 3], "min")).toBe(1);
    expect(pythonExtreme([3, 1, 3.0], "max")).toBe(3);
    expect(pythonExtreme(["b", "a"], "min")).toBe("a");
    expect(() => pythonExtreme([1, "a"], "max")).toThrow(PythonError);
  });
});

describe("compilePythonRegex (re.search)", () => {
  const search = (pattern: string, text: string) => compilePythonRegex(pattern).test(text);

  it("translates named groups and named back-references", () => {
    expect(search("(?P<word>ab)-(?P=word)", "xx ab-ab")).toBe(true);
    expect(search("(?P<word>ab)-(?P=word)", "ab-ac")).toBe(false);
  });

  it("honours leading inline flags", () => {
    expect(search("(?i)hello", "HeLLo")).toBe(true);
    expect(search("(?s)a.b", "a\nb")).toBe(true);
    expect(search("a.b", "a\nb")).toBe(false);
    expect(search("(?m)^b", "a\nb")).toBe(true);
  });

  it("gives \\A, \\Z and $ Python's meaning", () => {
    expect(search("abc$", "abc\n")).toBe(true);
    expect(search("abc\\Z", "abc\n")).toBe(false);
    expect(search("\\Aabc", "abc")).toBe(true);
    expect(search("\\Abc", "abc")).toBe(false);
  });

  it("makes \\d and \\w Unicode-aware, as in Python 3", () => {
    expect(search("^\\w+$", "héllo_1")).toBe(true);
    expect(search("^\\d$", "٣")).toBe(true);
    expect(search("(?a)^\\w+$", "héllo")).toBe(false);
  });

  it("reads braces that are no quantifier, a lone ] and escaped punctuation as literals", () => {
    expect(search("a{", "a{")).toBe(true);
    expect(search("{x}", "{x}")).toBe(true);
    expect(search("^a{,2}$", "aa")).toBe(true);
    expect(search("^a{2}$", "aa")).toBe(true);
    expect(search("]", "]")).toBe(true);
    expect(search("[]a]", "]")).toBe(true);
    expect(search("\\'\\#\\-", "'#-")).toBe(true);
    expect(search("[\\w-]+", "-")).toBe(true);
  });

  it("refuses what it cannot translate, with a ValueError", () => {
    expect(pythonErrorOf(() => compilePythonRegex("(?x) a b")).message).toContain("verbose");
    expect(pythonErrorOf(() => compilePythonRegex("a(?i:b)")).message).toContain("inline flags");
    expect(pythonErrorOf(() => compilePythonRegex("(unclosed")).message).toContain("invalid regular expression");
  });
});
