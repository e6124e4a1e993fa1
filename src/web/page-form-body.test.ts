import { describe, expect, it } from "vitest";
import { parsePageForm } from "./page-form-body.ts";

// The pages' form parser: what the server's parser (@fastify/formbody) gave for text, and a field that is not
// UTF-8 named instead of kept as its encoded spelling (until 2026-12-07).
describe("parsePageForm", () => {
  it("reads a form as before: repeated fields a list, + a space, a stray % itself, __proto__ a field", () => {
    const { fields, undecoded } = parsePageForm(
      "&a=1&a=2&b+c=d+e&n=%C3%A9t%C3%A9%F0%9F%98%80&p=100%&q=%zz&__proto__=x&k&=v&e=%E2%80%AE",
    );
    expect({ ...fields }).toEqual({
      a: ["1", "2"],
      "b c": "d e",
      n: "été😀",
      p: "100%",
      q: "%zz",
      ["__proto__"]: "x",
      k: "",
      "": "v",
      e: "\u202E",
    });
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(undecoded).toEqual([]);
  });

  it("names a field whose bytes are not UTF-8 and keeps the rest of it; a name not UTF-8 loses its value", () => {
    const { fields, undecoded } = parsePageForm("a=Ada%ED%A0%80&b=x%C3&c=ok&d%ED=secret");
    expect({ ...fields }).toEqual({ a: "Ada", b: "x", c: "ok", "d%ED": "" });
    expect(undecoded).toEqual(["a", "b", "d%ED"]);
  });
});
