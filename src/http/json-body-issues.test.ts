import { describe, expect, it } from "vitest";
import {
  INEXACT_NUMBER,
  inexactRead,
  jsonBodyIssues,
  REPEATED_KEY,
  RESERVED_KEY,
} from "./json-body-issues.ts";

// The second reading of a body JSON.parse took: repeated keys, inexact numbers and the names of prototype
// poisoning, each named by its path as the schemas name fields.

describe("jsonBodyIssues", () => {
  it("finds nothing in ordinary bodies", () => {
    for (const text of [
      '{"amount":1,"reference":"qa"}',
      '{"name":"VAT","rates":[{"label":"a","rate":"19"},{"label":"b","rate":7.5}]}',
      '[1,2.5,1e3,-0.0,{"a":null,"b":true,"c":false}]',
      '"text"',
      "12.34",
      '{"a":{"b":1},"c":{"b":1}}',
      '{"constructor":{"name":1},"prototype":1,"x":{"prototype":1}}',
      ' {\n\t"a" : 1 } ',
    ])
      expect(jsonBodyIssues(text), text).toEqual([]);
  });

  it("names each repeated key by its path, at any depth", () => {
    expect(jsonBodyIssues('{"amount":1,"reference":"qa","amount":100000}')).toEqual([
      { field: "amount", message: REPEATED_KEY },
    ]);
    expect(jsonBodyIssues('{"rates":[{"rate":"1"},{"rate":"19","label":"x","rate":"7"}]}')).toEqual([
      { field: "rates.1.rate", message: REPEATED_KEY },
    ]);
    expect(jsonBodyIssues('[[0,{"a":{"b":1,"b":1}}]]')).toEqual([
      { field: "0.1.a.b", message: REPEATED_KEY },
    ]);
    expect(jsonBodyIssues('{"a":1,"a":2,"a":3}')).toHaveLength(2);
  });

  it("compares keys by their decoded value", () => {
    expect(jsonBodyIssues('{"a":1,"\\u0061":2}')).toEqual([{ field: "a", message: REPEATED_KEY }]);
    expect(jsonBodyIssues('{"\\/":1,"/":2}')).toEqual([{ field: "/", message: REPEATED_KEY }]);
    // Same characters, different code points: two keys.
    expect(jsonBodyIssues('{"é":1,"e\\u0301":2}')).toEqual([]);
  });

  it("echoes a key's unshowable characters as U+FFFD", () => {
    expect(jsonBodyIssues('{"a\\u001b[2J":1,"a\\u001b[2J":2}')).toEqual([
      { field: "a\uFFFD[2J", message: REPEATED_KEY },
    ]);
  });

  it("names __proto__ anywhere and constructor.prototype as secure-json-parse refuses them", () => {
    expect(jsonBodyIssues('{"__proto__":{"x":1}}')).toEqual([{ field: "__proto__", message: RESERVED_KEY }]);
    expect(jsonBodyIssues('{"a":[{"\\u005f_proto__":1}]}')).toEqual([
      { field: "a.0.__proto__", message: RESERVED_KEY },
    ]);
    expect(jsonBodyIssues('{"constructor":{"prototype":{}}}')).toEqual([
      { field: "constructor.prototype", message: RESERVED_KEY },
    ]);
  });

  it("names numbers JSON.parse reads as another value, and leaves whole numbers to the schemas", () => {
    expect(jsonBodyIssues('{"token_unit_cost":12345678901.123456789}')).toEqual([
      { field: "token_unit_cost", message: INEXACT_NUMBER("12345678901.123457") },
    ]);
    expect(jsonBodyIssues("[0.1000000000000000055511151231257827]")).toEqual([
      { field: "0", message: INEXACT_NUMBER("0.1") },
    ]);
    expect(jsonBodyIssues("1.00000000000000000001")).toEqual([
      { field: "(body)", message: INEXACT_NUMBER("1") },
    ]);
    expect(jsonBodyIssues('{"amount":99999999999999999999}')).toEqual([]);
  });

  it("walks any depth without recursion", () => {
    const deep = `{"a":${"[".repeat(200_000)}${"]".repeat(200_000)},"a":1}`;
    expect(jsonBodyIssues(deep)).toEqual([{ field: "a", message: REPEATED_KEY }]);
  });
});

describe("inexactRead", () => {
  it.each([
    "1.0",
    "1e3",
    "1E+3",
    "0.1",
    "12.34",
    "-0.0",
    "0e5",
    "1.50",
    "100e-2",
    "5e-324",
    "1.7976931348623157e308",
  ])("takes %s, whose exact value JSON.parse keeps", (literal) =>
    expect(inexactRead(literal)).toBeUndefined(),
  );

  it.each([
    ["0.1000000000000000055511151231257827", "0.1"],
    ["12345678901.123456789", "12345678901.123457"],
    ["9007199254740993.0", "9007199254740992"],
    ["1e400", "Infinity"],
    ["1e-400", "0"],
    ["2e-324", "0"],
    ["0.30000000000000001", "0.3"],
  ])("refuses %s, which reads as %s", (literal, read) => expect(inexactRead(literal)).toBe(read));

  it("leaves every whole literal to the schemas", () => {
    expect(inexactRead("9007199254740993")).toBeUndefined();
    expect(inexactRead("-123456789012345678901234567890")).toBeUndefined();
  });
});
