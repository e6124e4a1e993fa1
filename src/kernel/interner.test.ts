import { describe, expect, it } from "vitest";
import { Interner } from "./interner.ts";

// Which copy comes back cannot be seen from JavaScript for a string or a bigint; what an interner holds can.
// Its effect on memory is measured where it matters (pricing-snapshot-memory.test.ts).
describe("Interner", () => {
  it("holds one value for equal strings and for equal bigints, and gives back an equal value", () => {
    const strings = new Interner<string>(10);
    expect(strings.of(["D", "E"].join(""))).toBe("DE");
    expect(strings.of("DE")).toBe("DE");
    expect(strings.size).toBe(1);
    const ids = new Interner<bigint>(10);
    expect(ids.of(BigInt("7"))).toBe(7n);
    expect(ids.of(7n)).toBe(7n);
    expect(ids.of(8n)).toBe(8n);
    expect(ids.size).toBe(2);
  });

  it("holds no new values past its limit, still answering with the value it was given", () => {
    const interner = new Interner<string>(2);
    interner.of("a");
    interner.of("b");
    expect(interner.of("c")).toBe("c");
    expect(interner.size).toBe(2);
    expect(interner.of("a")).toBe("a");
    interner.clear();
    expect(interner.size).toBe(0);
    interner.of("c");
    expect(interner.size).toBe(1);
  });
});
