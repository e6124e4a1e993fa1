import { describe, expect, it } from "vitest";
import { REPEATED_KEY, RESERVED_KEY, scanJsonBody, withNumbersAsWritten } from "./json-body-issues.ts";

// The second reading of a body JSON.parse took: repeated keys and the names of prototype poisoning, each
// named by its path as the schemas name fields, and the numbers written with a fraction or an exponent.

const jsonBodyIssues = (text: string) => scanJsonBody(text).issues;
/** The body as the schemas see it. */
const asWritten = (text: string) => withNumbersAsWritten(JSON.parse(text), scanJsonBody(text).numbers);

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

  it("hands numbers with a fraction or an exponent to the schemas as written, at any depth", () => {
    expect(asWritten('{"amount":10.00,"count":3,"token_unit_cost":12345678901.123456789}')).toEqual({
      amount: "10.00",
      count: 3,
      token_unit_cost: "12345678901.123456789",
    });
    expect(asWritten('{"rates":[{"rate":7.5},{"rate":19}],"x":[[1e3,-0.0,2E-1]]}')).toEqual({
      rates: [{ rate: "7.5" }, { rate: 19 }],
      x: [["1e3", "-0.0", "2E-1"]],
    });
    expect(asWritten("1.00000000000000000001")).toBe("1.00000000000000000001");
    expect(asWritten('{"a":"1.5","b":99999999999999999999}')).toEqual({ a: "1.5", b: 1e20 });
  });

  it("walks any depth without recursion", () => {
    const deep = `{"a":${"[".repeat(200_000)}${"]".repeat(200_000)},"a":1}`;
    expect(jsonBodyIssues(deep)).toEqual([{ field: "a", message: REPEATED_KEY }]);
  });
});
