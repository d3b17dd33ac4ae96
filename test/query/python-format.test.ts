/**
 * `format(value, spec)` and `string.Formatter` as CPython 3.11 gives them. Every expectation
 * below is what python3.11 printed for the same value and spec (docs/reference/workflows.md#python-semantics).
 */
import { describe, expect, it } from "vitest";
import { parseFormatString, PythonError, pythonDoubleToString, pythonFormat, pythonVformat } from "../../src/query/index.js";

type Outcome = { ok: string } | { error: string; message: string };

function outcome(action: () => string): Outcome {
  try {
    return { ok: action() };
  } catch (error) {
    if (error instanceof PythonError) return { error: error.pythonName, message: error.message };
    throw error;
  }
}

/** [value, spec, what Python's format(value, spec) gives]. */
const FORMAT: [unknown, string, Outcome][] = [
  ["abc", "", { ok: "abc" }],
  ["abc", ">6", { ok: "   abc" }],
  ["abc", "*^8", { ok: "**abc***" }],
  ["abc", "<5", { ok: "abc  " }],
  ["abcdef", ".2", { ok: "ab" }],
  ["abcdef", "8.3", { ok: "abc     " }],
  ["ab", "05", { ok: "ab000" }],
  ["a😀b", "^7", { ok: "  a😀b  " }],
  ["é", "é>3", { ok: "ééé" }],
  ["ab", "+", { error: "ValueError", message: "Sign not allowed in string format specifier" }],
  ["ab", " ", { error: "ValueError", message: "Space not allowed in string format specifier" }],
  ["ab", "#", { error: "ValueError", message: "Alternate form (#) not allowed in string format specifier" }],
  ["ab", "=", { error: "ValueError", message: "'=' alignment not allowed in string format specifier" }],
  ["ab", ",", { error: "ValueError", message: "Cannot specify ',' with 's'." }],
  ["ab", "d", { error: "ValueError", message: "Unknown format code 'd' for object of type 'str'" }],
  ["ab", "z", { error: "ValueError", message: "Negative zero coercion (z) not allowed in string format specifier" }],
  [1234567, ",", { ok: "1,234,567" }],
  [1234567, "_", { ok: "1_234_567" }],
  [-1234567, "+,", { ok: "-1,234,567" }],
  [1234, "010,", { ok: "00,001,234" }],
  [255, "#x", { ok: "0xff" }],
  [255, "#X", { ok: "0XFF" }],
  [255, "#o", { ok: "0o377" }],
  [5, "#b", { ok: "0b101" }],
  [123456789, "_b", { ok: "111_0101_1011_1100_1101_0001_0101" }],
  [3054, "_x", { ok: "bee" }],
  [42, "+", { ok: "+42" }],
  [42, " ", { ok: " 42" }],
  [-42, "=+8", { ok: "-     42" }],
  [42, "*<6", { ok: "42****" }],
  [42, "^6", { ok: "  42  " }],
  [42, "08", { ok: "00000042" }],
  [42, "e", { ok: "4.200000e+01" }],
  [42, "%", { ok: "4200.000000%" }],
  [42, "n", { ok: "42" }],
  [65, "c", { ok: "A" }],
  [65, "05c", { ok: "0000A" }],
  [1, "s", { error: "ValueError", message: "Unknown format code 's' for object of type 'int'" }],
  [1, "abc", { error: "ValueError", message: "Invalid format specifier 'abc' for object of type 'int'" }],
  [1, ",n", { error: "ValueError", message: "Cannot specify ',' with 'n'." }],
  [1, ",_", { error: "ValueError", message: "Cannot specify both ',' and '_'." }],
  [-1, "c", { error: "OverflowError", message: "%c arg not in range(0x110000)" }],
  [5, "+c", { error: "ValueError", message: "Sign not allowed with integer format specifier 'c'" }],
  [1, "\u0001", { error: "ValueError", message: "Unknown format code '\\x1' for object of type 'int'" }],
  [true, "", { ok: "True" }],
  [true, "d", { ok: "1" }],
  [true, ">5", { ok: "    1" }],
  [false, "f", { ok: "0.000000" }],
  [true, "s", { error: "ValueError", message: "Unknown format code 's' for object of type 'bool'" }],
  [0.5, ".0f", { ok: "0" }],
  [2.5, ".0f", { ok: "2" }],
  [1.5, ".0f", { ok: "2" }],
  [0.125, ".2f", { ok: "0.12" }],
  [0.375, ".2f", { ok: "0.38" }],
  [2.675, ".2f", { ok: "2.67" }],
  [0.98765, ".2f", { ok: "0.99" }],
  [0.1, ".30f", { ok: "0.100000000000000005551115123126" }],
  [1.5e22, "f", { ok: "15000000000000000000000.000000" }],
  [-0, "f", { ok: "-0.000000" }],
  [-0, "z.1f", { ok: "0.0" }],
  [-0.0001, "z.2f", { ok: "0.00" }],
  [1234.5678, ",.2f", { ok: "1,234.57" }],
  [1234.5678, "_.1f", { ok: "1_234.6" }],
  [1234.5678, "012,.1f", { ok: "00,001,234.6" }],
  [1.2345e-5, "e", { ok: "1.234500e-05" }],
  [12345.678, ".3E", { ok: "1.235E+04" }],
  [0.5, ".0e", { ok: "5e-01" }],
  [0.5, "#.0e", { ok: "5.e-01" }],
  [0.5, "#.0f", { ok: "0." }],
  [123456789.5, "g", { ok: "1.23457e+08" }],
  [0.0001, "g", { ok: "0.0001" }],
  [1e-5, "g", { ok: "1e-05" }],
  [1.5, "#g", { ok: "1.50000" }],
  [100.5, ".2g", { ok: "1e+02" }],
  [1e-7, ".3G", { ok: "1E-07" }],
  [0.25, "%", { ok: "25.000000%" }],
  [0.125, ".1%", { ok: "12.5%" }],
  [1.5, "n", { ok: "1.5" }],
  [1.5, "", { ok: "1.5" }],
  [1.0000000000000002e16, "", { ok: "1.0000000000000002e+16" }],
  [1.5, ".3", { ok: "1.5" }],
  [1234.5, ".2", { ok: "1.2e+03" }],
  [1234.5, ">10", { ok: "    1234.5" }],
  [2.5, "=+10", { ok: "+      2.5" }],
  [-2.5, "010", { ok: "-0000002.5" }],
  [Infinity, "", { ok: "inf" }],
  [Infinity, "010", { ok: "0000000inf" }],
  [-Infinity, "F", { ok: "-INF" }],
  [NaN, "+", { ok: "+nan" }],
  [NaN, "E", { ok: "NAN" }],
  [1.5, "d", { error: "ValueError", message: "Unknown format code 'd' for object of type 'float'" }],
  [1.5, "c", { error: "ValueError", message: "Unknown format code 'c' for object of type 'float'" }],
  [1.5, ".", { error: "ValueError", message: "Format specifier missing precision" }],
  [1.5, ",n", { error: "ValueError", message: "Cannot specify ',' with 'n'." }],
  [1.5, "=^", { ok: "1.5" }],
  [null, "", { ok: "None" }],
  [null, ">5", { error: "TypeError", message: "unsupported format string passed to NoneType.__format__" }],
  [[1, "a"], "", { ok: "[1, 'a']" }],
  [[1, "a"], "x", { error: "TypeError", message: "unsupported format string passed to list.__format__" }],
  [{ a: 1 }, "", { ok: "{'a': 1}" }],
  [{ a: 1 }, "^9", { error: "TypeError", message: "unsupported format string passed to dict.__format__" }],
];

describe("pythonFormat", () => {
  it.each(FORMAT)("format(%j, %j)", (value, spec, expected) => {
    expect(outcome(() => pythonFormat(value, spec))).toEqual(expected);
  });

  it("formats a whole number as an int, or as the float it must have been when only a float accepts the spec", () => {
    expect(pythonFormat(1, ".2")).toBe("1.0"); // Python: format(1.0, ".2"); format(1, ".2") is an error
    expect(pythonFormat(0, "z.1")).toBe("0e+00");
    expect(pythonFormat(100, ".3n")).toBe("100");
    expect(pythonFormat(2, "d")).toBe("2"); // upstream would refuse 2.0 here; 2 and 2.0 are one number in JSON
    expect(outcome(() => pythonFormat(2, ".2d"))).toEqual({ error: "ValueError", message: "Precision not allowed in integer format specifier" });
  });

  it("reads widths and precisions written in any script's digits, as Python does", () => {
    expect(pythonFormat("ab", "٥")).toBe("ab   ");
    expect(pythonFormat(1.23456, ".２f")).toBe("1.23");
  });
});

describe("pythonDoubleToString", () => {
  it("gives correctly rounded digits far beyond toFixed's 100", () => {
    expect(pythonDoubleToString(0.1, "f", 60)).toBe("0.100000000000000005551115123125782702118158340454101562500000");
    expect(pythonDoubleToString(5e-324, "e", 3)).toBe("4.941e-324");
    expect(pythonDoubleToString(1.7976931348623157e308, "g", 17)).toBe("1.7976931348623157e+308");
    expect(pythonDoubleToString(9.5, "e", 0)).toBe("1e+01");
  });
});

describe("parseFormatString", () => {
  it("splits literal text and fields as string.Formatter().parse", () => {
    expect(parseFormatString("a{{b}}{c!r:>{w}}d")).toEqual([
      { literal: "a{", field: null },
      { literal: "b}", field: null },
      { literal: "", field: { name: "c", spec: ">{w}", conversion: "r" } },
      { literal: "d", field: null },
    ]);
    expect(parseFormatString("{ a }{a[x]}{}")).toEqual([
      { literal: "", field: { name: " a ", spec: "", conversion: null } },
      { literal: "", field: { name: "a[x]", spec: "", conversion: null } },
      { literal: "", field: { name: "", spec: "", conversion: null } },
    ]);
  });

  it.each([
    ["{", "Single '{' encountered in format string"],
    ["a}b", "Single '}' encountered in format string"],
    ["{a", "expected '}' before end of string"],
    ["{a[0}", "expected '}' before end of string"],
    ["{a{b}", "unexpected '{' in field name"],
    ["{a!", "end of string while looking for conversion specifier"],
    ["{a!rx}", "expected ':' after conversion specifier"],
    ["{a!}", "unmatched '{' in format spec"],
    ["{a:{b}", "unmatched '{' in format spec"],
  ])("refuses %j: %s", (template, message) => {
    expect(outcome(() => JSON.stringify(parseFormatString(template)))).toEqual({ error: "ValueError", message });
  });
});

describe("pythonVformat", () => {
  const values = { a: "é", b: "5", n: 1.5 };

  it("converts, expands nested specs and formats each field", () => {
    expect(pythonVformat("{a!r} {a!a} {n!s:>5} {n:{b}}|{a:{b}}", values, pythonFormat)).toBe("'é' '\\xe9'   1.5   1.5|é    ");
  });

  it("raises as Python: an unknown name, an unknown conversion, specs nested three deep", () => {
    expect(outcome(() => pythonVformat("{zz}", values, pythonFormat))).toEqual({ error: "KeyError", message: "'zz'" });
    expect(outcome(() => pythonVformat("{a!x}", values, pythonFormat))).toEqual({ error: "ValueError", message: "Unknown conversion specifier x" });
    expect(outcome(() => pythonVformat("{a:{b:{n}}}", values, pythonFormat))).toEqual({ error: "ValueError", message: "Max string recursion exceeded" });
  });

  it("reads the template lazily: text before a syntax error is formatted first, as Python's", () => {
    expect(outcome(() => pythonVformat("{zz}{", values, pythonFormat))).toEqual({ error: "KeyError", message: "'zz'" });
  });
});
